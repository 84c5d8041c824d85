"""``manage.py axiomod_jobs list | run NAME``: see the jobs and schedules, enqueue a job.

``list`` prints every ``@job`` and every scheduled entry with its next run: from the last
run RedBeat recorded in Redis when the broker is Redis, else from now. ``run`` sends the
job to its queue exactly as beat would (or runs it here when no broker is configured).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

_TIME = "%Y-%m-%d %H:%M:%S"


def _json(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(str(exc)) from exc
        if not isinstance(value, kind):
            raise ValueError(f"expected a JSON {kind.__name__}")
        return value

    parse.__name__ = f"JSON {kind.__name__}"
    return parse


class Command(BaseCommand):
    help = "List the registered jobs and schedules with their next runs, or enqueue a job."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="jobs and schedules with their next run times")
        run = sub.add_parser("run", help="enqueue a job (or a schedule entry) by name")
        run.add_argument("name", help="task name or schedule entry name")
        run.add_argument(
            "--args", dest="job_args", type=_json(list), default=None, help="JSON list"
        )
        run.add_argument(
            "--kwargs", dest="job_kwargs", type=_json(dict), default=None, help="JSON object"
        )
        run.add_argument(
            "--wait",
            type=float,
            default=None,
            metavar="SECONDS",
            help="wait this long for the result (needs a result backend)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from celery import current_app

        if options["action"] == "list":
            self._list(current_app)
        else:
            self._run(current_app, options)

    # -- list -----------------------------------------------------------------------

    def _list(self, app: Any) -> None:
        from axiomod_jobs.factory import beat_schedule, is_redis
        from axiomod_jobs.registry import registry
        from axiomod_jobs.schedules import describe, next_run

        jobs = list(registry)
        self.stdout.write(f"Jobs ({len(jobs)}):")
        for entry in sorted(jobs, key=lambda j: j.name):
            limits = []
            if entry.timeout is not None:
                limits.append(f"timeout {entry.timeout:g}s")
            if entry.retries:
                limits.append(f"retries {entry.retries}")
            queue = entry.queue or app.conf.task_default_queue
            extra = f" ({', '.join(limits)})" if limits else ""
            self.stdout.write(f"  {entry.name}  queue={queue}{extra}  [{entry.location}]")
        from axiomod_jobs.checks import known_task_names

        others = sorted(known_task_names() - {entry.name for entry in jobs})
        if others:
            self.stdout.write(f"Other tasks ({len(others)}): {', '.join(others)}")

        schedule = beat_schedule(app)
        now = dt.datetime.now(dt.UTC)
        last: dict[str, Any] = {}
        source = "from now: no run recorded"
        if schedule and is_redis(app.conf.broker_url):
            from redis.exceptions import RedisError

            from axiomod_jobs.beat import last_run_times

            try:
                last = last_run_times(app, list(schedule))
                source = "after the last run RedBeat recorded"
            except RedisError as exc:
                source = f"from now: Redis unreachable ({exc})"
        self.stdout.write(
            f"Schedules ({len(schedule)}; cron in {app.conf.timezone} unless noted; "
            f"next run {source}):"
        )
        for name, item in sorted(schedule.items()):
            when = next_run(item["schedule"], last.get(name), now)
            previous = last.get(name)
            ran = f"  last {previous.astimezone(dt.UTC):{_TIME}}Z" if previous else ""
            self.stdout.write(
                f"  {name}  {describe(item['schedule'])}  -> {item['task']}  "
                f"next {when.astimezone(dt.UTC):{_TIME}}Z{ran}"
            )

    # -- run ------------------------------------------------------------------------

    def _run(self, app: Any, options: dict[str, Any]) -> None:
        from axiomod_jobs.checks import known_task_names
        from axiomod_jobs.factory import beat_schedule

        name = options["name"]
        args, kwargs, send_options = options["job_args"], options["job_kwargs"], {}
        entry = beat_schedule(app).get(name)
        if entry is not None:  # a schedule entry: its task with its arguments
            name = entry["task"]
            args = entry.get("args", ()) if args is None else args
            kwargs = entry.get("kwargs", {}) if kwargs is None else kwargs
            send_options = dict(entry.get("options") or {})
        known = known_task_names()
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise CommandError(f"no job or schedule entry named {name!r}.{hint}")
        task = app.tasks[name]
        from kombu.exceptions import OperationalError
        from kombu.utils.url import maybe_sanitize_url

        try:
            result = task.apply_async(args=args or (), kwargs=kwargs or {}, **send_options)
        except OperationalError as exc:
            broker = maybe_sanitize_url(app.conf.broker_url)
            raise CommandError(f"{name} not enqueued: broker {broker} unreachable: {exc}") from exc
        if app.conf.task_always_eager:
            outcome = f"{result.state}: {result.result!r}"
            if result.failed():
                raise CommandError(f"{name} ran here (no broker configured) and failed: {outcome}")
            self.stdout.write(f"ran {name} here (no broker configured): {outcome}")
            return
        self.stdout.write(f"enqueued {name} as {result.id}")
        if options["wait"] is not None:
            try:
                value = result.get(timeout=options["wait"])
            except Exception as exc:  # the job's own exception, or a timeout
                raise CommandError(f"{name} [{result.id}]: {type(exc).__name__}: {exc}") from exc
            self.stdout.write(f"result: {value!r}")
