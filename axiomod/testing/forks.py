"""grpcio's fork handlers off in a process that starts servers: the test run, a benchmark.

The kit starts servers with ``subprocess`` and a ``preexec_fn`` (the parent-death signal),
so a real ``fork()``, while gRPC is active in the same process (the OTLP receiver, gRPC
clients). Since grpcio 1.80 (still so on 1.85), grpcio's fork handlers can make such a
child abort between fork and exec with "epoll_wait error: Bad file descriptor"
(grpc/grpc#43055, open): ``bench grpc`` lost about one server start in ten to it.
``GRPC_ENABLE_FORK_SUPPORT=false`` keeps the handlers out (unless the variable is set
already). grpcio reads it when it is first imported, so this module must be imported
before grpcio is: ``python -m bench`` imports it first, and the pytest plugin does when it
is loaded with ``-p axiomod.testing.pytest_plugin`` (before pytest-django sets Django up,
which imports grpcio when ``axiomod_grpc`` is installed). The servers started inherit the
setting; none of them uses gRPC objects made before a fork (tracing, the broker and
database clients are made again in each worker).
"""

from __future__ import annotations

import os

__all__ = ["FORK_SUPPORT"]

#: The value in effect for this process and the servers it starts.
FORK_SUPPORT = os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
