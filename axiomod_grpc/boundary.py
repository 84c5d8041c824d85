"""The call's boundary for Django: ``request_started``/``request_finished`` around each call.

What Django's handlers do around an HTTP request, done around a gRPC call: the receivers
of Django's request signals run (Django's own close the connections that are too old or
broken and reset the query log and the caches; axiomod's resets the replica pin; a
project's own run too). Database connections are recycled per call as they are per
request.

Reduced to what those receivers achieve (#22), measured per call in ``bench grpc``'s
in-process loop (25 µs for the receivers through ``Signal.send`` before):

* Django's ``reset_queries`` and ``close_old_connections``, both run on
  ``request_started``, each walk the thread's connections (asgiref ``Local`` lookups,
  ~3 µs a walk); here one walk does both for each connection.
* Django's ``close_caches`` (``request_finished``) calls ``close()`` on the caches this
  thread used; for every backend but memcached's that is ``BaseCache.close``, which does
  nothing, yet finding the used caches costs ~8 µs (a failed ``hasattr`` per alias). It
  is left out when no backend in ``CACHES`` has a ``close()`` of its own (decided again
  when ``CACHES`` changes), and run as Django runs it otherwise.

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
from collections.abc import Callable
from typing import Any

from django.core.cache import close_caches
from django.core.signals import request_finished, request_started, setting_changed
from django.db import close_old_connections, connections, reset_queries
from django.dispatch import Signal
from django.utils.module_loading import import_string

__all__ = ["SENDER", "CallSignal", "call_finished", "call_started"]

#: The ``sender`` of the request signals sent around a gRPC call.
SENDER = "axiomod.grpc"


def reset_queries_and_close_old_connections(**kwargs: Any) -> None:
    """Django's ``reset_queries`` then ``close_old_connections``, in one walk."""
    for conn in connections.all(initialized_only=True):
        conn.queries_log.clear()
        conn.close_if_unusable_or_obsolete()


def caches_close_nothing() -> bool:
    """Whether ``close()`` is ``BaseCache.close`` (a no-op) for every backend in ``CACHES``."""
    from django.conf import settings
    from django.core.cache.backends.base import BaseCache

    for params in settings.CACHES.values():
        try:
            backend = import_string(params["BACKEND"])
        except (ImportError, KeyError):
            return False  # Django reports it where it uses the cache
        if getattr(backend, "close", None) is not BaseCache.close:
            return False
    return True


def _reduced(receivers: list[tuple[Any, bool]]) -> list[tuple[Any, bool]]:
    """Django's own receivers replaced by what they achieve, at less cost (see above)."""
    functions: list[Callable[..., Any] | None] = [
        receiver() if weak else receiver for receiver, weak in receivers
    ]
    reduced: list[tuple[Any, bool]] = []
    index = 0
    while index < len(receivers):
        function = functions[index]
        following = functions[index + 1] if index + 1 < len(receivers) else None
        if function is reset_queries and following is close_old_connections:
            reduced.append((reset_queries_and_close_old_connections, False))
            index += 2
            continue
        if function is close_caches and caches_close_nothing():
            index += 1
            continue
        reduced.append(receivers[index])
        index += 1
    return reduced


#: An entry of ``Signal.receivers`` for another sender.
_OTHER_SENDER: Any = object()


def _entry(entry: tuple) -> tuple[Any, bool] | None:
    """``(receiver or weak reference, is weak)`` from one entry of ``Signal.receivers``.

    Django 5.2 keeps ``(lookup key, receiver, is_async)``, 6.0 and later
    ``(lookup key, receiver, sender_ref, is_async)``. Returns :data:`_OTHER_SENDER` for a
    receiver of another sender, and None for what is left to ``Signal.send``: an async
    receiver, an unknown layout, a receiver bound to an object sender (whose weak
    reference ``send`` checks).
    """
    if len(entry) == 3:
        key, receiver, is_async = entry
        sender_ref = None
    elif len(entry) == 4:
        key, receiver, sender_ref, is_async = entry
    else:
        return None
    if is_async or not isinstance(key, tuple) or len(key) != 2:
        return None
    if key[1] not in (_NONE_ID, _SENDER_ID):
        return _OTHER_SENDER
    if sender_ref is not None:
        return None
    return receiver, isinstance(receiver, weakref.ReferenceType)


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
            for entry in seen:
                found = _entry(entry)
                if found is None:  # a layout or a case left to Signal.send
                    resolved = None
                    break
                if found is not _OTHER_SENDER:
                    resolved.append(found)
        self._receivers = None if resolved is None else tuple(_reduced(resolved))
        self._seen = seen

    def forget(self) -> None:
        """Resolve the receivers again at the next send (``CACHES`` changed)."""
        self._seen = None

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

_STARTED = CallSignal(request_started)
_FINISHED = CallSignal(request_finished)
call_started = _STARTED.send
call_finished = _FINISHED.send


def _caches_changed(setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        _FINISHED.forget()


setting_changed.connect(_caches_changed)
