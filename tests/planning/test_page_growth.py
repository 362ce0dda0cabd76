"""Pages whose cost follows what one page shows, not how much the user may see (issue #10):
counts that stop a few pages ahead and say so, lists that still reach every row, at most 15
queries a page whatever the amount of data, and the same answers as the unbounded reads."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Membership, Role
from planning.models import CampaignPlan, CampaignSupportPlan
from workflow.admin_lists import PeriodProbeQuerySet, _probing
from workflow.admin_views import TaskerAdmin
from workflow.models import Step, Tasker
from workflow.selectors import taskers_for_user
from workflow.services import transition_perform

from .test_workplace import _pad

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER


def _queries(client, url) -> int:
    """Statements a request sends, as in production: without the savepoints that the test's
    own transaction turns the session save's transaction into."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return sum(1 for query in context.captured_queries if "SAVEPOINT" not in query["sql"])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _da_taskers(world, n, *, suspense=datetime.date(2030, 1, 1)):
    plan = world.ready_plan()
    content_type = ContentType.objects.get_for_model(CampaignPlan)
    Tasker.objects.bulk_create([
        Tasker(content_type=content_type, object_id=plan.pk, step=Step.COORDINATION, organization=world.orgs["DA"],
               suspense=suspense + datetime.timedelta(days=i), document_title=f"{plan.title} {i:03}")
        for i in range(n)])
    return plan


def test_my_taskers_count_stops_a_few_pages_ahead_and_says_more_than(world, monkeypatch):
    monkeypatch.setattr(TaskerAdmin, "list_per_page", 2)  # five pages ahead: counted to 10
    _da_taskers(world, 13)
    client = client_for(world.user("DA", REV))
    url = reverse("admin:workflow_tasker_changelist")
    html = client.get(url).content.decode()
    assert "more than 10 taskers" in html
    assert "Select all taskers (more than 10)" in html
    assert "13 taskers" not in html
    assert 'href="?p=6"' in html  # the pager offers the page past the count
    deeper = client.get(url, {"p": 6})  # counts further from there: 13 rows, all reachable
    assert deeper.status_code == 200
    html = deeper.content.decode()
    assert "13 taskers" in html and "more than" not in html
    last = client.get(url, {"p": 7}).content.decode()
    assert last.count('class="action-select"') == 1  # the thirteenth tasker, on page 7


def test_a_short_list_shows_its_exact_count(world):
    _da_taskers(world, 3)
    html = client_for(world.user("DA", REV)).get(reverse("admin:workflow_tasker_changelist")).content.decode()
    assert "3 taskers" in html and "more than" not in html


def test_plan_list_says_more_than_when_it_stopped_counting(world, monkeypatch):
    from planning.admin import CampaignPlanAdmin

    monkeypatch.setattr(CampaignPlanAdmin, "list_per_page", 1)
    CampaignPlan.objects.bulk_create([
        CampaignPlan(title=f"Plan {i}", owner=world.orgs["EUCOM"], created_by=world.user("EUCOM", AO))
        for i in range(7)])
    html = client_for(world.user("EUCOM", AO)).get(reverse("admin:planning_campaignplan_changelist")).content.decode()
    assert "more than 5 campaign plans" in html
    searched = client_for(world.user("EUCOM", AO)).get(reverse("admin:planning_campaignplan_changelist"),
                                                     {"q": "Plan"}).content.decode()
    assert "more than 5 results" in searched


def test_the_owner_filter_lists_the_owners_of_visible_plans_only(world):
    CampaignSupportPlan.objects.create(title="Army plan", owner=world.orgs["DA"], created_by=world.user("DA", AO))
    navy = CampaignSupportPlan.objects.create(title="Navy plan", owner=world.orgs["DON"],
                                              created_by=world.user("DON", AO))
    CampaignSupportPlan.objects.create(title="Logistics plan", owner=world.orgs["DLA"], created_by=world.user("DLA", AO))
    Tasker.objects.create(content_type=ContentType.objects.get_for_model(CampaignSupportPlan), object_id=navy.pk,
                          step=Step.COORDINATION, organization=world.orgs["DA"], suspense=datetime.date(2030, 1, 1),
                          document_title=navy.title)
    html = client_for(world.user("DA", AO)).get(reverse("admin:planning_campaignsupportplan_changelist")).content.decode()
    assert f"owner__id__exact={world.orgs['DA'].pk}" in html
    assert f"owner__id__exact={world.orgs['DON'].pk}" in html  # DA is tasked on the Navy's plan
    assert f"owner__id__exact={world.orgs['DLA'].pk}" not in html


def test_my_taskers_include_those_assigned_to_me_outside_my_organizations(world):
    plan = _da_taskers(world, 2)
    navy = Tasker.objects.create(content_type=ContentType.objects.get_for_model(CampaignPlan), object_id=plan.pk,
                                 step=Step.COORDINATION, organization=world.orgs["DON"],
                                 assignee=world.user("DA", REV), suspense=datetime.date(2030, 6, 1),
                                 document_title="Assigned across")
    mine = set(taskers_for_user(world.user("DA", REV)).values_list("pk", flat=True))
    assert navy.pk in mine and len(mine) == 3
    Membership.objects.filter(user=world.user("DA", REV)).delete()  # left DA: the assignment remains
    assert set(taskers_for_user(world.user("DA", REV)).values_list("pk", flat=True)) == {navy.pk}


def test_the_date_hierarchy_probes_give_the_distinct_periods_of_the_list(world):
    _da_taskers(world, 3, suspense=datetime.date(2030, 1, 30))  # 30 Jan, 31 Jan, 1 Feb
    _da_taskers(world, 1, suspense=datetime.date(2032, 7, 4))
    taskers = taskers_for_user(world.user("DA", REV))
    probing = taskers._chain()
    probing.__class__ = _probing(type(taskers))
    assert isinstance(probing, PeriodProbeQuerySet)
    for kind in ("year", "month", "day"):
        assert list(probing.dates("suspense", kind)) == list(taskers.dates("suspense", kind)), kind
    january = probing.filter(suspense__year=2030, suspense__month=1)
    assert list(january.dates("suspense", "day")) == [datetime.date(2030, 1, 30), datetime.date(2030, 1, 31)]
    html = client_for(world.user("DA", REV)).get(reverse("admin:workflow_tasker_changelist")).content.decode()
    assert "suspense__year=2030" in html and "suspense__year=2032" in html and "suspense__year=2031" not in html


@pytest.mark.parametrize(("page", "who"), [
    ("index", ("DA", REV)), ("changelist", ("EUCOM", AO)), ("support_changelist", ("DA", AO)),
    ("taskers", ("DA", REV)), ("api_taskers", ("DA", REV)),
])
def test_pages_take_at_most_fifteen_queries_with_5_or_200_rows(world, page, who):
    counts = []
    for n in (5, 200):
        plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
        _pad(world, plan, n)
        url = {"index": reverse("admin:index"),
               "changelist": reverse("admin:planning_campaignplan_changelist"),
               "support_changelist": reverse("admin:planning_campaignsupportplan_changelist"),
               "taskers": reverse("admin:workflow_tasker_changelist"),
               "api_taskers": "/api/v1/taskers/"}[page]
        counts.append(_queries(client_for(world.user(*who)), url))
    assert max(counts) <= 15, counts
    assert counts[0] == counts[1], counts
