"""Kafka handlers of the module. axiomod_messaging imports the module's ``handlers.py``
at start-up; each file here is imported from there, which registers its handlers."""
