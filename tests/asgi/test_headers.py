"""How big a request head uvicorn lets through to Django, per HTTP parser, measured with
bearer tokens of 12 KiB, 15.5 KiB and 20 KiB (``axiomod_auth`` verifies up to 16 KiB).

The head is written in 512-byte pieces, as it arrives over a real network (segments of
~1.4 KB); on loopback one write arrives whole, and h11 then accepts any size, since its
limit (``--h11-max-incomplete-event-size``, 16 KiB) bounds the buffered *incomplete* head:
what h11 refuses depends on how the head was cut on the way.
A head that reaches Django gets axiomod_auth's JSON 401 (no provider is configured here);
one refused by uvicorn gets its plain-text ``400 Invalid HTTP request received.``
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.asgi.servers import uvicorn
from tests.servers import ServerProcess

pytestmark = pytest.mark.integration

KIB = 1024
#: parser -> (uvicorn arguments, {token length: status})
SIZES = {"12KiB": 12 * KIB, "15.5KiB": 15872, "20KiB": 20 * KIB, "1MiB": 1024 * KIB}
#: (parser, token size, status); httptools is the shared server's (uvicorn's default when
#: installed, as the asgi extra does), h11 servers are this module's.
CASES = [
    ("httptools", "12KiB", 401),
    ("httptools", "15.5KiB", 401),
    ("httptools", "20KiB", 401),
    ("httptools", "1MiB", 401),  # no limit of its own: the proxy in front must bound it
    ("h11", "12KiB", 401),
    ("h11", "15.5KiB", 401),
    ("h11", "20KiB", 400),
    ("h11 32 KiB", "12KiB", 401),
    ("h11 32 KiB", "15.5KiB", 401),
    ("h11 32 KiB", "20KiB", 401),
]
H11_ARGS = {
    "h11": ("--http", "h11"),
    "h11 32 KiB": ("--http", "h11", "--h11-max-incomplete-event-size", str(32 * KIB)),
}


@pytest.fixture(scope="module")
def h11_servers(asgi_var_dir, tmp_path_factory) -> Iterator[dict[str, ServerProcess]]:
    """One uvicorn per h11 configuration, started side by side once for the module."""
    directory = tmp_path_factory.mktemp("headers")
    env = {"AXIOMOD_VAR_DIR": str(asgi_var_dir)}
    servers = {
        name: uvicorn(env, directory / f"{name.replace(' ', '-')}.log", *args)
        for name, args in H11_ARGS.items()
    }
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(ServerProcess.start, servers.values()))
        yield servers
    finally:
        for server in servers.values():
            if server.process is not None:
                server.stop()


def send_head(server: ServerProcess, token_length: int, piece: int = 512) -> tuple[int, bytes]:
    """``GET`` with a bearer token of ``token_length`` bytes, the head in ``piece``-byte
    writes; (status, body). A server that refuses early may reset the connection.

    A head over 16 KiB is held back before its last two bytes until the server answers
    or 1 s has passed: the server has then seen it incomplete and past 16 KiB whatever
    the load on this machine (a busy server could otherwise read several pieces at once).
    """
    head = (
        "GET /invoices/?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {'x' * token_length}\r\nConnection: close\r\n\r\n"
    ).encode()
    body, last = (head[:-2], head[-2:]) if len(head) > 16 * KIB else (head, b"")
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        try:
            for start in range(0, len(body), piece):
                connection.sendall(body[start : start + piece])
                time.sleep(0.002)  # one segment per write, as on the wire
            if last and not select.select([connection], [], [], 1.0)[0]:
                connection.sendall(last)  # no early refusal: complete the head
        except OSError:  # refused mid-head: the answer is already there to read
            pass
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize(("parser", "size", "expected"), CASES)
def test_bearer_token_sizes_per_parser(parser, size, expected, request):
    server = (
        request.getfixturevalue("shared_uvicorn")
        if parser == "httptools"
        else request.getfixturevalue("h11_servers")[parser]
    )
    length = SIZES[size]
    status, body = send_head(server, length, piece=512 if length < 64 * KIB else 64 * KIB)
    assert status == expected, (parser, size, body[:200])
    if status == 401:  # reached Django: axiomod_auth's answer
        assert json.loads(body)["error"] == "invalid_token"
    else:
        assert body == b"Invalid HTTP request received."
