"""One consumer of a group with ``async def`` handlers: up to ``in_flight`` messages at once.

The guarantees are the sync runner's (:mod:`axiomod_messaging.runner`), kept the same
way, with several messages in flight:

* a message's offset is recorded as handled only after its coroutine returned, or after
  its dead-letter copy was confirmed; commits are the parent's (every
  ``commit_interval``, on revoke, synchronously at close);
* at most one message per partition is in flight, so each partition is handled in order,
  and at most ``in_flight`` (K) messages in all, of K different partitions;
* retries wait with ``await``: a stop, or the partition being revoked or lost, ends the
  back-off and the message stays unhandled and uncommitted (fetched again by the
  partition's next owner);
* on revoke, the in-flight messages of the revoked partitions are awaited and recorded,
  the handled offsets committed, and the fetched-but-unstarted rest dropped (the next
  owner fetches it again); on lost nothing is committed, and whatever finishes later on
  those partitions is not recorded;
* on stop, nothing new starts, the messages in flight finish (back-offs are interrupted),
  and the parent commits synchronously and closes.

Two threads per consumer. The **consumer thread** keeps everything the sync runner does
with librdkafka (``consume``, commits, the rebalance callbacks, which librdkafka fires on
the thread that polls, the lag gauge). It hands each fetched batch to the **loop thread**,
which runs one asyncio event loop: a worker task per partition with queued messages takes
them one at a time, each holding one of K slots (an ``asyncio.Semaphore``) while it runs
the handler. Each finished message comes back on a ``queue.SimpleQueue`` with the offset
to record. With K > 1 the consumer thread keeps fetching, and pauses a partition
(``Consumer.pause``) once ``batch_size`` of its messages are fetched but unfinished,
resuming it at half: librdkafka hands over fetched messages a partition's chunk at a
time, so a buffer bounded in total would fill with one partition and leave the other
K - 1 slots empty; bounded per partition, every partition with messages has some queued,
and the consumer thread goes on polling (rebalances are served at once) even when every
handler is slow. A resumed partition is fetched again from the broker, a round trip per
``batch_size / 2`` messages of it: nothing next to handlers that wait, which is what K > 1
is for. With K = 1 nothing is paused: the consumer fetches while at most half of
``batch_size`` messages are unfinished, and otherwise waits for them, as the sync runner
waits for its handler. A message fetched again after a resume is recognised by its
offset and skipped.

Why not ``confluent_kafka.aio.AIOConsumer`` (confluent-kafka 2.16): it runs every
``Consumer`` call (``consume``, ``commit``, ``committed``) in a thread pool and the
rebalance callbacks as coroutines on the loop, so the runner's whole consumer side
(commit bookkeeping, rebalance handling, lag, the dead-letter writer) would have to be
rewritten as coroutines beside the sync runner's, two copies of the code that keeps the
delivery guarantee. It also leaves the loop the only place where a slow handler and the
rebalance callback meet: a revoke would have to await the handlers it must wait for
from inside a callback that librdkafka's reentrancy gate serialises. Here the parent's
tested code is reused unchanged; the consumer thread blocks in ``on_revoke`` on futures
that run on the other thread, which cannot deadlock. The cost is one thread hop per
batch (``call_soon_threadsafe``) and a ``SimpleQueue.put`` per message.

Django: an async handler reaches the database through the async ORM, i.e. asgiref's
``sync_to_async`` (thread-sensitive: one process-wide thread holds the connections), so
``close_old_connections`` runs there, through ``sync_to_async``, after every
``batch_size`` messages, when the consumer goes idle, and after every failed try. A sync
handler in the same group runs through ``sync_to_async`` too, on that thread, so it never
blocks the loop. ``reset_pin()`` runs before each try, in the message's own context (each
partition's worker is a task, with its own copy of the context, as is the CONSUMER span
that stays current across the handler's awaits). Dead-letter writes (a blocking,
confirmed produce) run with ``asyncio.to_thread``, which copies the context, so the span
is marked failed. The per-message counters and durations are kept and flushed on the
loop thread only; prometheus_client's children are thread-safe for the rest.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from axiomod.db.routers import reset_pin

from .clients import group_settings
from .message import Message
from .runner import POLL_TIMEOUT, ConsumerRunner, TopicPartition, logger

__all__ = ["AsyncConsumerRunner"]

#: How long ``consume`` waits for a message while others are in flight: short, so finished
#: messages are recorded (and paused partitions resumed) without a ``POLL_TIMEOUT`` of idling.
FETCH_WAIT = 0.01

T = TypeVar("T")

#: (partition, next offset to commit or None when not to be recorded, messages)
Outcome = tuple[TopicPartition, int | None, int]


class AsyncConsumerRunner(ConsumerRunner):
    """A :class:`ConsumerRunner` that awaits coroutine handlers on its own event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The arguments of :class:`ConsumerRunner`; ``in_flight`` is the group's setting."""
        super().__init__(*args, **kwargs)
        self.in_flight = group_settings(self.group, self.kafka).in_flight
        #: With K > 1, a partition holding this many unfinished messages is paused,
        #: resumed at half; with K = 1 the consumer fetches while it holds at most half.
        self.share = max(self.batch_size, 2)
        self.pausing = self.in_flight > 1
        self._calls: dict[str, Callable[[Message], Any]] = {
            topic: entry.func if entry.is_async else sync_to_async(entry.func)
            for topic, entry in self.handlers.items()
        }
        self._event_loop = asyncio.new_event_loop()
        self._loop_thread: threading.Thread | None = None
        self._dispatcher = _Dispatcher(self)
        # Consumer thread only:
        self._outcomes: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._outstanding: collections.Counter[TopicPartition] = collections.Counter()
        self._total = 0
        self._paused: set[TopicPartition] = set()
        self._fetched: dict[TopicPartition, int] = {}  # next offset expected, by partition
        self._failure: BaseException | None = None  # a bug on the loop thread

    # -- the consumer thread --------------------------------------------------------

    def run(self) -> None:
        self._loop_thread = threading.Thread(
            target=self._run_loop, name=f"{threading.current_thread().name}-loop", daemon=True
        )
        self._loop_thread.start()
        try:
            super().run()
        finally:
            self._event_loop.call_soon_threadsafe(self._event_loop.stop)
            self._loop_thread.join()

    def _loop(self) -> None:
        consumer = self.consumer
        while not self.stop.is_set():
            if self._failure is not None:
                raise self._failure
            if self.pausing or self._total <= self.share // 2:
                self._dispatch(self._fetch(consumer, self.batch_size))
                self._collect()
            else:
                self._collect(POLL_TIMEOUT)
            self._tick()

    def _fetch(self, consumer: Any, room: int) -> list:
        """Up to ``room`` messages: what librdkafka has queued, else the first to arrive.

        ``consume(n, timeout)`` waits until it has ``n`` messages or the timeout passed,
        so a partly filled queue would cost a whole timeout of idle slots; instead take
        what is queued without waiting, and if nothing is, wait for one message only
        (``POLL_TIMEOUT`` when idle, ``FETCH_WAIT`` while messages are in flight).
        """
        batch = consumer.consume(room, 0)
        if batch:
            return batch
        batch = consumer.consume(1, POLL_TIMEOUT if self._total == 0 else FETCH_WAIT)
        if batch and room > 1:
            batch.extend(consumer.consume(room - 1, 0))
        return batch

    def _dispatch(self, batch: list) -> None:
        """Hand the fetched messages to the loop; pause partitions past their share."""
        accepted = []
        for raw in batch:
            if raw.error() is not None:
                self._client_error(raw.error())
                continue
            key = (raw.topic(), raw.partition())
            expected = self._fetched.get(key)
            if expected is not None and raw.offset() < expected:
                continue  # fetched again after a resume: already in the buffer or handled
            self._fetched[key] = raw.offset() + 1
            self._outstanding[key] += 1
            accepted.append(raw)
        if not accepted:
            return
        self._total += len(accepted)
        self._event_loop.call_soon_threadsafe(self._dispatcher.accept, accepted)
        if not self.pausing:
            return
        full = {
            (raw.topic(), raw.partition())
            for raw in accepted
            if self._outstanding[(raw.topic(), raw.partition())] >= self.share
        } - self._paused
        if full:
            self._pause_or_resume(full, pause=True)

    def _collect(self, timeout: float = 0.0) -> None:
        """Record the messages the loop finished (waiting up to ``timeout`` for one);
        resume partitions drained to half."""
        try:
            outcome = self._outcomes.get(block=timeout > 0, timeout=timeout or None)
        except queue.Empty:
            return
        recorded = False
        resume = set()
        while True:
            key, next_offset, count = outcome
            self._total -= count
            left = self._outstanding[key] = self._outstanding[key] - count
            if left <= 0:
                del self._outstanding[key]
            if next_offset is not None:
                self._handled[key] = next_offset
                recorded = True
            if key in self._paused and left <= self.share // 2:
                resume.add(key)
            try:
                outcome = self._outcomes.get_nowait()
            except queue.Empty:
                break
        if resume:
            self._pause_or_resume(resume, pause=False)
        if recorded and not self.commit_interval:
            self._commit(asynchronous=False)

    def _pause_or_resume(self, keys: set[TopicPartition], *, pause: bool) -> None:
        import confluent_kafka

        partitions = [confluent_kafka.TopicPartition(*key) for key in sorted(keys)]
        try:
            (self.consumer.pause if pause else self.consumer.resume)(partitions)
        except confluent_kafka.KafkaException as exc:  # revoked meanwhile: nothing to do
            logger.debug("group %s: pause/resume of %s: %s", self.group, keys, exc)
        if pause:
            self._paused |= keys
        else:
            self._paused -= keys

    def _on_call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for it (from the consumer thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._event_loop).result()

    def _end_of_batch(self) -> None:
        self._on_call(self._dispatcher.flush())

    def _close(self) -> None:
        """Let the messages in flight finish, record them; then the parent commits, closes."""
        try:
            self._on_call(self._dispatcher.finish())
            self._collect()
        finally:
            super()._close()

    def _on_assign(self, consumer: Any, partitions: list) -> None:
        self._reset([(tp.topic, tp.partition) for tp in partitions])
        super()._on_assign(consumer, partitions)

    def _on_revoke(self, consumer: Any, partitions: list) -> None:
        """Await the revoked partitions' messages in flight, then the parent commits them."""
        self._leave(partitions, wait=True)
        super()._on_revoke(consumer, partitions)

    def _on_lost(self, consumer: Any, partitions: list) -> None:
        """Record nothing that finishes later on the lost partitions; the parent forgets."""
        self._leave(partitions, wait=False)
        super()._on_lost(consumer, partitions)

    def _leave(self, partitions: list, *, wait: bool) -> None:
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self._on_call(self._dispatcher.leave(keys, wait=wait))
        self._collect()
        self._reset(keys)

    def _reset(self, keys: list[TopicPartition]) -> None:
        for key in keys:
            self._paused.discard(key)
            self._fetched.pop(key, None)

    # -- the loop thread ------------------------------------------------------------

    def _run_loop(self) -> None:
        loop = self._event_loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            # A flush the last worker scheduled may still be running: let it end.
            loop.run_until_complete(
                asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True)
            )
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _ahandle(self, raw: Any, key: TopicPartition, epoch: int) -> bool:
        """Handle one message; False when it was interrupted before it was done."""
        topic = raw.topic()
        started = time.perf_counter()
        if self._traced:
            with self._span(raw):
                done = await self._atries(raw, topic, key, epoch)
        else:
            done = await self._atries(raw, topic, key, epoch)
        self._durations.add(self.metrics.child("seconds", topic), time.perf_counter() - started)
        return done

    async def _atries(self, raw: Any, topic: str, key: TopicPartition, epoch: int) -> bool:
        try:
            value = self._decode(raw, topic)
        except Exception as exc:
            return await asyncio.to_thread(self._dead_letter, raw, exc, 0, "invalid")
        call = self._calls[topic]
        delay = self.retry.backoff_initial
        attempt = 1
        while True:
            reset_pin()
            try:
                result = call(Message(raw, value, self.group, attempt))
                while inspect.isawaitable(result):
                    result = await result
            except Exception as exc:
                error = exc
            else:
                self._ok[topic] += 1
                return True
            await sync_to_async(close_old_connections)()  # where the ORM's connections live
            if not self._try_again(raw, error, attempt, delay):
                return await asyncio.to_thread(self._dead_letter, raw, error, attempt, "error")
            if not await self._dispatcher.backoff(key, epoch, delay):
                return False
            attempt += 1
            delay = self._next_delay(delay)

    async def _aend_of_batch(self) -> None:
        """The parent's per-batch bookkeeping, on the loop thread that records it."""
        await sync_to_async(close_old_connections)()
        for topic, count in self._ok.items():
            self.metrics.child("consumed", topic, "ok").inc(count)
        self._ok.clear()
        self._durations.flush()


class _Dispatcher:
    """The loop thread's side: per-partition FIFO queues, one worker task per partition
    with queued messages, K slots. Every method runs on the loop thread."""

    def __init__(self, runner: AsyncConsumerRunner) -> None:
        self.runner = runner
        self.slots = asyncio.Semaphore(runner.in_flight)
        self.queues: dict[TopicPartition, collections.deque] = {}
        self.workers: dict[TopicPartition, asyncio.Task] = {}
        self.epochs: collections.Counter[TopicPartition] = collections.Counter()
        self.leaving: set[TopicPartition] = set()
        self.stopping = False
        self.changed = asyncio.Event()  # set (and replaced) when stop/revoke/lost happen
        self.since_flush = 0
        self.flushing: asyncio.Task | None = None

    def accept(self, batch: list) -> None:
        loop = asyncio.get_running_loop()
        for raw in batch:
            key = (raw.topic(), raw.partition())
            pending = self.queues.get(key)
            if pending is None:
                pending = self.queues[key] = collections.deque()
            pending.append(raw)
            if key not in self.workers:
                self.workers[key] = loop.create_task(self._work(key, pending))

    async def _work(self, key: TopicPartition, pending: collections.deque) -> None:
        runner, outcomes = self.runner, self.runner._outcomes
        try:
            while pending and not self.stopping:
                async with self.slots:
                    if self.stopping or not pending:
                        break
                    raw = pending.popleft()
                    epoch = self.epochs[key]
                    done = await runner._ahandle(raw, key, epoch)
                recorded = done and epoch == self.epochs[key]  # not after the partition was lost
                outcomes.put((key, raw.offset() + 1 if recorded else None, 1))
                self.since_flush += 1
                if self.since_flush >= runner.batch_size:
                    self._flush_soon()
        except Exception as exc:  # a bug, not a handler's error (those are caught): stop
            logger.exception("consumer of group %s: the event loop's worker failed", runner.group)
            runner._failure = exc
        finally:
            if pending and self.queues.get(key) is pending:
                self._drop(key)
            if self.queues.get(key) is pending:
                del self.queues[key]
            del self.workers[key]
            if not self.workers:
                self._flush_soon()

    def _drop(self, key: TopicPartition) -> None:
        pending = self.queues.get(key)
        if pending:
            self.runner._outcomes.put((key, None, len(pending)))
            pending.clear()

    def _poke(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def backoff(self, key: TopicPartition, epoch: int, delay: float) -> bool:
        """Wait ``delay`` before a retry; False if a stop, revoke or loss came first."""
        deadline = asyncio.get_running_loop().time() + delay
        while not (self.stopping or key in self.leaving or self.epochs[key] != epoch):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return True
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                return True
        return False

    async def leave(self, keys: list[TopicPartition], *, wait: bool) -> None:
        """Revoked (``wait``: finish what is in flight) or lost partitions: drop the rest."""
        self.leaving.update(keys)
        if not wait:
            for key in keys:
                self.epochs[key] += 1  # what finishes later is not recorded
        self._poke()
        for key in keys:
            self._drop(key)
        running = [self.workers[key] for key in keys if key in self.workers]
        try:
            if wait and running:
                await asyncio.gather(*running, return_exceptions=True)
        finally:
            self.leaving.difference_update(keys)
            if wait:
                for key in keys:
                    self.epochs[key] += 1

    async def finish(self) -> None:
        """Stop: start nothing new, let the messages in flight finish, flush."""
        self.stopping = True
        self._poke()
        for key in list(self.queues):
            self._drop(key)
        running = list(self.workers.values())
        if self.flushing is not None:
            running.append(self.flushing)
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        await self.flush()

    def _flush_soon(self) -> None:
        self.since_flush = 0
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        await self.runner._aend_of_batch()
