import sys
from types import SimpleNamespace

import pytest
from django.apps import apps

from organizations import reference


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The real hasher is slow by design; these tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reference_data(db):
    """The repository's reference data, loaded as ``load_reference_data`` loads it."""
    return reference.load()


@pytest.fixture
def fake_apps(tmp_path, monkeypatch):
    """Installed apps as the load commands see them: organizations, then four packages. Two have
    ``demo`` and ``reference`` modules with a ``load`` that records its call; one has modules
    without ``load``; one has none. Yields the list of recorded (app, module, stdout) calls."""
    calls = []
    sys.modules["fake_calls"] = SimpleNamespace(CALLS=calls)
    loader = "from fake_calls import CALLS\n\ndef load(*, stdout):\n    CALLS.append(({app!r}, {module!r}, stdout))\n"
    names = ("fake_planning", "fake_no_modules", "fake_helpers", "fake_assessments")
    for name in names:
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        for module in ("demo", "reference"):
            if name in ("fake_planning", "fake_assessments"):
                (package / f"{module}.py").write_text(loader.format(app=name, module=module))
            elif name == "fake_helpers":
                (package / f"{module}.py").write_text("HELPER = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    configs = [apps.get_app_config("organizations")]
    configs += [SimpleNamespace(label=name, name=name, module=__import__(name), path=str(tmp_path / name))
                for name in names]
    monkeypatch.setattr(apps, "get_app_configs", lambda: configs)
    yield calls
    for name in [name for name in sys.modules if name.startswith("fake_")]:
        del sys.modules[name]
