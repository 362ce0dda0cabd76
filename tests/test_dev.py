"""dev.py: a fresh install shows its progress, one line per package, instead of a silent minute;
an environment that already holds every locked version installs nothing."""

from __future__ import annotations

import base64
import hashlib
import zipfile

import dev


def _wheel(directory, name: str, version: str):
    """A minimal pure-Python wheel (PEP 427), so that pip runs for real and offline."""
    path = directory / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": b"",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(c).digest()).rstrip(b'=').decode()},{len(c)}"
              for n, c in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name_in, content in files.items():
            archive.writestr(name_in, content)
    return path


def test_an_install_shows_each_package_as_it_goes(tmp_path, capsys):
    for name in ("alpha_pkg", "beta_pkg"):
        _wheel(tmp_path, name, "0.1")
    dev.pip_install("--dry-run", "--no-index", "--find-links", str(tmp_path), "--ignore-installed",
                    "alpha_pkg==0.1", "beta_pkg==0.1", total=2)
    shown = capsys.readouterr()
    assert shown.out == ""  # stdout stays the command's own (`TOKEN=$(python3 dev.py manage ...)`)
    lines = shown.err.splitlines()
    assert any(line.startswith("[dev] [1/2] ") and "alpha_pkg" in line for line in lines), lines
    assert any(line.startswith("[dev] [2/2] ") and "beta_pkg" in line for line in lines), lines
    assert lines[-1].startswith("[dev] done in ")


def test_the_shared_environment_satisfies_the_lock_so_nothing_is_installed(tmp_path, monkeypatch):
    assert dev.lock_satisfied()
    lock = tmp_path / "dev.txt"
    lock.write_text("django==0.0.1 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    monkeypatch.setattr(dev, "LOCK", lock)
    assert not dev.lock_satisfied()


def test_a_package_for_another_platform_is_not_missing(tmp_path, monkeypatch):
    """The lock is for every platform: what a marker keeps for Windows is not wanted here."""
    lock = tmp_path / "dev.txt"
    lock.write_text("pywin32==312 ; sys_platform == 'win32' \\\n    --hash=sha256:" + "0" * 64 + "\n")
    monkeypatch.setattr(dev, "LOCK", lock)
    assert dev.lock_satisfied()
    lock.write_text("pywin32==312 ; sys_platform != 'win32' \\\n    --hash=sha256:" + "0" * 64 + "\n")
    assert not dev.lock_satisfied()
