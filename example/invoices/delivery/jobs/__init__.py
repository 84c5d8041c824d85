"""Background jobs of the module. axiomod_jobs imports the module's ``jobs.py`` at
start-up; each file here is imported from there, which registers its jobs."""
