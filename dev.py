#!/usr/bin/env python3
"""The two commands of the README, with nothing but Python 3.11+ and pip installed:

    python3 dev.py up       run the product: web admin, Celery worker and Celery beat
    python3 dev.py test     run the whole test suite (arguments go to pytest)
    python3 dev.py manage   any manage.py command (arguments go to manage.py)
    python3 dev.py install  only create ``.venv`` (and the browser tests' axe-core)
    python3 dev.py lock     rewrite the lock files from pyproject.toml, then install them
                            (arguments go to uv: ``--upgrade-package NAME`` upgrades NAME)

Each creates ``.venv`` and installs the exact versions of ``requirements/dev.txt`` (with pip's
--require-hashes) when needed (again only when the lock changes), so a second run reuses what
exists. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
# The lock files, written by uv (``python3 dev.py lock``) from pyproject.toml, every file with its
# sha256: the runtime dependencies (what the image installs) and, with the same versions, those plus
# the development extra (what .venv installs).
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
LOCK = ROOT / "requirements" / "dev.txt"
STAMP = VENV / ".requirements-dev.txt.sha256"
# How the lock files are made: for every platform (markers keep what only some need) from Python 3.11
# on, keeping the versions they already pin (uv reads its output file) unless told to upgrade.
LOCK_COMPILE = ("pip", "compile", "--universal", "--python-version", "3.11", "--generate-hashes", "--quiet",
                "--custom-compile-command", "python3 dev.py lock")
LOCK_TARGETS = (
    ("pyproject.toml", "--output-file", "requirements/runtime.txt"),
    ("pyproject.toml", "--extra", "dev", "--constraint", "requirements/runtime.txt",
     "--output-file", "requirements/dev.txt"),
)
AXE = ROOT / "tests" / "browser" / "axe"  # axe-core for the browser tests' accessibility checks (npm)

DEMO_PASSWORD_DEFAULT = "Training-Only-Demo-1"  # noqa: S105 (demo data, printed on purpose)


def say(message: str) -> None:
    # On stderr: what a pass-through command prints on stdout (a token, JSON) stays its own.
    print(f"[dev] {message}", file=sys.stderr, flush=True)


LOCK_CHECK = """
import re, sys
from importlib.metadata import PackageNotFoundError, version
try:
    from packaging.markers import Marker
except ImportError:  # a new environment: pip carries its own copy
    from pip._vendor.packaging.markers import Marker
def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()
missing = []
for line in open(sys.argv[1]):
    found = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\\[[^]]*\\])?==([^\\s;#]+)\\s*(?:;([^\\\\#]+))?", line)
    if found and (found.group(3) is None or Marker(found.group(3).strip()).evaluate()):
        try:
            ok = version(norm(found.group(1))) == found.group(2)
        except PackageNotFoundError:
            ok = False
        if not ok:
            missing.append(found.group(0))
sys.exit(1 if missing else 0)
"""


def lock_satisfied() -> bool:
    """Whether every ``name==version`` of the lock is installed in ``.venv`` already."""
    return subprocess.run([str(PYTHON), "-c", LOCK_CHECK, str(LOCK)], capture_output=True).returncode == 0


def pip_install(*args: str, total: int | None = None) -> None:
    """pip, showing one line per package as it is fetched ("[dev] [12/85] Django==5.2.8"), then
    pip's own summary; the full output only when it fails."""
    command = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, count, started = [], 0, time.monotonic()
    for line in process.stdout:
        lines.append(line)
        found = re.match(r"\s*(?:Collecting|Processing) (\S+)", line)
        if found:
            count += 1
            say(f"[{count}/{total}] {found.group(1)}" if total else f"[{count}] {found.group(1)}")
        elif line.startswith(("Installing collected packages", "Successfully installed", "Would install")):
            say(line.strip()[:160] + ("…" if len(line.strip()) > 160 else ""))
    if process.wait() != 0:
        sys.stderr.write("".join(lines))
        raise subprocess.CalledProcessError(process.returncode, command)
    say(f"done in {time.monotonic() - started:.0f} s")


def ensure_environment() -> None:
    """Create the virtual environment and install the locked versions, once per lock."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit("Python 3.11 or newer is needed; this is " + sys.version.split()[0])
    if not PYTHON.exists():
        say(f"creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    if lock_satisfied():  # e.g. an environment shared by several checkouts: nothing to install
        STAMP.write_text(digest)
        return
    total = sum(1 for line in LOCK.read_text().splitlines() if re.match(r"[A-Za-z0-9]", line))
    say(f"installing the {total} locked dependencies (first run, or the lock changed; later runs reuse them)")
    pip_install("--upgrade", "pip")
    pip_install("--require-hashes", "-r", str(LOCK), total=total)
    STAMP.write_text(digest)


def lock(args: list[str]) -> int:
    """Rewrite both lock files from pyproject.toml with the pinned uv (the development extra), the
    runtime one first (the development one keeps its versions), then install the result."""
    ensure_environment()
    for target in LOCK_TARGETS:
        say("uv " + " ".join(target[1:] + tuple(args)))
        subprocess.run([str(BIN / "uv"), *LOCK_COMPILE, *target, *args], cwd=ROOT, check=True)
    ensure_environment()
    return 0


def ensure_axe() -> None:
    """Install the browser tests' axe-core from the npm registry (the exact version of
    ``tests/browser/axe/package-lock.json``), once per lock; without npm the browser tests say so."""
    lock = AXE / "package-lock.json"
    stamp = AXE / "node_modules" / ".package-lock.sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm is not installed: the browser tests' accessibility checks (axe-core) cannot run")
        return
    say("installing axe-core for the browser tests (npm ci, first run only)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=AXE, check=True)
    stamp.write_text(digest)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)


def demo_data_load(env: dict[str, str]) -> str:
    """``load_demo_data``, showing its counts now and returning its table of log-ins, which
    ``up`` prints at the end beside the URL."""
    out = subprocess.run([str(PYTHON), "manage.py", "load_demo_data"], cwd=ROOT, env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    counts, _, logins = out.partition("\nDemo log-ins")
    print(counts.rstrip(), flush=True)
    return "Demo log-ins" + logins if logins else ""


def wait_for_http(url: str, processes: list[subprocess.Popen], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[2:4]} stopped with exit code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def health_check(env: dict[str, str]) -> str:
    """Send the health-check task through the broker and wait for the worker's answer."""
    code = (
        "import time, django; django.setup();"
        "from config.celery_app import health_check;"
        "t=time.monotonic(); r=health_check.delay('dev-up').get(timeout=120);"
        "assert r['token']=='dev-up' and r['database'], r;"
        "print(f'{time.monotonic()-t:.1f}')"
    )
    out = subprocess.run([str(PYTHON), "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def up() -> int:
    ensure_environment()
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.setdefault("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
    env["PYTHONUNBUFFERED"] = "1"
    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "8000")
    admin_url = f"http://{host}:{port}/admin/"
    env.setdefault("SITE_URL", f"http://{host}:{port}")

    say("migrating the database")
    manage("migrate", "--no-input", "-v", "0", env=env)
    say("loading reference data and demo data")
    manage("load_reference_data", env=env)
    logins = demo_data_load(env)

    var_dir = Path(env.get("VAR_DIR", ROOT / "var"))
    commands = {
        "web": [str(PYTHON), "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "worker": [str(PYTHON), "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                   "--pool", "threads", "--concurrency", "4", "--hostname", f"worker-{port}@%h"],
        "beat": [str(PYTHON), "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                 "--schedule", str(var_dir / "celerybeat-schedule")],
    }
    processes: list[subprocess.Popen] = []
    interrupted = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, command in commands.items():
            say(f"starting {name}")
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
        wait_for_http(admin_url + "login/", processes)
        seconds = health_check(env)
        say(f"Celery health check: ok (worker answered in {seconds} s)")
        print(
            f"\n{logins.rstrip()}\n\n"
            f"  Password for all (training data only): {env['DEMO_PASSWORD']}; "
            "'administrator' runs assessment cycles.\n"
            f"  Campaign plan workflow engine is running: {admin_url}\n"
            f"  API: http://{host}:{port}/api/v1/ (docs: http://{host}:{port}/api/docs/)\n"
            "  Ctrl-C stops the web server, the worker and beat.\n",
            flush=True,
        )
        while True:
            for process in processes:
                if process.poll() is not None:
                    say(f"{process.args[2:4]} stopped with exit code {process.returncode}; stopping the rest")
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping web, worker and beat")
        return 0
    except Exception as exc:  # report and stop the children instead of leaving them behind
        say(f"could not start: {exc}")
        return 1
    finally:
        stop(processes)
        say("stopped")


def test(args: list[str]) -> int:
    ensure_environment()
    ensure_axe()
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT).returncode


def manage_command(args: list[str]) -> int:
    """``python3 dev.py manage CMD ...`` is ``.venv/bin/python manage.py CMD ...`` once the
    environment exists: the README's commands run on a fresh machine as written."""
    ensure_environment()
    return subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "test", "install", "manage", "lock"}:
        print(__doc__)
        return 2
    if argv[0] == "up":
        return up()
    if argv[0] == "install":
        ensure_environment()
        ensure_axe()
        return 0
    if argv[0] == "manage":
        return manage_command(argv[1:])
    if argv[0] == "lock":
        return lock(argv[1:])
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
