"""Signals axiomod sends, for apps that must act in serving processes only.

``serving_started`` is sent by :func:`axiomod.wsgi.get_wsgi_application` and
:func:`axiomod.asgi.get_asgi_application` once the configuration is valid: a process
that loads the WSGI/ASGI application serves requests, unlike ``manage.py migrate`` or
``shell``. ``manage.py axiomod_consume`` sends it too (``sender="kafka consumer"``): a
consumer process serves messages. The metrics app starts its dedicated port on it.

``serving_stopping`` is sent by a transport when it has been asked to stop (SIGTERM) and
is about to drain: the health app answers ``/ready`` (and the gRPC health service) with
"not serving" from then on, so that Kubernetes takes the pod out of its endpoints while
the requests in flight finish. The transport, not the health app, owns the signal
handling; the health app only listens. So a transport needs no import of the health app,
and an app of ours or a project's can act on the same moment (stop a poller, say).

``serving_stopped`` is sent once a process has finished serving and is about to exit:
under an ASGI server, from the lifespan protocol's ``shutdown`` event (which Django's own
handler does not speak; :mod:`axiomod.process.asgi` answers it). Receivers flush and
release what outlives requests (buffered spans, a worker's live metrics files).
"""

from django.dispatch import Signal

__all__ = ["serving_started", "serving_stopped", "serving_stopping"]

#: Sent with ``sender`` = ``"wsgi"``, ``"asgi"`` or ``"kafka consumer"``.
serving_started = Signal()

#: Sent with ``sender`` = the transport (``"wsgi"``, ``"grpc"``...) once per process,
#: in the thread that handles the stop request; receivers must return quickly.
serving_stopping = Signal()

#: Sent with ``sender`` = the transport (``"asgi"``...) once per process, after the last
#: request finished and before the process exits.
serving_stopped = Signal()
