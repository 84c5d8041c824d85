"""The ``--asyncio`` server's stop: calls cancelled at the end of the grace period.

grpc.aio cancels the calls still running when ``server.stop(grace)`` runs out; each
cancelled handler task ends with ``asyncio.CancelledError``, which grpcio's Cython layer
logged at ERROR with a traceback (``Exception not handled ... CancelledError``), a
reflection stream included. A clean stop logs one INFO line with the count instead.
"""

from __future__ import annotations

import queue
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.grpc.servers import GrpcServer
from tests.servers import manage

pytestmark = pytest.mark.integration


def test_calls_cancelled_at_the_end_of_grace_log_one_info_line(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.grpc.project.settings",
        "AXIOMOD_DRAIN_SECONDS": "0",
        "AXIOMOD_TEST_GRACE": "1",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    outcomes: list[grpc.StatusCode] = []
    requests: queue.Queue = queue.Queue()

    def reflection_requests():
        while (item := requests.get()) is not None:
            yield item

    with (
        GrpcServer(env, tmp_path / "grpc.log", ("--asyncio",)) as server,
        server.channel() as channel,
    ):
        # A reflection stream left open (as grpcurl or an IDE keep one), a health Watch,
        # and a unary call longer than the grace period (1 s).
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            reflection_requests(), timeout=60
        )
        requests.put(reflection_pb2.ServerReflectionRequest(list_services=""))
        assert next(reflection).list_services_response.service
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(), timeout=60
        )
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING

        def slow() -> None:
            try:
                channel.unary_unary("/tests.Probe/Slow")(b"4", timeout=60)
            except grpc.RpcError as exc:
                outcomes.append(exc.code())

        call = threading.Thread(target=slow)
        call.start()
        time.sleep(0.5)  # the call is in its handler
        server.terminate()
        assert server.wait(30) == 0, server.log()[-3000:]
        call.join(30)
        requests.put(None)
    log = server.log()
    assert "ERROR" not in log and "Traceback" not in log and "CancelledError" not in log, log
    stopped = [line for line in log.splitlines() if "calls cancelled" in line]
    assert len(stopped) == 1, log
    assert " INFO axiomod.grpc " in stopped[0], stopped
    assert stopped[0].endswith("calls cancelled at the end of the 1 s grace period: 3"), stopped
    # The unary call (4 s) outlived the grace period: its client hears so.
    assert outcomes == [grpc.StatusCode.UNAVAILABLE]
