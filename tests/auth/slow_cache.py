"""A Redis cache whose ``set`` takes half a second: the window a fleet single flight must close.

Between a worker's fetch of a provider document and the moment its copy lands in the
shared cache, a cold worker must still find the fetch lock taken. ``SET_STARTED`` (an
event the test creates before forking the workers) is set when the ``set`` of a JWKS
begins, so a second worker can start exactly inside that window. (The JWKS, not the
discovery document: a worker fetching the JWKS holds the JWKS lock while it fetches
discovery first, so the window that matters is the one after the JWKS fetch.)
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache.backends.redis import RedisCache

SET_SECONDS = 0.5

#: A ``multiprocessing.Event`` shared with forked workers, or None.
SET_STARTED: Any = None


class SlowSetRedisCache(RedisCache):
    def set(self, key: str, *args: Any, **kwargs: Any) -> None:
        if SET_STARTED is not None and ":jwks:" in key:
            SET_STARTED.set()
        time.sleep(SET_SECONDS)
        super().set(key, *args, **kwargs)
