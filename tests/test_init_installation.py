"""The compose topology's init step, for real: the command docker-compose.yml's `init` service runs,
with the environment compose gives it (.env.example, the URLs docker-compose.yml composes from it),
against this machine's PostgreSQL and Redis; then the web service's command and health check, and
a sign-in as the administrator it created, through the headers the TLS proxy adds.

Only the service addresses differ from compose (127.0.0.1 instead of `postgres` and `redis`), the
secrets (real ones, not the placeholders), and the web server's settings module:
benchmarks.server_settings is the production profile with uncompressed static files, since the
image's build-time collectstatic (about a minute) is not part of what this test checks.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from tests.test_compose import ENV_EXAMPLE, ROOT, compose, interpolate, parse_env_file

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ADMIN_PASSWORD = "Init-Test-Passw0rd!"  # a test's own; never the .env.example placeholder
BIN = Path(sys.executable).parent


def _server():
    conf = settings.DATABASES["default"]
    params = {"dbname": "postgres", "user": conf.get("USER") or None, "password": conf.get("PASSWORD") or None,
              "host": conf.get("HOST") or None, "port": conf.get("PORT") or None}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def _url(user: str, password: str | None, database: str) -> str:
    conf = settings.DATABASES["default"]
    auth = user + (f":{password}" if password else "")
    return f"postgres://{auth}@{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{database}"


@pytest.fixture
def installation(tmp_path):
    """A database of its own and an application role of its own, dropped afterwards; the compose
    variables (.env.example) with this machine's addresses and real secrets."""
    database = f"{settings.DATABASES['default']['NAME']}_init"[:60]
    role = f"campaign_app_init_{os.getpid()}"
    role_password = secrets.token_urlsafe(16)
    with _server() as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    owner = settings.DATABASES["default"]
    variables = {
        **parse_env_file(ENV_EXAMPLE),
        "POSTGRES_DB": database,
        "APPLICATION_DB_USER": role,
        "APPLICATION_DB_PASSWORD": role_password,
        "INIT_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    here = {
        # compose's service names -> this machine
        "DATABASE_URL": _url(role, role_password, database),
        "MIGRATION_DATABASE_URL": _url(owner.get("USER") or "postgres", owner.get("PASSWORD"), database),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CACHE_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(tmp_path / "var"),
    }
    yield {"variables": variables, "here": here, "database": database, "role": role}
    with _server() as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        server.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def service_environment(name: str, installation: dict) -> dict[str, str]:
    """What compose gives service ``name``: .env (env_file), then its `environment`, interpolated
    from .env; then this machine's addresses."""
    service = compose()["services"][name]
    variables = installation["variables"]
    environment = dict(variables)
    for key, value in (service.get("environment") or {}).items():
        environment[key] = interpolate(str(value), variables)
    for key, value in installation["here"].items():
        if environment.get(key):  # blanked variables stay blank
            environment[key] = value
    passthrough = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return {**passthrough, **environment, "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "PYTHONDONTWRITEBYTECODE": "1"}


def service_command(name: str) -> list[str]:
    command = [str(part) for part in compose()["services"][name]["command"]]
    program = {"python": sys.executable}.get(command[0]) or str(BIN / command[0])
    return [program, *command[1:]]


def _run_init(installation: dict) -> subprocess.CompletedProcess:
    return subprocess.run(service_command("init"), env=service_environment("init", installation), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThroughTheProxy:
    """An HTTP client speaking to gunicorn as Caddy does: Host as typed, X-Forwarded-Proto https,
    and the browser's cookies (Secure ones included: the browser's side of the proxy is HTTPS)."""

    def __init__(self, port: int, host: str):
        self.port, self.host, self.cookies = port, host, SimpleCookie()

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {"Host": self.host, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={morsel.value}" for key, morsel in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Origin": f"https://{self.host}", "Referer": f"https://{self.host}{path}"})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(value)
            return response.status, dict(response.headers.items()), text
        finally:
            connection.close()


def test_the_init_service_sets_up_an_installation_where_its_administrator_signs_in(installation):
    first = _run_init(installation)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert f"application role {installation['role']}: created" in first.stdout
    assert "routes: 2 created" in first.stdout
    assert "administrator administrator: created" in first.stdout

    again = _run_init(installation)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "No migrations to apply." in again.stdout
    assert "reference data: no changes" in again.stdout
    assert "administrator administrator: exists, unchanged" in again.stdout

    # The web service: its command, its environment (no owner credentials, no admin password).
    web_environment = service_environment("web", installation)
    assert web_environment["MIGRATION_DATABASE_URL"] == web_environment["INIT_ADMIN_PASSWORD"] == ""
    port = _free_port()
    command = service_command("web")
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "2"
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                              env={**web_environment, "DJANGO_SETTINGS_MODULE": "benchmarks.server_settings",
                                   "PORT": str(port)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # The web service's health check, as compose runs it, until it passes.
        probe = [sys.executable if part == "python" else part
                 for part in compose()["services"]["web"]["healthcheck"]["test"][1:]]
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stderr.read()[-3000:]
            health = subprocess.run(probe, cwd=ROOT, env={**web_environment, "PORT": str(port)},
                                    capture_output=True, text=True, timeout=60)
            if health.returncode == 0:
                break
            assert time.monotonic() < deadline, health.stdout + health.stderr
            time.sleep(1)
        assert '"MigrationsApplied(alias=\'default\')": "OK"' in health.stdout

        host = web_environment["ALLOWED_HOSTS"].split(",")[0]
        browser = ThroughTheProxy(port, host)
        login = f"/{settings.ADMIN_URL}login/"
        status, _headers, page = browser.request("GET", f"{login}?next=/{settings.ADMIN_URL}")
        assert status == 200 and "DoD Notice and Consent Banner" in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert browser.cookies["csrftoken"]["secure"], "behind the TLS proxy the CSRF cookie is Secure"

        status, headers, _page = browser.request("POST", login, {
            "csrfmiddlewaretoken": token, "username": "administrator", "password": ADMIN_PASSWORD,
            "consent": "on", "next": f"/{settings.ADMIN_URL}"})
        assert status == 302 and headers["Location"] == f"/{settings.ADMIN_URL}", (status, headers)
        assert browser.cookies["sessionid"]["secure"]

        status, _headers, page = browser.request("GET", f"/{settings.ADMIN_URL}")
        assert status == 200
        assert "administrator" in page and "Log out" in page
        assert "Campaign plans" in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_the_init_service_refuses_the_placeholders_of_env_example_and_does_nothing(installation):
    installation["variables"].update(INIT_ADMIN_PASSWORD=parse_env_file(ENV_EXAMPLE)["INIT_ADMIN_PASSWORD"],
                                     APPLICATION_DB_PASSWORD="change-me-application-password")
    installation["here"]["DATABASE_URL"] = _url(installation["role"], "change-me-application-password",
                                                installation["database"])
    result = _run_init(installation)
    assert result.returncode != 0
    assert "nothing done" in result.stderr and "INIT_ADMIN_PASSWORD" in result.stderr
    assert "the application's database password" in result.stderr
    with _server() as server:
        assert not server.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [installation["role"]]).fetchone()
    with psycopg.connect(installation["here"]["MIGRATION_DATABASE_URL"]) as owner:
        assert owner.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
