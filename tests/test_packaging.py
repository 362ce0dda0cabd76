"""Packaging (README "Dependencies"): the lock files say exactly what pyproject.toml asks for, with a
hash for every file; the wheel holds the whole product and runs from a new environment; benchmarks
stay a development tool."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import dev

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
DEVELOPMENT = [Requirement(text) for text in PYPROJECT["project"]["optional-dependencies"]["dev"]]
PROJECT = f"{PYPROJECT['project']['name']} (pyproject.toml)"
REGENERATE = "run `python3 dev.py lock` (README: Dependencies)"


@dataclass
class Pin:
    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    def applies_here(self) -> bool:
        from packaging.markers import Marker

        return self.marker is None or Marker(self.marker).evaluate()


PIN_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+?)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def read_lock(path: Path) -> dict[str, Pin]:
    """uv's requirements format: ``name==version ; marker \\``, its ``--hash=sha256:...`` lines, then
    ``# via`` and what asked for it."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for line in path.read_text().splitlines():
        found = PIN_LINE.match(line)
        if found:
            current = Pin(canonicalize_name(found.group(1)), found.group(2), found.group(3))
            assert current.name not in pins, f"{path.name} pins {current.name} twice"
            pins[current.name] = current
            in_via = False
            continue
        stripped = line.strip()
        if current is None or not stripped:
            continue
        if stripped.startswith("--hash="):
            current.hashes.append(stripped.removeprefix("--hash=").rstrip(" \\"))
        elif stripped.startswith("# via"):
            rest = stripped.removeprefix("# via").strip()
            current.via.extend([rest] if rest else [])
            in_via = not rest
        elif in_via and stripped.startswith("#   "):
            current.via.append(stripped.removeprefix("#").strip())
        else:
            assert line[0].isspace() or line.startswith("#"), f"{path.name}: unexpected line {line!r}"
    return pins


RUNTIME_LOCK = read_lock(dev.RUNTIME_LOCK)
DEV_LOCK = read_lock(dev.LOCK)


# --- the lock files -------------------------------------------------------------------------------


@pytest.mark.parametrize("lock, wanted", [(RUNTIME_LOCK, RUNTIME), (DEV_LOCK, RUNTIME + DEVELOPMENT)],
                         ids=["runtime", "dev"])
def test_the_lock_pins_every_dependency_of_pyproject_within_its_range(lock, wanted):
    for requirement in wanted:
        pin = lock.get(canonicalize_name(requirement.name))
        assert pin is not None, f"{requirement.name} is in pyproject.toml but not locked: {REGENERATE}"
        assert requirement.specifier.contains(Version(pin.version), prereleases=True), (
            f"{requirement} is in pyproject.toml but the lock pins {pin.version}: {REGENERATE}")
        assert PROJECT in pin.via


@pytest.mark.parametrize("lock, wanted", [(RUNTIME_LOCK, RUNTIME), (DEV_LOCK, RUNTIME + DEVELOPMENT)],
                         ids=["runtime", "dev"])
def test_the_lock_holds_nothing_that_nothing_asks_for(lock, wanted):
    """A dependency dropped from pyproject.toml (or no longer needed by what remains) leaves the lock."""
    direct = {canonicalize_name(requirement.name) for requirement in wanted}
    for pin in lock.values():
        parents = [parent for parent in pin.via if not parent.startswith("-c ")]
        assert parents, f"{pin.name} is locked but nothing asks for it: {REGENERATE}"
        for parent in parents:
            if parent == PROJECT:
                assert pin.name in direct, f"{pin.name} is no longer in pyproject.toml: {REGENERATE}"
            else:
                assert canonicalize_name(parent) in lock, f"{pin.name} is there for {parent}, which is not"


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_every_locked_file_has_its_sha256(lock):
    for pin in lock.values():
        assert pin.hashes, f"{pin.name} has no hash: pip --require-hashes would refuse the lock"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in pin.hashes), pin.hashes


def test_development_runs_the_runtime_versions_and_the_image_no_development_tool():
    for name, pin in RUNTIME_LOCK.items():
        assert DEV_LOCK[name].version == pin.version, f"{name}: runtime {pin.version}, dev {DEV_LOCK[name].version}"
    only_development = {canonicalize_name(r.name) for r in DEVELOPMENT} - {canonicalize_name(r.name) for r in RUNTIME}
    assert only_development.isdisjoint(RUNTIME_LOCK), only_development & RUNTIME_LOCK.keys()


def _runtime_closure() -> set[str]:
    """pyproject.toml's runtime dependencies and everything they require on this platform (with the
    extras asked for), from the installed distributions' own metadata, not from the lock."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    pending = list(RUNTIME)
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            metadata = distribution(requirement.name)
        except PackageNotFoundError:
            pytest.fail(f"{requirement.name} is required but not installed: python3 dev.py install")
        for text in metadata.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in (*requirement.extras, "")):
                pending.append(sub)
    return {name for name, _extras in seen}


def test_the_runtime_lock_is_the_closure_of_the_runtime_dependencies():
    """What the image installs is what the runtime needs here: no more (no development tool), no less
    (pip check in the image would fail)."""
    locked_here = {name for name, pin in RUNTIME_LOCK.items() if pin.applies_here()}
    assert locked_here == _runtime_closure(), REGENERATE


def test_the_lock_files_say_how_they_are_made():
    for path in (dev.RUNTIME_LOCK, dev.LOCK):
        assert "#    python3 dev.py lock\n" in path.read_text()
    assert ("--generate-hashes" in dev.LOCK_COMPILE and "--universal" in dev.LOCK_COMPILE)
    uv = DEV_LOCK["uv"]  # the tool that makes the lock is itself pinned, so every run makes the same lock
    assert canonicalize_name("uv") in {canonicalize_name(r.name) for r in DEVELOPMENT} and uv.hashes


# --- benchmarks are a development tool ------------------------------------------------------------


def _installed_apps(settings_module: str, tmp_path: Path) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings; print(*settings.INSTALLED_APPS)"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "VAR_DIR": str(tmp_path),
                   "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "plans.example.mil"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_benchmarks_are_installed_in_development_only(tmp_path):
    assert "benchmarks" in _installed_apps("config.settings.local", tmp_path)
    production = _installed_apps("config.settings.production", tmp_path)
    assert "api" in production and "benchmarks" not in production


# --- the wheel ------------------------------------------------------------------------------------

NOT_IN_THE_WHEEL = {"tests", "benchmarks"}  # pyproject.toml [tool.setuptools.packages.find] exclude
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", "var", "mutants", "build", "dist", "*.egg-info",
                                     "__pycache__", "node_modules", ".pytest_cache", ".ruff_cache", "test-artifacts")


def _product_files() -> set[str]:
    """Every file of the checkout's packages that the product runs: modules, migrations, commands,
    templates, static files, data."""
    files = set()
    for package in sorted(ROOT.iterdir()):
        if package.name in NOT_IN_THE_WHEEL or not (package / "__init__.py").is_file():
            continue
        for path in package.rglob("*"):
            relative = path.relative_to(ROOT)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix not in {".pyc", ".orig"}:
                files.add(relative.as_posix())
    return files


@pytest.mark.slow
def test_the_wheel_installs_in_a_new_environment_and_runs_from_there(tmp_path):
    """Build the wheel from a copy of the checkout, install it with the runtime lock (hashes
    checked) in a new virtual environment, and run Django from a folder outside the checkout."""
    source, wheels, environment_dir, elsewhere = (tmp_path / name for name in ("src", "dist", "env", "elsewhere"))
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE, symlinks=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels),
                    str(source)], check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("campaign_plans-*.whl")

    in_the_wheel = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_product_files() - in_the_wheel)
    assert not missing, f"not in the wheel: {missing[:20]}"
    assert {"organizations/data/reference.json", "workflow/static/workflow/site.css",
            "config/templates/admin/base_site.html", "planning/migrations/0001_initial.py"} <= in_the_wheel
    assert not {name.split("/")[0] for name in in_the_wheel} & NOT_IN_THE_WHEEL

    venv.EnvBuilder(with_pip=True).create(environment_dir)
    python = str(environment_dir / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, "--require-hashes", "-r", str(dev.RUNTIME_LOCK)], check=True, timeout=900)
    subprocess.run([*pip, str(wheel)], check=True, timeout=300)
    subprocess.run([python, "-m", "pip", "check"], check=True, capture_output=True, timeout=120)

    elsewhere.mkdir()
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"PYTHONPATH", "DATABASE_URL", "MIGRATION_DATABASE_URL", "CELERY_BROKER_URL",
                                  "CELERY_RESULT_BACKEND", "CACHE_URL", "VIRTUAL_ENV", "REQUIRE_SERVICES"}}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=secrets.token_urlsafe(50),
                       ALLOWED_HOSTS="plans.example.mil", VAR_DIR=str(tmp_path / "var"),
                       DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def django(*args: str) -> str:
        result = subprocess.run([python, *args], cwd=elsewhere, env=environment, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
        return result.stdout

    # The installed copy is the one used: every package comes from the new environment's site-packages.
    packages = sorted({name.split("/")[0] for name in in_the_wheel if name.endswith("/__init__.py")})
    where = django("-c", f"import importlib; print(*(importlib.import_module(p).__file__ for p in {packages}))")
    site_packages = django("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    for path in where.split():
        assert Path(path).is_relative_to(site_packages), path
        assert not Path(path).is_relative_to(ROOT), path

    assert "System check identified no issues" in django("-m", "django", "check", "--deploy", "--fail-level",
                                                         "WARNING")
    django("-m", "django", "migrate", "--no-input", "-v", "0")  # the migrations of every app
    django("-m", "django", "load_reference_data")  # a management command and organizations/data/*.json
    # Templates and static files, found by Django in the installed packages.
    found = django("-c", "import django; django.setup()\n"
                   "from django.template.loader import get_template\n"
                   "from django.contrib.staticfiles import finders\n"
                   "print(get_template('admin/base_site.html').origin.name, finders.find('workflow/site.css'))")
    assert all(Path(path).is_relative_to(site_packages) for path in found.split()), found
