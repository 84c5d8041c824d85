"""Persistence through the Django ORM.

Nothing is imported here eagerly: ``models`` must only be imported once the app registry
is ready, which Django ensures through the module's ``models.py``.
"""
