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
    document["services"]["web"]["ports"] = "not-a-list"


def _unknown_top_level_key(document):
    document["networkz"] = {}


def _misspelled_service_key(document):
    document["services"]["worker"]["comand"] = document["services"]["worker"].pop("command")


def _unknown_depends_on_condition(document):
    document["services"]["web"]["depends_on"]["postgres"]["condition"] = "service_ready"


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (_ports_not_a_list, "$.services.web.ports: 'not-a-list' is not of type 'array'"),
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


def test_compose_runs_postgres_redis_web_worker_and_beat():
    assert set(compose()["services"]) == {*BACKING_SERVICES, *APP_SERVICES}


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_readiness_with_pg_isready():
    document = compose()
    postgres = document["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume_names = [str(volume).split(":", 1)[0] for volume in postgres["volumes"]]
    assert any(":/var/lib/postgresql/data" in str(volume) for volume in postgres["volumes"])
    assert set(volume_names) <= set(document.get("volumes") or {}), "postgres data must be a named volume"


def test_redis_reports_readiness_with_redis_cli_ping():
    redis = compose()["services"]["redis"]
    assert redis["image"] == "redis:7"
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_starts_only_after_postgres_and_redis_are_healthy(name):
    depends_on = compose()["services"][name]["depends_on"]
    for backing in BACKING_SERVICES:
        assert depends_on[backing]["condition"] == "service_healthy", f"{name} -> {backing}"


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_services_wait_for_web_so_the_migrations_have_run(name):
    services = compose()["services"]
    assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"
    assert "healthcheck" in services["web"], "service_healthy on web needs a web healthcheck"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_is_built_from_the_dockerfile_in_this_repository(name):
    build = compose()["services"][name]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve()
    assert DOCKERFILE.is_file()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_reads_its_configuration_from_the_env_file(name):
    assert env_file_names(compose()["services"][name]) == [".env"]
    assert ENV_EXAMPLE.is_file(), ".env is made by copying .env.example"


def test_web_migrates_then_serves_the_wsgi_application_on_port_8000():
    web = compose()["services"]["web"]
    commands = [program(argv) for argv in commands_of(web)]
    assert commands == [
        ["python", "manage.py", "migrate", "--no-input"],
        ["python", "manage.py", "db_roles"],
        ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"],
    ]
    assert "&&" in web["command"][-1], "gunicorn must not start when the migrations or the grants fail"
    assert ";" not in web["command"][-1]
    assert "8000:8000" in [str(port) for port in web["ports"]]


def test_no_long_running_service_holds_the_owner_roles_credentials():
    """Only migrate and db_roles connect as the owner of the tables; the application itself
    (gunicorn, the worker, beat) reaches the database only as the application's role, so code
    running in it cannot truncate, disable triggers or drop."""
    services = compose()["services"]
    web = commands_of(services["web"])
    assert [program(argv)[0] for argv in web][-1] == "gunicorn"
    assert "MIGRATION_DATABASE_URL" in unset_before(web[-1])
    assert "MIGRATION_DATABASE_URL" in parse_env_file(ENV_EXAMPLE), "the web service's migrate reads it from .env"
    for name in ("worker", "beat"):
        environment = services[name].get("environment", {})
        assert environment.get("MIGRATION_DATABASE_URL") == "", f"{name} must blank the owner's credentials"


def test_worker_and_beat_run_the_celery_app_with_beat_keeping_its_schedule_in_var_dir():
    services = compose()["services"]
    assert commands_of(services["worker"]) == [["celery", "-A", "config", "worker", "--loglevel", "INFO"]]
    assert commands_of(services["beat"]) == [
        ["celery", "-A", "config", "beat", "--loglevel", "INFO", "--schedule", "/app/var/celerybeat-schedule"]
    ]
    assert Path("/app/var/celerybeat-schedule").parent == Path(dockerfile_env()["VAR_DIR"])


@pytest.mark.parametrize("name", APP_SERVICES)
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


def test_the_programs_the_services_run_are_installed_by_the_lock_file():
    lock = (ROOT / "requirements.lock").read_text().lower()
    pinned = {line.split("==")[0].strip() for line in lock.splitlines() if "==" in line}
    # gunicorn and celery are the commands; psycopg and redis the drivers for the URLs in .env.
    assert {"django", "gunicorn", "celery", "psycopg", "redis", "whitenoise", "dj-database-url"} <= pinned


# --- .env.example --------------------------------------------------------------------------------


def test_env_example_sets_every_variable_the_services_need():
    missing = VARIABLES_THE_SERVICES_NEED - set(parse_env_file(ENV_EXAMPLE))
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_sets_every_variable_the_settings_read():
    read = set(SETTINGS_ENV_READ.findall(settings_source())) - {"DJANGO_SETTINGS_MODULE"}
    assert read, "found no environment reads in config/settings"
    missing = read - set(parse_env_file(ENV_EXAMPLE))
    assert not missing, f"config/settings reads {sorted(missing)}, which .env.example does not document"


def test_every_variable_in_env_example_is_read_by_the_settings():
    source = settings_source()
    unread = [key for key in parse_env_file(ENV_EXAMPLE) if f'"{key}"' not in source]
    assert not unread, f".env.example sets {unread}, which config/settings never reads"


def test_every_variable_in_env_example_is_explained_by_a_comment_above_it():
    last_other_line = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert last_other_line.startswith("#"), f"{line.split('=')[0]} has no comment above it"
        else:
            last_other_line = line.strip()


def test_env_example_values_are_plain_so_compose_and_a_shell_read_them_alike():
    for key, value in parse_env_file(ENV_EXAMPLE).items():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", key), key
        assert " #" not in value and not value.startswith(("'", '"')), f"{key}={value}"


def test_env_example_runs_migrations_as_the_owner_the_postgres_service_creates():
    document = compose()
    owner = urlparse(parse_env_file(ENV_EXAMPLE)["MIGRATION_DATABASE_URL"])
    postgres = document["services"]["postgres"]["environment"]
    assert owner.geturl() == "postgres://campaign:campaign@postgres:5432/campaign"
    assert owner.hostname in document["services"]
    assert (owner.username, owner.password, owner.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )


def test_env_example_connects_the_application_to_the_same_database_as_another_role():
    values = parse_env_file(ENV_EXAMPLE)
    application, owner = urlparse(values["DATABASE_URL"]), urlparse(values["MIGRATION_DATABASE_URL"])
    assert (application.scheme, application.hostname, application.port, application.path) == (
        owner.scheme, owner.hostname, owner.port, owner.path)
    assert application.username and application.password
    assert application.username != owner.username, "the application must not connect as the tables' owner"


def test_env_example_points_celery_at_the_redis_service():
    values = parse_env_file(ENV_EXAMPLE)
    assert values["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        url = urlparse(values[key])
        assert (url.scheme, url.hostname, url.port) == ("redis", "redis", 6379), key


def test_env_example_var_dir_is_where_the_image_collected_the_static_files():
    assert parse_env_file(ENV_EXAMPLE)["VAR_DIR"] == dockerfile_env()["VAR_DIR"] == "/app/var"


def _load_production_settings(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in VARIABLES_THE_SERVICES_NEED and key != "DJANGO_SETTINGS_MODULE"
    }
    environment.update(parse_env_file(ENV_EXAMPLE))
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production", VAR_DIR=str(tmp_path), **overrides
    )
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_refuses_the_placeholder_secret_key_of_env_example(tmp_path):
    assert parse_env_file(ENV_EXAMPLE)["SECRET_KEY"].startswith("change-me")
    result = _load_production_settings(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_production_profile_loads_env_example_once_a_real_secret_key_is_set(tmp_path):
    import secrets

    result = _load_production_settings(tmp_path, SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis://redis:6379/0"]


def test_env_example_explains_how_to_generate_a_secret_key():
    assert "secrets.token_urlsafe(50)" in ENV_EXAMPLE.read_text()


# --- Dockerfile and .dockerignore -----------------------------------------------------------------


def test_image_is_python_3_11_slim():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")


def test_image_installs_the_locked_dependencies():
    runs = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "RUN"]
    assert any("pip install -r requirements.lock" in run for run in runs)
    assert (ROOT / "requirements.lock").is_file()


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
    for name in (".venv", "var", ".git", ".env", ".pytest_cache", ".ruff_cache", "test-artifacts"):
        assert _ignored(name, patterns), f"{name} would be copied into the image"
    local_apps = [app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()]
    for name in ("manage.py", "config", "requirements.lock", ".env.example", *local_apps):
        assert not _ignored(name, patterns), f"{name} is needed in the image but .dockerignore drops it"
