"""The kit keeps grpcio's fork handlers out of the processes that start servers (grpc#43055)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

FORKS = """
import subprocess, sys
if sys.argv[1] == "kit":
    from axiomod.testing import forks  # what the pytest plugin and python -m bench do first
from axiomod.testing.otlp import OtlpReceiver

receiver = OtlpReceiver().start()  # gRPC active in this process, as in a test run
for _ in range(20):  # a real fork(), as the kit's spawn() makes with its preexec_fn
    subprocess.run([sys.executable, "-c", "pass"], preexec_fn=lambda: None, check=True)
receiver.stop()
"""


def forked(mode: str, *, must_succeed: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    env["GRPC_VERBOSITY"] = "INFO"  # the handlers' lines are at INFO
    done = subprocess.run(
        [sys.executable, "-c", FORKS, mode], env=env, capture_output=True, text=True, timeout=120
    )
    if must_succeed:
        assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_this_run_has_grpcs_fork_handlers_off():
    assert os.environ["GRPC_ENABLE_FORK_SUPPORT"] == "false"


def test_the_kit_keeps_grpcs_fork_handlers_out_of_a_forking_process():
    # grpcio's fork handlers log from fork_posix.cc whenever they run (or skip a fork);
    # with the kit imported first they are never installed. Without the kit a child may
    # die of the very bug (SIGABRT between fork and exec), so only the kit's run must
    # succeed: twenty forks with the handlers off never abort.
    assert "fork_posix" in forked("plain", must_succeed=False)
    assert "fork_posix" not in forked("kit", must_succeed=True)
