"""The OpenID Connect sign-in as a person does it in Chromium: the sign-in page's button (the same
form, consent box included, under the page's Content-Security-Policy), the provider's own page,
and back, signed in; an unlinked identity lands on the page saying what to ask for."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from security.models import AuditAction, AuditEvent
from tests.browser.conftest import CHROMIUM_ARGS, chromium  # noqa: F401 (Debian's Chromium, as a fixture)
from tests.oidc.conftest import PEOPLE

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres]


def _to_the_provider_and_back(chromium, base_url: str, person: str):  # noqa: F811
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=base_url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/admin/")
    expect(page.locator("#consent-banner")).to_contain_text("DoD Notice and Consent Banner")
    button = page.locator("#oidc-sign-in")
    expect(button).to_have_value("Sign in with Test Enterprise ID")
    button.click()  # without the consent box
    expect(page.locator(".messagelist")).to_contain_text("Acknowledge the DoD Notice and Consent Banner to sign in.")
    assert page.url.startswith(f"{base_url}/admin/login/")
    page.check("#id_consent")
    page.locator("#oidc-sign-in").click()
    page.wait_for_url("http://127.0.0.1:*/accounts/login/**")
    page.fill("#id_username", person)
    page.fill("#id_password", PEOPLE[person])
    page.click("input[type=submit][value='Sign in']")
    page.wait_for_url(f"{base_url}/**")
    return context, page


def test_in_chromium_the_linked_person_signs_in_through_the_provider(chromium, officer, live_server):  # noqa: F811
    from playwright.sync_api import expect

    context, page = _to_the_provider_and_back(chromium, live_server.url, "linked_officer")
    expect(page.locator("#workplace-start")).to_be_visible()
    assert page.url == f"{live_server.url}/admin/"
    assert AuditEvent.objects.get(action=AuditAction.SIGN_IN, user=officer).detail["oidc"]["subject"]
    context.close()


def test_in_chromium_an_unlinked_person_reads_what_to_ask_for(chromium, officer, oidc, live_server):  # noqa: F811
    from playwright.sync_api import expect

    users_before = get_user_model().objects.count()
    context, page = _to_the_provider_and_back(chromium, live_server.url, "unlinked_officer")
    expect(page.locator(".errornote")).to_have_text(
        "Your identity at Test Enterprise ID is not yet linked to an account here.")
    expect(page.locator("#oidc-identity")).to_contain_text(oidc["subjects"]["unlinked_officer"])
    assert get_user_model().objects.count() == users_before
    context.close()
