"""The README's run command, end to end: it brings up the admin, a worker and beat on the
embedded defaults (SQLite, file-system broker), proves a task round trip, and Ctrl-C stops all."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children_of(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


@pytest.mark.slow
def test_run_command_serves_the_admin_with_worker_and_beat_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_SETTINGS_MODULE"}}
    env.update(VAR_DIR=str(tmp_path / "var"), PORT=str(port))
    log = (tmp_path / "up.log").open("w+")
    process = subprocess.Popen([sys.executable, "dev.py", "up"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        output = ""
        while time.monotonic() < deadline:
            log.seek(0)
            output = log.read()
            if "is running:" in output or process.poll() is not None:
                break
            time.sleep(1)
        assert "Celery health check: ok" in output, output[-4000:]
        assert f"http://127.0.0.1:{port}/admin/" in output
        # The log-ins and the URL together at the end, not dozens of lines apart.
        end = output[output.rindex("Celery health check: ok"):]
        assert "Demo log-ins" in end and "eucom_action_officer" in end and "administrator" in end, end
        assert f"running: http://127.0.0.1:{port}/admin/" in end and "Password for all" in end
        # Listed once, there (the worker's console e-mails of the demo's notices may name it too).
        assert len(re.findall(r"^eucom_action_officer +EUCOM +Action officer", output, re.MULTILINE)) == 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            assert response.status == 200
            assert b"Log in" in response.read()
        commands = [subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True).stdout
                    for pid in _children_of(process.pid)]
        assert any("runserver" in c for c in commands), commands
        assert any("worker" in c for c in commands), commands
        assert any(" beat " in c for c in commands), commands
        children = _children_of(process.pid)
        # Ctrl-C in a terminal reaches the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 0
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
