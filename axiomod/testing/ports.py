"""Loopback ports: a free one to listen on, and whether something listens on one."""

from __future__ import annotations

import socket
import time

__all__ = ["free_port", "port_open", "wait_for_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at ``host`` right now (the kernel's pick).

    The port is released before it is returned, so another process could take it first;
    on loopback in a test run that does not happen in practice.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """True when a TCP connection to ``host:port`` is accepted within ``timeout`` s."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, *, interval: float = 0.02) -> bool:
    """Poll until ``host:port`` accepts connections; False if it did not within ``timeout``."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
