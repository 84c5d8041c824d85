"""The Django project of ``bench jobs`` (``bench/jobs.py``).

* :mod:`bench.jobs_project.celery`: the candidate, ``axiomod_jobs.create_app()`` in a
  Django project with ``axiomod``, ``axiomod_metrics`` and ``axiomod_jobs`` installed
  (:mod:`bench.jobs_project.settings`), and its no-op ``@job`` (:mod:`.jobs`).
* :mod:`bench.jobs_project.bare`: the baseline, a bare ``celery.Celery(broker=...,
  backend=...)`` app with a no-op ``@app.task``; it never imports Django.

This package deliberately does not import its Celery app (Celery's Django guide would):
the baseline worker imports ``bench.jobs_project.bare`` and must not load Django.
"""
