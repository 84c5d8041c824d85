"""The ASGI lifespan protocol of axiomod's ASGI handler, driven in-process (asgiref's
ApplicationCommunicator plays the server); the real servers are in the other modules."""

from __future__ import annotations

import asyncio
import signal

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler

from axiomod.process.asgi import AxiomodASGIHandler
from axiomod.signals import serving_stopped


@pytest.fixture
def app():
    """The handler, with this process's SIGTERM handler put back afterwards (startup
    installs the health app's draining handler)."""
    previous = signal.getsignal(signal.SIGTERM)
    yield AxiomodASGIHandler()
    signal.signal(signal.SIGTERM, previous)


def lifespan(app: AxiomodASGIHandler, *events: str) -> list[dict]:
    """Send ``lifespan.<event>`` messages in turn; the handler's answers."""

    async def run() -> list[dict]:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        communicator = ApplicationCommunicator(app, scope)
        answers = []
        for event in events:
            await communicator.send_input({"type": f"lifespan.{event}"})
            answers.append(await communicator.receive_output(10))
        await communicator.wait(10)
        return answers

    return asyncio.run(run())


def test_it_is_still_djangos_handler(app):
    assert isinstance(app, ASGIHandler)


def test_startup_installs_the_drain_and_shutdown_sends_serving_stopped(app):
    def server_handler(signum, frame):  # what uvicorn has set by the lifespan startup
        raise AssertionError("not called here")

    signal.signal(signal.SIGTERM, server_handler)
    received = []

    def receiver(sender, **kwargs):
        received.append(sender)

    serving_stopped.connect(receiver)
    try:
        answers = lifespan(app, "startup", "shutdown")
    finally:
        serving_stopped.disconnect(receiver)
    assert answers == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    # The health app's draining handler now sits in front of the server's.
    assert signal.getsignal(signal.SIGTERM) is not server_handler
    assert received == ["asgi"]


def test_a_failing_receiver_is_shutdown_failed_with_its_message(app):
    def receiver(sender, **kwargs):
        raise RuntimeError("metrics directory is gone")

    serving_stopped.connect(receiver)
    try:
        answers = lifespan(app, "startup", "shutdown")
    finally:
        serving_stopped.disconnect(receiver)
    assert answers[1] == {
        "type": "lifespan.shutdown.failed",
        "message": "RuntimeError: metrics directory is gone",
    }


def test_a_startup_error_is_startup_failed_with_its_message(app, monkeypatch):
    from axiomod_health import shutdown

    def broken() -> bool:
        raise OSError("no signals here")

    monkeypatch.setattr(shutdown, "install_for_this_process", broken)
    assert lifespan(app, "startup") == [
        {"type": "lifespan.startup.failed", "message": "OSError: no signals here"}
    ]


def test_http_is_served_by_django(app):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/live",
        "raw_path": b"/live",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def run() -> dict:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(10)
        await communicator.receive_output(10)
        await communicator.wait(10)
        return start

    assert asyncio.run(run())["status"] == 200
