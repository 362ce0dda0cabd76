"""README's shell commands work as written on a fresh machine.

Every ```sh block is run as written, in README order, by bash with ``set -euo pipefail``, against
a fresh SQLite database in a temporary directory (the embedded defaults of ``dev.py up``) and, for
its ``curl`` lines, a server started on a free port (``127.0.0.1:8000`` in the text is that
port). The lines in ``NOT_RUN`` are long-running or need a deployment; each is named with why,
and checked for form instead: its ``manage.py`` command exists and accepts the arguments as
written, its test paths exist, the files it names are there."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

import dev

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# Lines not run, each with why (a regular expression searched in the command line).
NOT_RUN = {
    r"python3 dev\.py up\b": "runs until Ctrl-C; tests/test_run_command.py starts and stops it",
    r"python3 dev\.py test\b": "runs a test suite; CI runs the whole of it",
    r"\bmanage bench\b": "runs for minutes on its own database; tests/benchmarks runs `bench --quick`",
    r"\bdb_roles\b": "needs a deployment's two PostgreSQL roles (the owner and the application's); .ci/run runs it",
    r"^docker compose\b": "no Docker engine on the development machines; tests/test_compose.py validates the file",
    r"^cp \.env\.example \.env\b": "writes the operator's .env of the Docker topology (see the line after it)",
    r"^createdb\b": "creates a database on the PostgreSQL server for the test suite of the line after it",
    r"^git clone <this repository>": "the operator's own checkout of the repository",
    r"^\$EDITOR\b": "the operator edits their .env by hand",
    r"^kubectl\b": "needs a Kubernetes cluster; tests/test_kubernetes.py renders and validates the manifests",
    r"^curl .*/(health/ready/|metrics)\b": "needs the deployment's broker and METRICS_TOKEN; tests/operations checks both",
}
DEV_SUBCOMMANDS = {"up", "test", "manage", "install", "lock"}
WEB_ADDRESS = "127.0.0.1:8000"


def shell_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each ```sh block."""
    blocks, lines, start = [], None, 0
    for number, line in enumerate(text.splitlines(), 1):
        if lines is None and line.strip() == "```sh":
            lines, start = [], number + 1
        elif lines is not None and line.strip() == "```":
            blocks.append((start, "\n".join(lines)))
            lines = None
        elif lines is not None:
            lines.append(line)
    return blocks


def command_lines(block: str) -> list[str]:
    """Logical lines (continuations joined), without comments."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def reason_not_run(line: str) -> str | None:
    return next((why for pattern, why in NOT_RUN.items() if re.search(pattern, line)), None)


def simple_commands(line: str) -> list[list[str]]:
    """The simple commands of a line (split at ``&&``, ``;``, ``|``; ``$(...)`` and ``sh -c '...'``
    opened), each without its leading ``NAME=value`` assignments."""
    inner = re.findall(r"\$\(([^)]*)\)", line)
    lexer = shlex.shlex(re.sub(r"\$\([^)]*\)", "X", line), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split, lexer.commenters = True, "#"
    commands, current = [], []
    for token in [*lexer, ";"]:
        if token and set(token) <= set(";&|"):
            while current and re.match(r"^[A-Za-z_]+=", current[0]):
                current.pop(0)
            if current[:2] in (["sh", "-c"], ["bash", "-c"]):
                commands.extend(simple_commands(current[2]))
            elif current:
                commands.append(current)
            current = []
        else:
            current.append(token)
    return [*commands, *(c for text in inner for c in simple_commands(text))]


def manage_invocations(line: str) -> list[list[str]]:
    """The ``manage.py`` commands a line runs, with their arguments."""
    found = []
    for tokens in simple_commands(line):
        if tokens[:3] == ["python3", "dev.py", "manage"]:
            found.append(tokens[3:])
        elif len(tokens) >= 2 and tokens[0].endswith("python") and tokens[1] == "manage.py":
            found.append(tokens[2:])
    return found


def form_problems(line: str) -> list[str]:
    """What would keep a line from running as written, short of running it."""
    problems = []
    tokens = (simple_commands(line) or [[]])[0]
    if re.search(r"(?<![\w/.])python (?!3)|(?<![\w/.])python3 manage\.py", line):
        problems.append("a fresh machine has no `python`, and `python3` no Django: use `python3 dev.py manage`")
    if tokens[:2] == ["python3", "dev.py"] and (len(tokens) < 3 or tokens[2] not in DEV_SUBCOMMANDS):
        problems.append(f"dev.py takes {sorted(DEV_SUBCOMMANDS)}")
    if tokens[:3] == ["python3", "dev.py", "test"]:
        problems += [f"no such test path {p}" for p in tokens[3:] if p.startswith("tests") and
                     not (ROOT / p.split("::")[0]).exists()]
    for args in manage_invocations(line):
        commands = get_commands()
        if not args or args[0] not in commands:
            problems.append(f"no manage.py command {args[:1]}")
            continue
        parser = load_command_class(commands[args[0]], args[0]).create_parser("manage.py", args[0])
        try:
            parser.parse_args(args[1:])
        except (SystemExit, Exception) as exc:  # noqa: BLE001 (argparse exits on an unknown option)
            problems.append(f"manage.py {' '.join(args)}: the arguments do not parse ({exc})")
    if tokens[:2] == ["docker", "compose"] and not (ROOT / "docker-compose.yml").exists():
        problems.append("docker-compose.yml is missing")
    if tokens[:2] == ["cp", ".env.example"] and not (ROOT / ".env.example").exists():
        problems.append(".env.example is missing")
    if tokens and tokens[0] == "createdb" and shutil.which("createdb") is None:
        problems.append("createdb is not installed")
    return problems


BLOCKS = shell_blocks(README)
LINES = [(start, line) for start, block in BLOCKS for line in command_lines(block)]


def test_readme_has_shell_blocks_and_every_line_not_run_says_why():
    assert len(BLOCKS) >= 6
    not_run = [line for _start, line in LINES if reason_not_run(line)]
    run = [line for _start, line in LINES if not reason_not_run(line)]
    assert any("dev.py up" in line for line in not_run)
    assert any("issue_api_token" in line for line in run), "the API example is run"
    assert any(line.startswith("curl") for line in run)


@pytest.mark.parametrize(("start", "line"), LINES, ids=[f"README:{s}:{line[:50]}" for s, line in LINES])
def test_each_readme_line_is_well_formed(start, line):
    assert form_problems(line) == []


def test_inline_commands_in_the_prose_run_on_a_fresh_machine():
    spans = re.findall(r"`([^`\n]+)`", README)
    bare = [s for s in spans if re.match(r"(python|python3) manage\.py ", s)]
    assert bare == [], "write `python3 dev.py manage ...`"
    for span in spans:
        found = re.match(r"python3 dev\.py manage (\w+)", span)
        if found:
            assert found.group(1) in get_commands(), span


def test_the_api_token_example_names_a_demo_user():
    from organizations.demo import DEMO_ORGANIZATIONS, username_for
    from organizations.models import Role

    demo_users = {username_for(acronym, role) for acronym in DEMO_ORGANIZATIONS for role in Role.values}
    named = re.findall(r"issue_api_token (\w+)", README)
    assert named and set(named) <= demo_users


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (our own server)
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.slow
def test_readme_shell_blocks_run_as_written(tmp_path):
    assert dev.lock_satisfied(), "the environment is installed from requirements/dev.txt (dev.py would install it)"
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "MIGRATION_DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                        "DJANGO_SETTINGS_MODULE", "CACHE_URL", "REQUIRE_SERVICES"}}
    env.update(VAR_DIR=str(tmp_path / "var"))
    port = _free_port()
    server = None
    outputs = []
    try:
        for start, block in BLOCKS:
            script = []
            for line in command_lines(block):
                script.append(f": not run: {shlex.quote(line)}" if reason_not_run(line) else line)
            if not any(not line.startswith(": not run:") for line in script):
                continue
            text = "\n".join(script).replace(WEB_ADDRESS, f"127.0.0.1:{port}")
            if "curl" in text and server is None:
                server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}",
                                           "--noreload"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                _wait_for(f"http://127.0.0.1:{port}/api/v1/", server)
            result = subprocess.run(["bash", "-c", "set -euo pipefail\n" + text], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, f"README line {start}:\n{text}\n{result.stdout[-3000:]}\n" \
                                           f"{result.stderr[-3000:]}"
            assert "Warning" not in result.stderr, result.stderr[-3000:]
            outputs.append(result.stdout)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    everything = "\n".join(outputs)
    assert "eucom_action_officer" in everything  # the demo log-ins, and the token's user in /api/v1/me/
    assert '"username":"eucom_action_officer"' in everything.replace(" ", "")
    assert '"results":' in everything  # the taskers list


def test_the_form_check_finds_lines_that_would_not_run():
    assert form_problems("python manage.py bench")  # no `python` on a fresh machine
    assert form_problems("python3 manage.py migrate")  # python3 without Django
    assert form_problems("python3 dev.py manage issue_api_tokens eucom_action_officer")  # no such command
    assert form_problems("python3 dev.py manage issue_api_token")  # its username is required
    assert form_problems("DATABASE_URL=x python3 dev.py manage bench --tiny 10")  # no such option
    assert form_problems("python3 dev.py test tests/nowhere -q")
    assert form_problems("python3 dev.py start")
    assert form_problems("python3 dev.py manage issue_api_token eucom_action_officer") == []
