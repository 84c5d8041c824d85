"""Beat schedulers: RedBeat (Redis brokers) and Celery's file scheduler, fed by axiomod.

Both rebuild ``beat_schedule`` from the ``@job`` registry and ``AXIOMOD["jobs"]
["schedule"]`` when beat starts, so a schedule changed in code or settings takes effect
at the next deploy; RedBeat also deletes the entries that are gone.

What RedBeat 2.4 leaves to its users and this module adds:

* **A lost lock is not a crash.** RedBeat renews its lock at every tick and raises
  ``LockNotOwnedError`` when the lock expired meanwhile (beat paused longer than the lock
  timeout, Redis restarted without persistence, a key deleted by hand); beat exits and
  Kubernetes restarts it in a loop. Here the scheduler logs it, stops firing, and waits
  to take the lock again like a standby beat. A Redis outage is logged and retried every
  few seconds instead of killing beat.
* **Time zones per entry.** RedBeat stores a crontab without a zone (it is evaluated in
  the app's); :class:`~axiomod_jobs.schedules.ZonedCrontab` is stored with its zone.
"""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

import redis.exceptions
from celery import beat
from redbeat import schedulers as redbeat
from redbeat.decoder import RedBeatJSONDecoder, RedBeatJSONEncoder

from .schedules import ZonedCrontab

__all__ = ["PersistentScheduler", "RedBeatScheduler", "ZonedEntry"]

logger = logging.getLogger("axiomod.jobs.beat")

#: Seconds between two tries while Redis cannot be reached.
REDIS_RETRY_SECONDS = 2.0


class _AxiomodSchedule:
    """Fills ``beat_schedule`` from axiomod before the scheduler reads it."""

    app: Any

    def setup_schedule(self) -> None:
        from .factory import beat_schedule

        self.app.conf.beat_schedule = {
            **(self.app.conf.beat_schedule or {}),
            **beat_schedule(self.app),
        }
        for name, entry in self.app.conf.beat_schedule.items():
            logger.info("beat: schedule %r -> %s %s", name, entry["task"], entry["schedule"])
        super().setup_schedule()  # type: ignore[misc]


class PersistentScheduler(_AxiomodSchedule, beat.PersistentScheduler):
    """Celery's file-based scheduler, for brokers other than Redis (one beat only)."""


class _ZonedEncoder(RedBeatJSONEncoder):
    def default(self, obj: Any) -> Any:
        encoded = super().default(obj)
        if isinstance(obj, ZonedCrontab):
            encoded["timezone"] = obj.timezone
        return encoded


class _ZonedDecoder(RedBeatJSONDecoder):
    def dict_to_object(self, d: dict[str, Any]) -> Any:
        if d.get("__type__") == "crontab" and "timezone" in d:
            fields = {k: v for k, v in d.items() if k != "__type__"}
            return ZonedCrontab(**fields)
        return super().dict_to_object(d)


class ZonedEntry(redbeat.RedBeatSchedulerEntry):
    """A RedBeat entry whose crontab keeps its time zone in Redis."""

    @staticmethod
    def decode_definition(definition: str) -> Any:
        return json.loads(definition, cls=_ZonedDecoder)

    def save(self) -> ZonedEntry:
        # RedBeatSchedulerEntry.save() with the zone-aware encoder: redbeat names its
        # encoder class inside save(), so there is no hook to pass ours.
        definition = {
            "name": self.name,
            "task": self.task,
            "args": self.args,
            "kwargs": self.kwargs,
            "options": self.options,
            "schedule": self.schedule,
            "enabled": self.enabled,
        }
        meta = {"last_run_at": self.last_run_at}
        conf = self.app.redbeat_conf
        with redbeat.get_redis(self.app).pipeline() as pipe:
            pipe.hset(self.key, "definition", json.dumps(definition, cls=_ZonedEncoder))
            pipe.hsetnx(self.key, "meta", json.dumps(meta, cls=RedBeatJSONEncoder))
            pipe.zadd(conf.schedule_key, {self.key: self.score})
            pipe.execute()
        return self


class RedBeatScheduler(_AxiomodSchedule, redbeat.RedBeatScheduler):
    """RedBeat with a lock that can be lost and taken again, and zoned crontabs."""

    Entry = ZonedEntry

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            if self.lock_key and not self._hold_lock():
                return self.max_interval
            return super().tick(*args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            logger.warning(
                "beat: Redis unreachable (%s); nothing is sent until it is back, retrying in %ss",
                exc,
                REDIS_RETRY_SECONDS,
            )
            return REDIS_RETRY_SECONDS

    def _hold_lock(self) -> bool:
        """Renew the lock, or wait for it again when it was lost. False: not ours now."""
        if self.lock is not None:
            try:
                if self.lock.extend(int(self.lock_timeout)):
                    return True
            except redis.exceptions.LockError:
                pass
            logger.warning(
                "beat: lost the schedule lock %r (expired or deleted); this beat stops "
                "sending jobs and waits to take the lock again",
                self.lock_key,
            )
            self.lock = None
        # RedBeat's own acquisition (its extend script included); blocks while another
        # beat holds the lock, polling every max_interval, like a beat starting up.
        redbeat.acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=self))
        return self.lock is not None


def last_run_times(app: Any, names: list[str]) -> dict[str, Any]:
    """When RedBeat last sent each entry (None: never), read from Redis.

    Raises ``redis.exceptions.RedisError`` when Redis cannot be reached.
    """
    redbeat.ensure_conf(app)
    found: dict[str, Any] = {}
    for name in names:
        key = ZonedEntry.generate_key(app, name)
        found[name] = redbeat.RedBeatSchedulerEntry.load_meta(key, app=app)["last_run_at"]
    return found
