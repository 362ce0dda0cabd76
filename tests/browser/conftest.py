"""Browser tests: Playwright drives Debian's Chromium (headless, never a downloaded browser)
against pytest-django's live server.

Each person is a browser context of their own who signs in through the real login page (with
the DoD consent box ticked). Every step is photographed in memory; when a test fails, the photos
and the page as it was at the failure are written to ``test-artifacts/browser/<test>/`` (with
``KEEP_SCREENSHOTS=1``, those of passing tests too). With
``UPDATE_SCREENSHOTS=1`` the same tests also write the README's pictures to ``docs/screenshots/``.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse

from tests.planning.conftest import world  # noqa: F401 (the planning world, reused as a fixture here)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDE = {"width": 1280, "height": 900}
PASSWORD = "Correct-Horse-Battery-Staple-2026!"  # noqa: S105 (a test password, strong enough for the validators)
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS", "") not in ("", "0", "false")
KEEP_SCREENSHOTS = os.environ.get("KEEP_SCREENSHOTS", "") not in ("", "0", "false")  # the photos of passes too
ROOT = Path(__file__).resolve().parents[2]
README_SHOTS = ROOT / "docs" / "screenshots"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures know at teardown whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def chromium(monkeypatch):
    """One Chromium per test. Playwright's sync API runs an event loop in this thread, which
    Django's async-safety check would mistake for async code calling the ORM: the check is off
    for this test only (the ORM calls here are plain synchronous ones)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class Browser:
    """The people of one test, each in a browser context of their own, and the test's photos."""

    chromium: object
    base_url: str
    name: str
    contexts: list = field(default_factory=list)
    shots: list[tuple[str, bytes]] = field(default_factory=list)
    page: object = None  # the page of the person acting now

    def open(self, viewport=None):
        context = self.chromium.new_context(viewport=viewport or WIDE, base_url=self.base_url)
        context.set_default_timeout(15_000)
        context.on("dialog", lambda dialog: dialog.accept())  # confirmations are read, then accepted
        self.contexts.append(context)
        self.page = context.new_page()
        return self.page

    def sign_in(self, user, *, viewport=None):
        """A person opens the admin, reads the consent banner, ticks it and logs in."""
        from playwright.sync_api import expect

        page = self.open(viewport)
        page.goto(reverse("admin:index"))
        expect(page.locator("#consent-banner")).to_contain_text("DoD Notice and Consent Banner")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.check("#id_consent")
        page.click("input[type=submit][value='Log in']")
        expect(page.locator("#workplace-start")).to_be_visible()
        self.step(f"{user.username}-signed-in")
        return page

    def step(self, label: str, *, readme: str | None = None, full_page: bool = True) -> None:
        """Photograph the page (kept in memory; written out only if the test fails) and, with
        UPDATE_SCREENSHOTS=1, write it as the README picture ``readme`` (the whole page, or
        what the window shows with ``full_page=False``)."""
        image = self.page.screenshot(full_page=full_page)
        self.shots.append((label, image))
        if readme and UPDATE_SCREENSHOTS:
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            (README_SHOTS / f"{readme}.png").write_bytes(image)

    def save_artifacts(self, directory: Path) -> None:
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        for number, (label, image) in enumerate(self.shots, start=1):
            (directory / f"{number:02d}-{_slug(label)}.png").write_bytes(image)
        for number, context in enumerate(self.contexts, start=1):
            for page in context.pages:
                try:
                    page.screenshot(path=str(directory / f"last-page-{number:02d}.png"), full_page=True)
                    (directory / f"last-page-{number:02d}.html").write_text(page.content())
                except Exception:  # noqa: BLE001, S112 (a page that cannot be photographed is not the failure)
                    continue

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


@pytest.fixture
def browser(request, chromium, live_server):
    """The browser of one test; on failure its photos go to test-artifacts/browser/<test>/."""
    people = Browser(chromium=chromium, base_url=live_server.url, name=request.node.name)
    yield people
    report = getattr(request.node, "rep_call", None)
    artifacts = ROOT / "test-artifacts" / "browser" / _slug(request.node.name)
    if report is None or report.failed or KEEP_SCREENSHOTS:
        people.save_artifacts(artifacts)
    elif artifacts.exists():
        shutil.rmtree(artifacts)  # the photos of an earlier failure would mislead now
    people.close()


@pytest.fixture
def person(transactional_db):
    """``person(user)``: give a user a strong password, as an administrator would. What opens to
    them follows from their memberships."""

    def make(user):
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()
