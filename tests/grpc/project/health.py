"""A critical readiness check the tests switch off by creating a file."""

import os
from pathlib import Path

from axiomod_health import health_check


@health_check(name="switch", critical=True)
def switch() -> None:
    flag = os.environ.get("AXIOMOD_TEST_HEALTH_DOWN")
    if flag and Path(flag).exists():
        raise RuntimeError("switched off by the test")
