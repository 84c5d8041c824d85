"""Background jobs for axiomod services: Celery workers and RedBeat cron schedules.

Configured by ``AXIOMOD["jobs"]`` (:class:`axiomod_jobs.conf.JobsSettings`).
Needs the ``jobs`` extra.
"""
