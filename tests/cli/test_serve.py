"""digitpad-serve's workers (several, under gunicorn, on Linux) and its start-up checks."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.cli.serve import _options, _worker_for
from app.settings import Settings
from app.web.protocol import HttpProtocol
from support.servers import ROOT, free_port, running_server, wait_ready

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT workers are Linux only")


def serve(
    *flags: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """digitpad-serve as a user runs it, to its end (a start that fails)."""
    inherited = {name: value for name, value in os.environ.items() if name not in unset}
    return subprocess.run(
        [sys.executable, "-m", "app.cli.serve", *flags],
        cwd=ROOT,
        env={**inherited, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_workers_that_cannot_listen_stop_the_server_with_status_3():
    with socket.socket() as taken:  # an ordinary listener: SO_REUSEPORT cannot share its port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(
            env={"DIGITPAD_PORT": str(port), "DIGITPAD_WORKERS": "2", "DIGITPAD_LOG_LEVEL": "warning"}
        )
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(
    "environment, variable",
    [
        ({"DIGITPAD_PORT": "abc"}, "DIGITPAD_PORT='abc'"),
        ({"PORT": "abc"}, "PORT='abc'"),
        ({"DIGITPAD_WORKERS": "0"}, "DIGITPAD_WORKERS='0'"),
    ],
)
def test_an_invalid_setting_is_one_line_naming_the_variable(environment, variable):
    result = serve(env=environment, unset=("PORT", "DIGITPAD_PORT"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and variable in result.stderr and "Traceback" not in result.stderr


def test_without_a_model_the_server_does_not_start_unless_asked(tmp_path):
    env = {"DIGITPAD_MODEL_DIR": str(tmp_path), "DIGITPAD_PORT": str(free_port())}
    result = serve(env=env)
    assert (
        result.returncode == 2
        and result.stderr.count("\n") == 1
        and "DIGITPAD_REQUIRE_MODEL" in result.stderr
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli.serve"],
        cwd=ROOT,
        env={**os.environ, **env, "DIGITPAD_REQUIRE_MODEL": "false"},
    )
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


def test_help_lists_the_flags_and_starts_nothing():
    result = serve("--help")
    assert result.returncode == 0
    for flag in ("--host", "--port", "--workers", "--log-level", "DIGITPAD_PORT"):
        assert flag in result.stdout


def test_an_unknown_flag_is_refused_not_ignored():
    result = serve("--prot", "9000")
    assert result.returncode == 2 and "unrecognized arguments: --prot" in result.stderr


def test_a_flag_wins_over_its_variable_and_a_taken_port_names_the_setting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve("--port", str(port), env={"DIGITPAD_PORT": str(free_port())})
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "DIGITPAD_PORT" in result.stderr


def time_waits(port: int) -> int:
    """How many connections of local port `port` wait out TIME_WAIT (IPv4)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for line in lines if line.split()[3] == "06" and int(line.split()[1].split(":")[1], 16) == port
    )  # 06: TIME_WAIT


def test_a_server_starts_again_at_once_on_the_port_it_served():
    """Connections the server closed as it stopped wait out TIME_WAIT on its port for a
    minute: a restart must not take them for another server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DIGITPAD_PORT": str(port),
        "DIGITPAD_WORKERS": "1",
        "DIGITPAD_LOG_LEVEL": "warning",
    }
    for start in range(2):
        process = subprocess.Popen([sys.executable, "-m", "app.cli.serve"], cwd=ROOT, env=env)
        try:
            wait_ready(url, process)
            with httpx.Client() as kept_alive:  # open while the server stops: the server closes it
                assert kept_alive.get(f"{url}/health").status_code == 200
                process.terminate()
                process.wait(timeout=10)
            assert start or time_waits(port)
        finally:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("damage", [b"", b"TFL3 truncated"])
def test_a_corrupt_model_file_stops_the_start_in_one_line(tmp_path, damage):
    (tmp_path / "digits").mkdir()
    for name in ("model_card.json", "digits.tflite"):
        (tmp_path / "digits" / name).write_bytes((ROOT / "models" / "digits" / name).read_bytes())
    (tmp_path / "digits" / "digits.tflite").write_bytes(damage)
    result = serve(
        env={
            "DIGITPAD_MODEL_DIR": str(tmp_path),
            "DIGITPAD_MODELS": "digits",
            "DIGITPAD_PORT": str(free_port()),
        }
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert (
        "cannot be loaded" in result.stderr and "digits" in result.stderr and "Traceback" not in result.stderr
    )


def test_workers_die_with_a_killed_master():
    """SIGKILL gives gunicorn's master no chance to stop its workers: they must not go on
    serving (beside a new instance on the same port)."""
    with running_server(DIGITPAD_WORKERS="2") as server:
        workers = [
            int(pid)
            for pid in subprocess.run(
                ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
        ]
        assert len(workers) == 2
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/ready", timeout=2)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().split(") ")[1][0] != "Z"


def test_a_data_folder_that_cannot_be_made_stops_the_start_in_one_line(tmp_path):
    (tmp_path / "a-file").write_text("")
    data = tmp_path / "a-file" / "data"  # under a file: no one can make it, root included
    result = serve(env={"DIGITPAD_DATA_DIR": str(data), "DIGITPAD_PORT": str(free_port())})
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "DIGITPAD_DATA_DIR" in result.stderr and "Traceback" not in result.stderr


def test_the_protocol_gets_the_settings_limits_in_either_process_model():
    """Passed in, never read from process-wide settings: one process, or each gunicorn worker."""
    settings = Settings(header_timeout_s=1.5, max_header_bytes=4096)
    for protocol in (_options(settings)["http"], _worker_for(settings).CONFIG_KWARGS["http"]):
        assert issubclass(protocol, HttpProtocol)
        assert (protocol.head_timeout, protocol.max_head_bytes) == (1.5, 4096)
    defaults = Settings.model_fields
    assert HttpProtocol.head_timeout == defaults["header_timeout_s"].default
    assert HttpProtocol.max_head_bytes == defaults["max_header_bytes"].default
