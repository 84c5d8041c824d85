"""Signals axiomod sends, for apps that must act in serving processes only.

``serving_started`` is sent by :func:`axiomod.wsgi.get_wsgi_application` and
:func:`axiomod.asgi.get_asgi_application` once the configuration is valid: a process
that loads the WSGI/ASGI application serves requests, unlike ``manage.py migrate`` or
``shell``. ``manage.py axiomod_consume`` sends it too (``sender="kafka consumer"``): a
consumer process serves messages. The metrics app starts its dedicated port on it.
"""

from django.dispatch import Signal

#: Sent with ``sender`` = ``"wsgi"``, ``"asgi"`` or ``"kafka consumer"``.
serving_started = Signal()
