"""Running consumer groups in one process, and stopping them cleanly on SIGTERM.

Each consumer is a :class:`~axiomod_messaging.runner.ConsumerRunner` on its own thread
(``concurrency`` per group; an :class:`~axiomod_messaging.async_runner.AsyncConsumerRunner`,
with an event loop on a second thread, for a group with ``async def`` handlers), so a
group's consumers share partitions like separate pods would. The main thread only waits:
on the first SIGTERM or SIGINT it asks every runner to stop, gives them
``shutdown_timeout`` seconds to finish the messages in hand, commit and close, and returns
0 if they all did. A second signal, or the deadline, ends the process at once with status
1: what was not committed is fetched again by the next consumer, which is what
at-least-once allows.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Mapping
from typing import Any

from .async_runner import AsyncConsumerRunner
from .clients import group_settings, kafka_settings
from .registry import Handler
from .runner import ConsumerRunner

__all__ = ["Supervisor"]

logger = logging.getLogger("axiomod.kafka")


class Supervisor:
    """The consumers of ``plan`` (group -> topic -> handler), started and stopped together."""

    def __init__(self, plan: Mapping[str, Mapping[str, Handler]]) -> None:
        self.stop = threading.Event()
        self.shutdown_timeout = kafka_settings().shutdown_timeout
        self.runners = [
            runner_class(handlers)(group, handlers, self.stop)
            for group, handlers in plan.items()
            for _ in range(group_settings(group).concurrency)
        ]
        self._threads: list[threading.Thread] = []
        self._signals = 0

    def start(self) -> None:
        for index, runner in enumerate(self.runners):
            thread = threading.Thread(
                target=runner.run, name=f"kafka-{runner.group}-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals == 1:
            logger.info(
                "%s: finishing the messages in hand and committing (up to %.0f s)",
                name,
                self.shutdown_timeout,
            )
            self.stop.set()
        else:
            logger.warning("%s again: exiting without waiting for the consumers", name)
            logging.shutdown()
            os._exit(1)  # not SystemExit: exit hooks would flush the producer first

    def wait(self) -> int:
        """Block until stopped (or a runner fails); the exit status for the process."""
        while not self.stop.is_set():
            if any(runner.error is not None for runner in self.runners) or not any(
                t.is_alive() for t in self._threads
            ):
                self.stop.set()
                break
            self.stop.wait(0.5)
        deadline = time.monotonic() + self.shutdown_timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            logger.error(
                "consumers %s did not finish within shutdown_timeout (%.0f s); exiting anyway,"
                " their uncommitted messages will be consumed again",
                ", ".join(stuck),
                self.shutdown_timeout,
            )
            return 1
        return 1 if any(runner.error is not None for runner in self.runners) else 0

    def run(self) -> int:
        self.install_signal_handlers()
        self.start()
        return self.wait()


def runner_class(handlers: Mapping[str, Handler]) -> type[ConsumerRunner]:
    """The async runner for a group with an ``async def`` handler, else the sync one.

    A group that mixes both runs on the async runner, its sync handlers through asgiref's
    ``sync_to_async`` (so they never block the event loop).
    """
    if any(entry.is_async for entry in handlers.values()):
        return AsyncConsumerRunner
    return ConsumerRunner


def build_plan(
    groups: list[str] | None = None, topics: list[str] | None = None
) -> dict[str, dict[str, Handler]]:
    """Group -> topic -> handler for the command line's ``--group``/``--topic``.

    No ``--group`` means every group that has handlers. A group's topics are its
    ``topics`` setting, or else its handlers' topics. Raises ValueError naming what is
    wrong (a group without handlers, a topic nobody handles).
    """
    from .registry import registry

    known = list(dict.fromkeys([*kafka_settings().groups, *registry.groups()]))
    chosen = groups or registry.groups()
    if not chosen:
        raise ValueError(
            "no Kafka handlers are registered: add @handler functions to <app>/handlers.py"
        )
    plan: dict[str, dict[str, Handler]] = {}
    for group in chosen:
        if group not in known:
            raise ValueError(f"unknown group {group!r}; groups: {', '.join(known) or 'none'}")
        handlers = registry.for_group(group)
        wanted = list(group_settings(group).topics) or list(handlers)
        if topics:
            wanted = [t for t in wanted if t in topics]
        missing = [t for t in wanted if t not in handlers]
        if missing:
            raise ValueError(f"group {group!r} has no handler for {', '.join(missing)}")
        refused = [
            f"{handlers[t].name} is {handlers[t].unsupported}"
            for t in wanted
            if handlers[t].unsupported
        ]
        if refused:  # reached with --skip-checks only: axiomod.E045 reports it first
            raise ValueError(f"group {group!r}: {'; '.join(refused)}")
        if wanted:
            plan[group] = {topic: handlers[topic] for topic in wanted}
    if not plan:
        raise ValueError(f"no handler of {', '.join(chosen)} consumes {', '.join(topics or [])}")
    return plan
