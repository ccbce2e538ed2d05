"""digitpad-serve's workers (several, under gunicorn, on Linux) and its start-up checks."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from support.servers import ROOT, free_port

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT workers are Linux only")


def test_workers_that_cannot_listen_stop_the_server_with_status_3():
    with socket.socket() as taken:  # an ordinary listener: SO_REUSEPORT cannot share its port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "DIGITPAD_PORT": str(port), "DIGITPAD_WORKERS": "2", "DIGITPAD_LOG_LEVEL": "warning"}
        result = subprocess.run([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("environment, variable", [
    ({"DIGITPAD_PORT": "abc"}, "DIGITPAD_PORT='abc'"),
    ({"PORT": "abc"}, "PORT='abc'"),
    ({"DIGITPAD_WORKERS": "0"}, "DIGITPAD_WORKERS='0'"),
])
def test_an_invalid_setting_is_one_line_naming_the_variable(environment, variable):
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "DIGITPAD_PORT")}
    result = subprocess.run([sys.executable, "-m", "app.serve"], cwd=ROOT, env={**env, **environment},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and variable in result.stderr and "Traceback" not in result.stderr


def test_without_a_model_the_server_does_not_start_unless_asked(tmp_path):
    env = {**os.environ, "DIGITPAD_MODEL_DIR": str(tmp_path), "DIGITPAD_PORT": str(free_port())}
    result = subprocess.run([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "DIGITPAD_REQUIRE_MODEL" in result.stderr
    process = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT,
                               env={**env, "DIGITPAD_REQUIRE_MODEL": "false"})
    url = f"http://127.0.0.1:{env['DIGITPAD_PORT']}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                assert httpx.get(f"{url}/health", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"{url}/ready").status_code == 503
    finally:
        process.terminate()
        process.wait(timeout=10)
