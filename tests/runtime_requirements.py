"""The runtime closure of pyproject.toml's dependencies, pinned as in requirements.lock: what
requirements.runtime.txt must hold (the image installs it; dev tools stay out).

    .venv/bin/python -m tests.runtime_requirements > requirements.runtime.txt
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def lock_pins() -> dict[str, str]:
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return {canonicalize_name(line.split("==")[0]): line.strip() for line in lines if "==" in line}


def runtime_closure() -> set[str]:
    """Canonical names of the project's dependencies and of everything they require (with the
    extras asked for, on this platform), from the installed distributions' metadata."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    pending = [Requirement(dependency) for dependency in dependencies]
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            metadata = distribution(requirement.name)
        except PackageNotFoundError:
            continue  # not for this platform (a marker excluded it when it was installed)
        for text in metadata.requires or []:
            sub = Requirement(text)
            if sub.marker is not None and not any(
                    sub.marker.evaluate({"extra": extra}) for extra in (*requirement.extras, "")):
                continue
            pending.append(sub)
    return {name for name, _extras in seen}


def runtime_pins() -> list[str]:
    pins = lock_pins()
    wanted = runtime_closure()
    order = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line]
    return [line for line in order if canonicalize_name(line.split("==")[0]) in wanted and line in pins.values()]


if __name__ == "__main__":
    text = (ROOT / "requirements.runtime.txt").read_text()
    print("\n".join(line for line in text.splitlines() if line.startswith("#")))
    print("\n".join(runtime_pins()))
