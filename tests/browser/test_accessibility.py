"""Section 508 (WCAG 2.1 A and AA) on every kind of page, and no page wider than a 420 px screen.

axe-core (``tests/browser/axe``, installed from the npm registry by ``python3 dev.py install``,
never fetched at run time) runs in Chromium on each page with the rules tagged wcag2a, wcag2aa,
wcag21a and wcag21aa. The pages come from the demo data (plans in every state, a closed cycle
and one in collection), seen by the people who work on them. Each violation is printed with
its selector; the test wants none. The same visit then narrows the window to 420 px and
compares the document's scroll width with the window's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1366, "height": 900}
NARROW = 420


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; its violations, each with its nodes' selectors."""
    assert AXE_JS.exists(), (f"axe-core is not installed ({AXE_JS}): run `python3 dev.py install` "
                             "(npm ci in tests/browser/axe)")
    # The page's own scripts have run (names and keyboard access the site's script adds).
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated by the DevTools protocol, not as a <script> tag: the site's CSP stays on.
        page.evaluate(AXE_JS.read_text() + "\n;undefined")
    result = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                resultTypes: ['violations']})
                             .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))""",
                           WCAG_TAGS)
    return result


DIAGRAM_CHECK = (Path(__file__).resolve().parent / "diagram_check.js").read_text()


def too_wide(page) -> tuple[tuple[int, int] | None, list[str]]:
    """At a 420 px window: (document's scroll width, window width) if the page scrolls sideways,
    and what is wrong with its diagrams there (labels under 12 px: a diagram that shrank)."""
    page.set_viewport_size({"width": NARROW, "height": 900})
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    diagrams = page.evaluate(DIAGRAM_CHECK)
    page.set_viewport_size(DESKTOP)
    return (tuple(widths) if widths[0] > widths[1] else None), diagrams


class Audit:
    """The pages visited, what axe found on each and the ones wider than the narrow window."""

    def __init__(self, browser):
        self.browser = browser
        self.found: list[str] = []
        self.wide: list[str] = []
        self.visited: list[str] = []
        self.wrong: list[str] = []
        self.diagrams: list[str] = []

    def check(self, name: str, url: str | None = None, *, status: int | None = 200, narrow: bool = True):
        page = self.browser.page
        if url is not None:
            response = page.goto(url)
            if status is not None and response.status != status:
                self.wrong.append(f"{name}: {url} answered {response.status}, not {status}")
        self.visited.append(name)
        if page.locator(".timezonewarning:visible").count():  # hidden by the stylesheet, not by a script
            self.wrong.append(f"{name}: the admin's “hours ahead of server time” notice is shown")
        for violation in axe_violations(page):
            for node in violation["nodes"]:
                self.found.append(f"{name} ({page.url}): {violation['id']} [{violation['impact']}] "
                                  f"{violation['help']} — {node['target']}\n    {node['summary']}")
        self.diagrams.extend(f"{name}: {problem}" for problem in page.evaluate(DIAGRAM_CHECK))
        if narrow:
            widths, diagrams = too_wide(page)
            if widths:
                self.wide.append(f"{name} ({page.url}): {widths[0]} px wide in a {widths[1]} px window")
            self.diagrams.extend(f"{name} at {NARROW} px: {problem}" for problem in diagrams)

    def assert_clean(self):
        report = "\n".join(self.found)
        if report:
            print(f"axe-core (WCAG 2.1 A/AA) violations on {len(self.visited)} pages:\n{report}")
        assert not self.wrong, "\n".join(self.wrong)
        assert not self.found, f"{len(self.found)} axe-core violations:\n{report}"
        assert not self.wide, "pages wider than a 420 px screen:\n" + "\n".join(self.wide)
        assert not self.diagrams, "diagrams hard to read:\n" + "\n".join(self.diagrams)


def demo_world():
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    users = {}
    for user in get_user_model().objects.filter(username__in=["administrator", "eucom_action_officer",
                                                              "da_reviewer", "eucom_approver", "j5_action_officer"]):
        user.set_password(PASSWORD)
        user.save()
        users[user.username] = user
    return users


def photograph(browser, name: str) -> None:
    """The README's pictures of this page: the whole page at 1366 px, the first screen at 420 px
    (with UPDATE_SCREENSHOTS=1)."""
    page = browser.page
    browser.step(f"{name}-1366", readme=f"{name}-1366")
    page.set_viewport_size({"width": NARROW, "height": 900})
    browser.step(f"{name}-420", readme=f"{name}-420", full_page=False)
    page.set_viewport_size(DESKTOP)


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def audit(browser):
    return Audit(browser)


def test_every_kind_of_page_passes_axe_core_and_fits_a_narrow_screen(browser, audit):
    from assessments.models import Assessment, AssessmentCycle
    from planning.models import CampaignPlan, CampaignSupportPlan, PlanState
    from workflow.models import Tasker
    from workflow.registry import registered_documents

    users = demo_world()

    # Signed out: the sign-in page, and again after a sign-in without the consent box ticked.
    page = browser.open(DESKTOP)
    audit.check("sign-in", reverse("admin:login"))
    page.fill("#id_username", "administrator")
    page.fill("#id_password", PASSWORD)
    page.evaluate("() => { document.getElementById('id_consent').required = false; }")  # the server's answer
    page.click("input[type=submit][value='Log in']")
    expect(page.locator(".errornote")).to_be_visible()
    audit.check("sign-in refused (no consent)")
    audit.check("not found, signed out", "/no-such-page/", status=404)

    # The administrator: start page, every change list, an add form and a change page of each model.
    page = browser.sign_in(users["administrator"], viewport=DESKTOP)
    audit.check("start page (administrator)")
    audit.check("root URL", "/")
    assert page.url.endswith(reverse("admin:index")), f"the root URL led to {page.url}"
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        try:
            list_url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        audit.check(f"change list {label}", list_url)
        first = model_admin.get_queryset(_request_of(users["administrator"])).order_by("pk").first()
        if first is not None:
            audit.check(f"change page {label}", change_url(first))
    for model in registered_documents():  # each kind of document in each state it is found in
        for state, _ in model._meta.get_field("state").choices:
            document = model.objects.filter(state=state).order_by("pk").first()
            if document is not None:
                audit.check(f"{model._meta.label_lower} {state}", change_url(document))
    for model in registered_documents():
        audit.check(f"help page {model._meta.label_lower}",
                    reverse("admin:workflow_help", args=[model._meta.app_label, model._meta.model_name]))
    for cycle in AssessmentCycle.objects.order_by("fiscal_year"):
        audit.check(f"cycle page FY{cycle.fiscal_year} ({cycle.state})", change_url(cycle))
        if cycle.state == "collection":
            photograph(browser, "cycle-page")
        try:
            report = reverse("admin:assessments_assessmentcycle_report", args=[cycle.pk])
        except NoReverseMatch:
            report = None
        if report:
            audit.check(f"cycle report FY{cycle.fiscal_year}", report)
            audit.check(f"printable cycle report FY{cycle.fiscal_year}",
                        reverse("admin:assessments_assessmentcycle_report_print", args=[cycle.pk]))
    audit.check("my preferences", reverse("admin:preferences"))
    audit.check("notification settings", reverse("admin:notification_settings"))
    audit.check("SCO manning against requests", reverse("admin:manpower_manning_report"))
    audit.check("SC workforce readiness", reverse("admin:workforce_readiness"))
    audit.check("directive traceability (help)", reverse("admin:directive_traceability"))
    audit.check("not found, signed in", "/admin/planning/campaignplan/999999/change/", status=None)
    _audit_the_cycle_pages(browser, audit, users)

    # The plan owner's action officer: the plan in each state (the comment matrix with its
    # adjudication form where comments are open).
    page = browser.sign_in(users["eucom_action_officer"], viewport=DESKTOP)
    audit.check("start page (action officer)")
    # Full width, the person's open taskers first: not squeezed beside "Recent actions".
    taskers = page.locator("#my-taskers").bounding_box()
    assert taskers["width"] > DESKTOP["width"] * 0.8, f"the open taskers are {taskers['width']:.0f} px wide"
    assert taskers["y"] < page.locator("#recent-actions-module").bounding_box()["y"]
    photograph(browser, "start-page")
    for state in PlanState.values:
        plan = CampaignPlan.objects.filter(owner__acronym="EUCOM", state=state).order_by("pk").first()
        if plan is not None:
            audit.check(f"campaign plan, {state} (owner)", change_url(plan))
            if state == PlanState.COORDINATION:
                photograph(browser, "plan-page")
    audit.check("add campaign plan", reverse("admin:planning_campaignplan_add"))
    audit.check("My work (action officer)", reverse("admin:my_work"))
    audit.check("My work, filtered (action officer)", reverse("admin:my_work") + "?due=none&sort=document")
    assessment = Assessment.objects.filter(owner__acronym="EUCOM").order_by("-pk").first()
    if assessment is not None:
        audit.check("assessment (owner)", change_url(assessment))

    # A coordinating reviewer: their taskers and the answer form on the plan.
    page = browser.sign_in(users["da_reviewer"], viewport=DESKTOP)
    audit.check("start page (reviewer)")
    open_tasker = Tasker.objects.filter(organization__acronym="DA", state="open").order_by("pk").first()
    if open_tasker is not None:
        audit.check("plan with the reviewer's answer form", change_url(open_tasker.document))
    audit.check("My taskers: taskers list (reviewer)", reverse("admin:workflow_tasker_changelist"))
    audit.check("My work (reviewer)", reverse("admin:my_work"))
    first = page.locator("#my-work tbody a").first
    if first.count():
        first.click()  # the task page, as My work opens it: the decision first
        expect(page.locator("#workflow-state")).to_be_visible()
        audit.check("task page from My work (reviewer)")
    for plan in CampaignSupportPlan.objects.filter(owner__acronym="DA").order_by("pk")[:2]:
        audit.check(f"support plan, {plan.state} (owner's reviewer)", change_url(plan))

    # The owning command's approver (Encl. 2, 10.a): a plan of its command in review, with the approval button.
    browser.sign_in(users["eucom_approver"], viewport=DESKTOP)
    in_review = CampaignPlan.objects.filter(state=PlanState.REVIEW, owner__acronym="EUCOM").order_by("pk").first()
    if in_review is not None:
        audit.check("campaign plan in review (approver)", change_url(in_review))
    audit.check("forbidden (approver on the audit trail)", reverse("admin:security_auditevent_changelist"),
                status=403)

    audit.assert_clean()
    assert len(audit.visited) > 40, audit.visited
    print(f"axe-core: {len(audit.visited)} pages checked, no violations; none wider than {NARROW} px")
    print(json.dumps(audit.visited))


def _audit_the_cycle_pages(browser, audit, users):
    """The cycle's setup form, its checklist, the confirmation of an early joint review and of a
    launch, and the template's pages by section (next year's cycle, set up here through the
    services as the demo's people would)."""
    from assessments.models import AssessmentCycle, Template
    from assessments.services import cycle_create, template_carry_forward_source, template_create
    from workflow.models import Response, Step
    from workflow.selectors import open_taskers
    from workflow.services import tasker_respond, transition_perform

    page = browser.page
    audit.check("assessment cycle setup (proposed)", reverse("admin:assessments_assessmentcycle_add"))
    collecting = AssessmentCycle.objects.filter(state="collection").first()
    if collecting is not None:
        page.goto(change_url(collecting))
        page.locator("#workflow-state").get_by_role("button", name="Start the joint review").click()
        expect(page.locator("#outstanding-summary")).to_be_visible()
        audit.check("joint review confirmation (outstanding)")
    latest = AssessmentCycle.objects.order_by("-fiscal_year").first()
    cycle = cycle_create(by=users["administrator"], fiscal_year=latest.fiscal_year + 1, owner=latest.owner,
                         policy_office=latest.policy_office, program_coordinator=latest.program_coordinator,
                         template_suspense=latest.evaluation_suspense,
                         collection_suspense=latest.evaluation_suspense.replace(year=latest.evaluation_suspense.year + 1),
                         joint_review_suspense=latest.evaluation_suspense.replace(year=latest.evaluation_suspense.year + 1),
                         evaluation_suspense=latest.evaluation_suspense.replace(year=latest.evaluation_suspense.year + 1))
    audit.check("cycle checklist (set up)", change_url(cycle))
    cycle = transition_perform(document=cycle, name="start_template", by=users["administrator"])
    j5 = users["j5_action_officer"]
    template = template_create(cycle=cycle, by=j5, copy_from=template_carry_forward_source(cycle))
    browser.sign_in(j5, viewport=DESKTOP)
    audit.check("template add form (carried forward)", reverse("admin:assessments_template_add"))
    audit.check("template draft with its preview", change_url(template))
    audit.check("template section with its questions", reverse("admin:assessments_templatesection_change",
                                                               args=[template.sections.order_by("pk").first().pk]))
    audit.check("template section added", reverse("admin:assessments_templatesection_add") + f"?template={template.pk}")
    template = transition_perform(document=template, name="consult", by=j5)
    usdp = get_user_model().objects.get(username="usdp_reviewer")
    tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(), by=usdp, response=Response.CONCUR)
    transition_perform(document=Template.objects.get(pk=template.pk), name="approve",
                       by=get_user_model().objects.get(username="j5_approver"))
    page = browser.sign_in(users["administrator"], viewport=DESKTOP)
    page.goto(change_url(cycle))
    audit.check("cycle checklist (ready to launch)")
    page.locator("#workflow-state").get_by_role("button", name="Launch").click()
    expect(page.locator("#launch-tasked")).to_be_visible()
    audit.check("launch confirmation")


def _request_of(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_sign_in_header_and_error_pages_in_plain_words(browser, world, person, settings):
    """The consent message once; the banner scrolls while the fields stay on the screen; the
    header names the person and their role; 403, 404, 429 (lockout) and 500 pages carry the
    banner, say what happened and lead back; all pass axe-core."""
    from django.test import RequestFactory
    from django.views.defaults import server_error

    from organizations.models import Role

    audit = Audit(browser)
    officer = person(world.user("EUCOM", Role.ACTION_OFFICER))
    page = browser.open({"width": 1366, "height": 768})
    page.goto(reverse("admin:login"))
    submit = page.locator("input[type=submit][value='Log in']")
    expect(submit).to_be_in_viewport()
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.evaluate("() => { document.getElementById('id_consent').required = false; }")
    submit.click()
    note = page.locator(".errornote")
    expect(note).to_have_count(1)
    text = note.inner_text()
    assert text.count("Acknowledge the DoD Notice and Consent Banner") == 1, f"the consent message: {text!r}"
    audit.check("sign-in refused (no consent)")

    page = browser.sign_in(officer)
    expect(page.locator("#user-tools")).to_contain_text("Action officer, EUCOM")
    expect(page.locator("#user-tools")).not_to_contain_text("Welcome, EUCOM")
    expect(page.locator("#person-time-zone")).to_contain_text(settings.TIME_ZONE)

    # Keyboard: a skip link leads to the workflow panel; what has the focus shows a ring.
    from workflow.services import transition_perform

    plan = transition_perform(document=world.ready_plan(), name="submit", by=officer)
    page.goto(change_url(plan))
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => [document.activeElement.textContent.trim(), "
                                "getComputedStyle(document.activeElement).outlineStyle]")
        assert focused[1] != "none", f"“{focused[0]}” has the focus but no visible ring"
        if focused[0] == "Skip to the workflow panel":
            break
    else:
        raise AssertionError("no “Skip to the workflow panel” link within 40 presses of Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "workflow-state"
    expect(page.locator("#workflow-state")).to_be_in_viewport()

    for name, url, status, heading in (
        ("404 page", "/admin/planning/campaignplan/999999/change/", None, None),
        ("404 page outside the admin", "/no-such-page/", 404, "This page does not exist"),
        ("403 page", reverse("admin:security_auditevent_changelist"), 403, "not allowed"),
    ):
        audit.check(name, url, status=status)
        if heading:
            expect(page.locator("h1")).to_contain_text(heading)
            expect(page.locator(".wf-banner").first).to_contain_text("UNCLASSIFIED")
            page.get_by_role("link", name="Go to the start page").click()
            expect(page.locator("#workplace-start")).to_be_visible()

    request = RequestFactory().get("/")
    html = server_error(request).content.decode()
    page.goto("/no-such-page/")
    page.set_content(html)
    expect(page.locator("h1")).to_contain_text("Something went wrong")
    expect(page.locator(".wf-banner").first).to_contain_text("UNCLASSIFIED")
    audit.check("500 page", status=None)

    # Three wrong passwords lock the account: the 429 page.
    page = browser.open(DESKTOP)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(reverse("admin:login"))
        page.fill("#id_username", officer.username)
        page.fill("#id_password", "not-the-password")
        page.check("#id_consent")
        with page.expect_response(lambda r: r.request.method == "POST") as info:
            page.click("input[type=submit][value='Log in']")
    assert info.value.status == 429, info.value.status
    expect(page.locator(".wf-banner").first).to_contain_text("UNCLASSIFIED")
    expect(page.get_by_role("link", name="Back to sign-in")).to_be_visible()
    audit.check("429 lockout page", status=None)
    audit.assert_clean()
