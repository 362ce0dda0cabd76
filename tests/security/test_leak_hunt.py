"""The leak hunt: documents of every level and REL TO combination, users of each clearance and
citizenship; every admin list, change page, search, autocomplete, export, report and API URL
is requested, and no title of a document a user may not see appears in any response."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from organizations.models import Country, Membership, Role
from planning.models import CampaignPlan
from security.access import may_see
from security.models import SecurityProfile
from tests.admin_search import autocomplete_texts
from workflow.models import Response
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

SECRET_BLOCK = {"classified_by": "Training authority", "derived_from": "Training source", "declassify_on": "20501231"}
MARKINGS = [  # (level, noforn, rel_to)
    ("U", False, ()), ("CUI", False, ()), ("CUI", True, ()), ("C", False, ()), ("S", False, ()),
    ("S", True, ()), ("S", False, ("GB",)), ("S", False, ("GB", "AU")), ("S", False, ("AU",)), ("TS", False, ()),
    ("TS", False, ("GB",)),
]
PEOPLE = [  # (name, organization, clearance, citizenship)
    ("us_uncleared", "EUCOM", "U", "US"), ("us_secret", "EUCOM", "S", "US"), ("us_top_secret", "EUCOM", "TS", "US"),
    ("gb_secret", "EUCOM", "S", "GB"), ("au_top_secret", "EUCOM", "TS", "AU"), ("outsider_top_secret", "SOCOM", "TS", "US"),
    ("reviewer_secret", "J5", "S", "US"), ("tasked_confidential", "DON", "C", "US"), ("tasked_gb_secret", "DON", "S", "GB"),
]


def title_of(level, noforn, rel_to) -> str:
    return f"LEAKHUNT-{level}-{'NF' if noforn else 'REL' + '.'.join(rel_to) if rel_to else 'none'}-END"


@pytest.fixture
def marked_world(world):
    for code in ("GB", "AU"):
        Country.objects.get_or_create(code=code)
    plans = {}
    for level, noforn, rel_to in MARKINGS:
        plan = world.ready_plan()
        CampaignPlan.objects.filter(pk=plan.pk).update(
            title=title_of(level, noforn, rel_to), classification=level, noforn=noforn,
            **(SECRET_BLOCK if level in ("C", "S", "TS") else {}))
        plan.refresh_from_db()
        plan.rel_to.set(Country.objects.filter(code__in=rel_to))
        plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", Role.ACTION_OFFICER))
        tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs["DON"]), by=world.user("DON", Role.REVIEWER),
                       response=Response.NONCONCUR, rationale="r",
                       comments=[{"category": "critical", "text": "c", "section": "1"}])
        plans[(level, noforn, rel_to)] = plan
    # Each plan's assessment carries the plan's title: it must hide exactly where the plan hides.
    from assessments.models import Assessment, AssessmentCycle

    day = datetime.date(2030, 1, 1)
    cycle = AssessmentCycle.objects.create(fiscal_year=2030, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                                          template_suspense=day, collection_suspense=day, joint_review_suspense=day,
                                          evaluation_suspense=day)
    for key, plan in plans.items():
        Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], plan=plan, suspense=day,
                                  title=f"Assessment of {title_of(*key)}")
    people = {}
    for name, acronym, clearance, citizenship in PEOPLE:
        user = get_user_model().objects.create_user(name, is_staff=True)
        Membership.objects.create(user=user, organization=world.orgs[acronym], role=Role.REVIEWER,
                                  is_coordinator=True, start=datetime.date(2020, 1, 1))
        SecurityProfile.objects.create(user=user, clearance=clearance, citizenship=citizenship)
        people[name] = user
    return plans, people


def _urls(plans) -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:planning_campaignplan_changelist"),
            reverse("admin:planning_campaignplan_changelist") + "?q=LEAKHUNT",
            reverse("admin:planning_campaignplan_changelist") + "?state__exact=coordination",
            reverse("admin:planning_campaignsupportplan_changelist"),
            reverse("admin:workflow_tasker_changelist"), reverse("admin:workflow_tasker_changelist") + "?q=LEAKHUNT",
            reverse("admin:workflow_help", args=["planning", "campaignplan"]),
            reverse("admin:autocomplete") + "?app_label=planning&model_name=planobjective&field_name=x&term=LEAK"]
    for optional in ("admin:reminders_notification_changelist", "admin:reminders_reminder_changelist",
                     "admin:assessments_assessment_changelist", "admin:assessments_assessmentcycle_changelist",
                     "admin:workflow_historyentry_changelist", "admin:security_auditevent_changelist"):
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(optional))
    api = ["/api/v1/campaign-plans/", "/api/v1/campaign-plans/?search=LEAKHUNT", "/api/v1/taskers/",
           "/api/v1/taskers/?assigned_to_me=true", "/api/v1/comments/", "/api/v1/assessments/"]
    urls += api
    from assessments.models import Assessment

    for assessment in Assessment.objects.all():
        urls += [reverse("admin:assessments_assessment_change", args=[assessment.pk]),
                 f"/api/v1/assessments/{assessment.pk}/", f"/api/v1/assessments/{assessment.pk}/history/"]
    for plan in plans.values():
        urls += [reverse("admin:planning_campaignplan_change", args=[plan.pk]),
                 reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk]),
                 reverse("admin:planning_campaignplan_history", args=[plan.pk]),
                 f"/api/v1/campaign-plans/{plan.pk}/", f"/api/v1/campaign-plans/{plan.pk}/history/",
                 f"/api/v1/campaign-plans/{plan.pk}/transitions/"]
    return urls


def _text(response) -> str:
    body = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    return body.decode(errors="replace")


def test_no_title_of_a_document_a_user_may_not_see_appears_anywhere(marked_world):
    plans, people = marked_world
    urls = _urls(plans)
    checked = 0
    for (name, acronym, _clearance, _citizenship), user in zip(PEOPLE, people.values(), strict=True):
        client = Client()
        client.force_login(user)
        hidden = [title_of(*key) for key, plan in plans.items()
                  if not (may_see(user, plan.marking()) and acronym in ("EUCOM", "J5", "DON"))]
        visible = [title_of(*key) for key in plans if title_of(*key) not in hidden]
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (name, url, response.status_code)
            text = _text(response)
            leaked = [t for t in hidden if t in text]
            assert not leaked, (name, url, leaked)
            checked += 1
        # The hunt can find something: what the user may see does show up in their list.
        listing = _text(client.get(reverse("admin:planning_campaignplan_changelist") + "?q=LEAKHUNT"))
        assert all(t in listing for t in visible), (name, [t for t in visible if t not in listing])
    assert checked >= len(PEOPLE) * 40


@pytest.mark.parametrize(("citizenship", "clearance", "marking", "expected"), [
    ("US", "S", ("S", True, ()), True), ("US", "C", ("S", False, ()), False),
    ("GB", "TS", ("S", True, ()), False), ("GB", "S", ("S", False, ("GB",)), True),
    ("GB", "S", ("S", False, ("AU",)), False), ("GB", "S", ("S", False, ()), False),
    ("GB", "S", ("U", False, ()), True), ("GB", "S", ("CUI", True, ()), False),
])
def test_access_follows_clearance_and_release(world, citizenship, clearance, marking, expected):
    from security.markings import Marking

    user = get_user_model().objects.create_user(f"u{next(_counter)}")
    SecurityProfile.objects.create(user=user, clearance=clearance, citizenship=citizenship)
    level, noforn, rel_to = marking
    assert may_see(user, Marking(level=level, noforn=noforn, rel_to=frozenset(rel_to))) is expected


_counter = itertools.count()


def test_an_assessment_and_the_cycle_report_carry_the_banner_of_the_plans_they_assess(marked_world):
    from assessments.models import Assessment, AssessmentCycle
    from assessments.reports import cycle_report

    plans, _people = marked_world
    secret = Assessment.objects.get(plan=plans[("S", False, ("GB",))])
    assert secret.banner == "SECRET//REL TO USA, GBR"
    report = cycle_report(cycle=AssessmentCycle.objects.get(fiscal_year=2030))
    assert report.banner == "TOP SECRET//NOFORN"  # the highest level; some plans are NOFORN
    admin = get_user_model().objects.create_superuser("administrator_ts")
    SecurityProfile.objects.create(user=admin, clearance="TS", citizenship="US")
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("admin:assessments_assessment_change", args=[secret.pk])).content.decode()
    assert "SECRET//REL TO USA, GBR — TRAINING DATA" in page


def test_the_cycle_report_is_refused_to_whom_is_not_cleared_for_its_banner(marked_world):
    from assessments.models import AssessmentCycle

    _plans, people = marked_world
    cycle = AssessmentCycle.objects.get(fiscal_year=2030)
    url = reverse("admin:assessments_assessmentcycle_report", args=[cycle.pk])
    reviewer = Client()
    reviewer.force_login(people["reviewer_secret"])  # J5 runs the cycle's joint review, cleared SECRET
    assert reviewer.get(url).status_code == 403
    admin = get_user_model().objects.create_superuser("administrator_ts_report")
    SecurityProfile.objects.create(user=admin, clearance="TS", citizenship="US")
    cleared = Client()
    cleared.force_login(admin)
    page = cleared.get(url)
    assert page.status_code == 200 and "TOP SECRET//NOFORN — TRAINING DATA" in page.content.decode()


# --- the crawl: random titles, every admin page reachable from the index, every API GET ----------

HUNT_MARKINGS = {  # banner: (level, noforn, rel_to)
    "UNCLASSIFIED": ("U", False, ()), "CUI": ("CUI", False, ()), "SECRET//NOFORN": ("S", True, ()),
    "SECRET//REL TO USA, GBR": ("S", False, ("GB",)), "TOP SECRET": ("TS", False, ()),
}
HUNTERS = [  # (name, organization, clearance, citizenship)
    ("hunt_us_unclassified", "EUCOM", "U", "US"),      # of the owning command, not cleared
    ("hunt_unrelated_secret", "SOCOM", "S", "US"),     # cleared, of an unrelated command
    ("hunt_british_liaison", "EUCOM", "S", "GB"),      # cleared, British, in the owning command
    ("hunt_owner_top_secret", "EUCOM", "TS", "US"),    # cleared for everything, of the owning command
]
CRAWL_LIMIT = 3000  # a bound, not a sample: the crawl ends well before it
SKIPPED_PATHS = ("/logout/", "/delete/", "/password_change/", "/jsi18n/", "/r/", "/password/")


@pytest.fixture
def hunt_world(world, django_capture_on_commit_callbacks, mailoutbox):
    """Plans at each marking with random titles (their objectives, assessments, audit rows,
    taskers and reminders carry them), a draft whose form offers parent plans, and hunters."""
    import secrets

    from django.contrib.admin.models import CHANGE, LogEntry

    from assessments.models import Assessment, AssessmentCycle
    from reminders.services import reminders_plan, reminders_sweep
    from security.audit import audit_record
    from security.models import AuditAction
    from workflow.models import Tasker

    Country.objects.get_or_create(code="GB")
    officer = world.user("EUCOM", Role.ACTION_OFFICER)
    SecurityProfile.objects.create(user=officer, clearance="TS", citizenship="US")
    titles, plans = {}, {}
    day = datetime.date(2030, 1, 1)
    cycle = AssessmentCycle.objects.create(fiscal_year=2031, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                                          template_suspense=day, collection_suspense=day, joint_review_suspense=day,
                                          evaluation_suspense=day)
    for banner, (level, noforn, rel_to) in HUNT_MARKINGS.items():
        title = f"HUNT{secrets.token_hex(6).upper()}"
        plan = world.ready_plan()
        CampaignPlan.objects.filter(pk=plan.pk).update(
            title=title, classification=level, noforn=noforn, **(SECRET_BLOCK if level in ("C", "S", "TS") else {}))
        plan.refresh_from_db()
        plan.rel_to.set(Country.objects.filter(code__in=rel_to))
        plan.objectives.update(title=f"{title} objective", classification=level, noforn=noforn)
        for objective in plan.objectives.all():
            objective.rel_to.set(Country.objects.filter(code__in=rel_to))
        plan = transition_perform(document=plan, name="submit", by=officer)
        Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], plan=plan, suspense=day,
                                  title=f"Assessment of {title}")
        LogEntry.objects.log_actions(user_id=officer.pk, queryset=[plan], action_flag=CHANGE, single_object=True)
        audit_record(action=AuditAction.EXPORT, description=f"Comment resolution matrix exported: {plan}", obj=plan)
        titles[banner], plans[banner] = title, plan
    # A draft (a contingency plan in the making): its form lists every parent plan one may choose.
    draft = world.ready_plan()
    CampaignPlan.objects.filter(pk=draft.pk).update(title=f"HUNT{secrets.token_hex(6).upper()}")
    titles["UNCLASSIFIED draft"], plans["UNCLASSIFIED draft"] = CampaignPlan.objects.get(pk=draft.pk).title, draft

    hunters = {}
    for name, acronym, clearance, citizenship in HUNTERS:
        user = get_user_model().objects.create_user(name, email=f"{name}@example.mil", is_staff=True)
        Membership.objects.create(user=user, organization=world.orgs[acronym], role=Role.ACTION_OFFICER,
                                  start=datetime.date(2020, 1, 1))
        if acronym == "EUCOM":  # also a coordinator of a tasked organization: reminders reach them
            Membership.objects.create(user=user, organization=world.orgs["DON"], role=Role.REVIEWER,
                                      is_coordinator=True, start=datetime.date(2020, 1, 1))
        SecurityProfile.objects.create(user=user, clearance=clearance, citizenship=citizenship)
        hunters[name] = get_user_model().objects.get(pk=user.pk)
    # Every reminder of every open tasker, due or not, is sent now: e-mails and notifications.
    with django_capture_on_commit_callbacks(execute=True):
        reminders_plan(taskers=Tasker.objects.filter(state="open"))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(now=timezone.now() + datetime.timedelta(days=3650))
    return titles, plans, hunters


def _hidden_titles(user, acronym, titles) -> list[str]:
    """The titles (and their objectives' and assessments', which contain them) ``user`` may not see:
    not cleared or released for the marking, or no need-to-know (not of the owning command)."""
    from security.markings import Marking

    hidden = []
    for banner, title in titles.items():
        level, noforn, rel_to = HUNT_MARKINGS.get(banner, ("U", False, ()))
        if acronym != "EUCOM" or not may_see(user, Marking(level=level, noforn=noforn, rel_to=frozenset(rel_to))):
            hidden.append(title)
    return hidden


def _admin_start_urls(plans) -> list[str]:
    from django.contrib import admin

    from assessments.models import Assessment

    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        with contextlib.suppress(NoReverseMatch):
            changelist = reverse("admin:{}_{}_changelist".format(*info))
            urls += [changelist, changelist + "?q=HUNT"]
        for inline_or_admin in (model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)):
            for field in getattr(inline_or_admin, "autocomplete_fields", ()):
                urls.append(reverse("admin:autocomplete") + f"?app_label={inline_or_admin.model._meta.app_label}"
                            f"&model_name={inline_or_admin.model._meta.model_name}&field_name={field}&term=")
    for plan in plans.values():  # asked directly too: a page one may not reach must not answer either
        urls += [reverse("admin:planning_campaignplan_change", args=[plan.pk]),
                 reverse("admin:planning_campaignplan_history", args=[plan.pk]),
                 reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk])]
    urls += [reverse("admin:assessments_assessment_change", args=[a.pk]) for a in Assessment.objects.all()]
    return urls


def _api_urls(plans) -> list[str]:
    from assessments.models import Assessment, AssessmentCycle
    from workflow.models import Comment, Tasker

    urls = []
    for resource in ("organizations", "countries", "gef", "campaign-plans", "campaign-support-plans", "taskers",
                     "comments", "assessment-cycles", "assessments", "program-assessments"):
        urls += [f"/api/v1/{resource}/", f"/api/v1/{resource}/?search=HUNT"]
    urls.append("/api/v1/taskers/?assigned_to_me=true")
    for plan in plans.values():
        urls += [f"/api/v1/campaign-plans/{plan.pk}/{tail}" for tail in ("", "history/", "transitions/")]
    for model, resource in ((Assessment, "assessments"), (AssessmentCycle, "assessment-cycles")):
        for pk in model.objects.values_list("pk", flat=True):
            urls += [f"/api/v1/{resource}/{pk}/{tail}" for tail in ("", "history/", "transitions/")]
    urls += [f"/api/v1/taskers/{pk}/" for pk in Tasker.objects.values_list("pk", flat=True)]
    urls += [f"/api/v1/comments/{pk}/" for pk in Comment.objects.values_list("pk", flat=True)]
    return urls


def _links(url: str, page: str) -> list[str]:
    import html
    from urllib.parse import parse_qsl, urlencode, urljoin, urlparse

    found = []
    for href in re.findall(r'href="([^"#]+)"', page):
        parsed = urlparse(urljoin(url, html.unescape(href)))
        if parsed.netloc not in ("", "testserver") or not parsed.path.startswith("/admin/"):
            continue
        if any(part in parsed.path for part in SKIPPED_PATHS):
            continue
        # The same page with its list's filters remembered, or sorted otherwise, shows nothing new.
        query = urlencode([(key, value) for key, value in parse_qsl(parsed.query, keep_blank_values=True)
                           if key not in ("_changelist_filters", "o")])
        found.append(parsed.path + (f"?{query}" if query else ""))
    return found


def _crawl(client, start: list[str]):
    """Breadth first from ``start``: every page without a query string has its links followed; a
    page with one (a filter, a search, a sort, a page number) is read, not followed further."""
    import collections

    queue, seen = collections.deque(start), set()
    while queue and len(seen) < CRAWL_LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        yield url, response
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html") and "?" not in url:
            queue.extend(link for link in _links(url, _text(response)) if link not in seen)


def _exports(client, user) -> list[tuple[str, object]]:
    """Every export action of every change list, over everything the list shows."""
    from django.contrib import admin
    from django.test import RequestFactory

    answers = []
    for model, model_admin in admin.site._registry.items():
        request = RequestFactory().get("/")
        request.user = user
        for name in model_admin.get_actions(request):
            if not name.startswith("export"):
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            answers.append((f"{url} [{name}]", client.post(url, {"action": name, "select_across": "1", "index": "0",
                                                                 "_selected_action": ["0"]})))
    return answers


def test_a_crawl_of_every_admin_page_api_answer_and_email_shows_no_title_to_whom_may_not_see_it(hunt_world, mailoutbox):
    titles, plans, hunters = hunt_world
    assert len(set(titles.values())) == len(titles)
    reached = {}
    for name, acronym, _clearance, _citizenship in HUNTERS:
        user = hunters[name]
        hidden = _hidden_titles(user, acronym, titles)
        visible = [t for t in titles.values() if t not in hidden]
        client = Client()
        client.force_login(user)
        pages = [*_crawl(client, _admin_start_urls(plans)), *_exports(client, user)]
        api = Client()
        api.force_login(user)
        pages += [(url, api.get(url)) for url in _api_urls(plans)]
        for url, response in pages:
            assert response.status_code < 500, (name, url, response.status_code)
            text = _text(response)
            leaked = [t for t in hidden if t in text]
            assert not leaked, (name, url, leaked)
        reached[name] = len(pages)
        # The hunt can find something: what the user may see shows up in their own list.
        listing = _text(client.get(reverse("admin:planning_campaignplan_changelist") + "?q=HUNT"))
        assert all(t in listing for t in visible), (name, [t for t in visible if t not in listing])
        # Choices are titles: a new plan's parent plan search offers exactly what the user may see.
        offered = " ".join(autocomplete_texts(client, "campaignplan", "parent_plan", "HUNT"))
        assert all(t in offered for t in visible), (name, offered)
        assert not [t for t in hidden if t in offered], (name, offered)
    assert all(count >= 150 for count in reached.values()), reached
    # E-mails (their texts are the in-app notifications the crawl read): nothing a recipient may not see.
    assert mailoutbox, "the reminders sent no e-mail: the hunt would prove nothing"
    organization = {name: acronym for name, acronym, _clearance, _citizenship in HUNTERS}
    mailed = set()
    for message in mailoutbox:
        for address in message.to:
            name = address.partition("@")[0]
            if name not in hunters:
                continue
            mailed.add(name)
            hidden = _hidden_titles(hunters[name], organization[name], titles)
            leaked = [t for t in hidden if t in f"{message.subject}\n{message.body}"]
            assert not leaked, (address, leaked)
    assert mailed, "no hunter received an e-mail"
