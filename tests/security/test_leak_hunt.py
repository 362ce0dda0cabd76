"""The leak hunt: documents of every level and REL TO combination, users of each clearance and
citizenship; every admin list, change page, search, autocomplete, export, report and API URL
is requested, and no title of a document a user may not see appears in any response."""

from __future__ import annotations

import contextlib
import datetime
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from organizations.models import Country, Membership, Role
from planning.models import CampaignPlan
from security.access import may_see
from security.models import SecurityProfile
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
        Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], campaign_plan=plan, suspense=day,
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
    secret = Assessment.objects.get(campaign_plan=plans[("S", False, ("GB",))])
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
