"""The call boundary runs what Django's request signals run, as ``Signal.send(SENDER)`` would.

:class:`axiomod_grpc.boundary.CallSignal` resolves a signal's receivers once and again
only when they change, and replaces two of Django's receivers by what they achieve;
these tests pin that it never calls a receiver Django would not, nor misses the effect
of one Django would (``test_chain_guarantees`` checks the same end to end).
"""

from __future__ import annotations

import gc

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished, request_started
from django.db import connections
from django.dispatch import Signal
from django.test import override_settings

from axiomod_grpc.boundary import (
    SENDER,
    CallSignal,
    call_finished,
    reset_queries_and_close_old_connections,
)


@pytest.fixture
def signal() -> Signal:
    return Signal()


def recorder(calls: list, name: str):
    def receiver(signal, sender, **kwargs):
        calls.append((name, signal, sender, kwargs))

    return receiver


def test_receivers_run_in_djangos_order_with_the_same_arguments(signal):
    calls: list = []
    first, second = recorder(calls, "first"), recorder(calls, "second")
    signal.connect(first)
    signal.connect(second)
    CallSignal(signal).send()
    assert calls == [("first", signal, SENDER, {}), ("second", signal, SENDER, {})]


def test_receivers_connected_or_disconnected_later_are_seen(signal):
    calls: list = []
    sending = CallSignal(signal)
    sending.send()
    assert calls == []
    early, late = recorder(calls, "early"), recorder(calls, "late")
    signal.connect(early)
    sending.send()
    signal.connect(late)
    sending.send()
    signal.disconnect(early)
    sending.send()
    assert [name for name, *_ in calls] == ["early", "early", "late", "late"]


def test_only_receivers_for_any_sender_or_for_grpc_calls(signal):
    calls: list = []
    anyone, ours, theirs = (recorder(calls, name) for name in ("any", "ours", "theirs"))
    signal.connect(anyone)
    signal.connect(ours, sender=SENDER)
    signal.connect(theirs, sender="somebody.else")
    CallSignal(signal).send()
    assert [name for name, *_ in calls] == ["any", "ours"]


def test_a_collected_weak_receiver_is_not_called(signal):
    calls: list = []

    class Owner:
        def receive(self, signal, sender, **kwargs):
            calls.append("owner")

    owner = Owner()
    signal.connect(owner.receive)  # weak: a bound method, referenced weakly
    sending = CallSignal(signal)
    sending.send()
    del owner
    gc.collect()
    sending.send()
    assert calls == ["owner"]


def test_an_async_receiver_is_left_to_django(signal):
    calls: list = []

    async def receiver(signal, sender, **kwargs):
        calls.append(("async", sender))

    signal.connect(receiver)
    signal.connect(recorder(calls, "sync"), weak=False)
    CallSignal(signal).send()
    assert sorted(call[0] for call in calls) == ["async", "sync"]


def test_a_receivers_error_propagates_as_with_send(signal):
    def broken(signal, sender, **kwargs):
        raise RuntimeError("receiver failed")

    signal.connect(broken)
    with pytest.raises(RuntimeError, match="receiver failed"):
        CallSignal(signal).send()


def resolved(sending: CallSignal) -> list:
    return [receiver() if weak else receiver for receiver, weak in sending._receivers]


def test_reset_queries_then_close_old_connections_become_one_walk(signal):
    from django.db import close_old_connections, reset_queries

    calls: list = []
    mine = recorder(calls, "mine")
    for receiver in (mine, reset_queries, close_old_connections):
        signal.connect(receiver)
    signal.connect(recorder(calls, "last"), weak=False)
    sending = CallSignal(signal)
    sending._resolve()
    assert resolved(sending)[:2] == [mine, reset_queries_and_close_old_connections]
    assert len(resolved(sending)) == 3
    # not one after the other (a project connected one in between): both kept as they are
    other = Signal()
    for receiver in (reset_queries, mine, close_old_connections):
        other.connect(receiver)
    sending = CallSignal(other)
    sending._resolve()
    assert resolved(sending) == [reset_queries, mine, close_old_connections]


@pytest.mark.django_db
def test_at_call_start_the_query_log_is_reset_and_old_connections_checked(monkeypatch):
    connection = connections["default"]  # the wrapper itself, not the proxy
    checked: list[bool] = []
    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: checked.append(True))
    monkeypatch.setattr(connection, "force_debug_cursor", True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.queries_log
    CallSignal(request_started).send()
    assert not connection.queries_log
    assert checked == [True]


def test_close_caches_is_left_out_while_every_cache_backend_closes_nothing():
    from django.core.cache import close_caches

    sending = CallSignal(request_finished)
    sending._resolve()
    assert close_caches not in resolved(sending)  # the test settings' caches: LocMem
    assert close_caches in request_finished._live_receivers(SENDER)[0]


@pytest.mark.django_db
def test_a_cache_backend_with_a_close_of_its_own_is_closed_after_each_call():
    from django.core.cache import caches

    ClosingCache.closed = 0
    call_finished()  # resolved under the LocMem cache: close_caches left out
    with override_settings(CACHES={"default": {"BACKEND": f"{__name__}.ClosingCache"}}):
        caches["default"].set("k", "v")  # used in this thread, as a servicer would
        for _ in range(2):
            call_finished()
        assert ClosingCache.closed == 2
    closed = ClosingCache.closed  # Django closes the caches when CACHES changes
    call_finished()  # the change is seen: LocMem again, close_caches left out
    assert ClosingCache.closed == closed


class ClosingCache(LocMemCache):
    closed = 0

    def close(self, **kwargs):
        type(self).closed += 1


def test_both_layouts_of_djangos_receiver_list_are_read():
    """Django 5.2: (key, receiver, is_async); 6.0 and later: (key, receiver, sender_ref,
    is_async). Whatever else is left to Signal.send."""
    from axiomod_grpc.boundary import _NONE_ID, _OTHER_SENDER, _SENDER_ID, _entry

    def receiver(**kwargs):
        pass

    for ours in (_NONE_ID, _SENDER_ID):
        assert _entry(((1, ours), receiver, False)) == (receiver, False)
        assert _entry(((1, ours), receiver, None, False)) == (receiver, False)
    assert _entry(((1, 12345), receiver, None, False)) is _OTHER_SENDER
    assert _entry(((1, _NONE_ID), receiver, True)) is None  # async
    assert _entry(((1, _NONE_ID), receiver, None, True)) is None
    assert _entry(((1, _NONE_ID), receiver)) is None  # a layout we do not know
