"""The call's boundary for Django: ``request_started``/``request_finished`` around each call.

What Django's handlers do around an HTTP request, done around a gRPC call: the receivers
of Django's request signals run (Django's own close the connections that are too old or
broken and reset the query log and the caches; axiomod's resets the replica pin; a
project's own run too). Database connections are recycled per call as they are per
request.

Why not ``Signal.send``: it re-resolves the receivers on every send (``request_started``
is not a caching signal), taking a lock, dereferencing weak references and splitting
sync from async receivers: ~9 µs of the ~18 µs both signals cost per call in
``bench grpc``'s profile, more than some receivers themselves. :class:`CallSignal`
resolves them once and again only when the signal's receivers change (``connect``,
``disconnect`` and the clean-up of dead weak references all change that list), then
calls the same receivers, in the same order, with the same arguments. A signal with an
async receiver is sent by Django itself, as before.
"""

from __future__ import annotations

import weakref
from typing import Any

from django.core.signals import request_finished, request_started
from django.dispatch import Signal

__all__ = ["SENDER", "CallSignal", "call_finished", "call_started"]

#: The ``sender`` of the request signals sent around a gRPC call.
SENDER = "axiomod.grpc"


class CallSignal:
    """One of Django's request signals, sent by :data:`SENDER` without per-send lookups."""

    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._seen: list[Any] | None = None
        self._receivers: tuple[tuple[Any, bool], ...] | None = ()

    def _resolve(self) -> None:
        signal = self._signal
        with signal.lock:
            seen = list(signal.receivers)
            resolved: list[tuple[Any, bool]] | None = []
            # The layout of Signal.receivers since Django 5.0: (lookup key, receiver or a
            # weak reference to it, is_async). Anything else is left to Signal.send.
            for entry in seen:
                if len(entry) != 3 or entry[2] or len(entry[0]) != 2:
                    resolved = None
                    break
                (_, sender_key), receiver, _ = entry
                if sender_key not in (_NONE_ID, _SENDER_ID):
                    continue
                resolved.append((receiver, isinstance(receiver, weakref.ReferenceType)))
        self._receivers = None if resolved is None else tuple(resolved)
        self._seen = seen

    def send(self) -> None:
        """Run the signal's receivers for a gRPC call, as ``signal.send(SENDER)`` would."""
        signal = self._signal
        if signal.receivers != self._seen:
            self._resolve()
        receivers = self._receivers
        if receivers is None:
            signal.send(sender=SENDER)
            return
        for receiver, weak in receivers:
            if weak:
                receiver = receiver()
                if receiver is None:  # collected: Django skips it too
                    continue
            receiver(signal=signal, sender=SENDER)


def _make_id(target: Any) -> Any:
    from django.dispatch.dispatcher import _make_id as make_id

    return make_id(target)


_NONE_ID = _make_id(None)
_SENDER_ID = _make_id(SENDER)

call_started = CallSignal(request_started).send
call_finished = CallSignal(request_finished).send
