"""gunicorn configuration module: ``gunicorn -c python:axiomod.gunicorn_config project.wsgi``.

A stable public path (Makefiles, Procfiles, a project's ``gunicorn.conf.py`` that starts
with ``from axiomod.gunicorn_config import *``); the settings and hooks live in the
composition root, :mod:`axiomod.process.gunicorn_config`, whose docstring says what
each does. gunicorn reads the module's public names, so they are re-exported by name.
"""

from axiomod.process.gunicorn_config import (
    child_exit,
    control_socket_disable,
    limit_request_field_size,
    on_exit,
    on_starting,
    post_worker_init,
    when_ready,
    worker_exit,
)

__all__ = [
    "child_exit",
    "control_socket_disable",
    "limit_request_field_size",
    "on_exit",
    "on_starting",
    "post_worker_init",
    "when_ready",
    "worker_exit",
]
