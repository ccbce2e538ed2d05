"""digitpad-serve's own worker supervisor (several workers on Linux)."""

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT workers are Linux only")


def test_workers_that_cannot_listen_stop_the_server_with_status_3():
    with socket.socket() as taken:  # an ordinary listener: SO_REUSEPORT cannot share its port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "DIGITPAD_PORT": str(port), "DIGITPAD_WORKERS": "2", "DIGITPAD_LOG_LEVEL": "warning"}
        result = subprocess.run([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
