"""The candidate's no-op job (found by ``axiomod_jobs``' autodiscovery of ``jobs.py``)."""

from axiomod_jobs import job


@job(name="bench.jobs.noop")
def noop() -> None:
    return None
