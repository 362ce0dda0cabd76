"""The admin as a workplace: the start page, diagrams from the state machine, and page cost that
does not grow with the data (query counts with 5 and with 200 taskers and comments)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Country, Organization, OrganizationKind, Role
from planning.models import CampaignPlan
from workflow.diagrams import state_diagram_svg, workflow_edges
from workflow.models import Comment, Step, Tasker
from workflow.services import transition_perform

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_diagram_is_generated_from_the_state_machine_with_the_current_state_highlighted():
    edges = workflow_edges(CampaignPlan)
    assert ("draft", "coordination", "Submit for coordination") in edges
    assert ("review", "approved", "Approve") in edges
    assert {target for _, target, _ in edges} >= {"returned", "withdrawn", "superseded"}
    svg = state_diagram_svg(CampaignPlan, current="review")
    assert svg.count('class="wf-node') == 7
    assert 'class="wf-node wf-current" data-state="review"' in svg
    assert "Elevate non-concurrence to review" in svg


def test_the_help_page_shows_the_route_and_who_may_move_it(world):
    page = client_for(world.user("EUCOM", AO)).get(reverse("admin:workflow_help", args=["planning", "campaignplan"]))
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html
    assert "the approving organization" in html and "Rationale for elevation" in html


def test_the_start_page_lists_my_taskers_by_suspense_with_a_stoplight(world):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    Tasker.objects.filter(object_id=plan.pk, organization=world.orgs["DA"]).update(suspense=datetime.date(2020, 1, 2))
    html = client_for(world.user("DA", REV)).get(reverse("admin:index")).content.decode()
    assert "My open taskers" in html and plan.title in html
    assert "wf-light-red" in html
    html = client_for(world.user("EUCOM", AO)).get(reverse("admin:index")).content.decode()
    assert "In coordination (1)" in html


def _pad(world, plan, n):
    """Add ``n`` coordination taskers (one per extra organization), ``n`` comments, ``n`` taskers
    for the Army, and ``n`` campaign plans and support plans of the owner's and the Army's."""
    from planning.models import CampaignSupportPlan

    content_type = ContentType.objects.get_for_model(CampaignPlan)
    CampaignPlan.objects.bulk_create([
        CampaignPlan(title=f"Padding plan {plan.pk}-{i}", owner=world.orgs["EUCOM"],
                     created_by=world.user("EUCOM", AO)) for i in range(n)])
    from assessments.models import Assessment, AssessmentCycle

    day = datetime.date(2031, 1, 1)
    cycle, _ = AssessmentCycle.objects.get_or_create(fiscal_year=2031, defaults={
        "owner": world.orgs["J5"], "policy_office": world.orgs["USD(P)"], "template_suspense": day,
        "collection_suspense": day, "joint_review_suspense": day, "evaluation_suspense": day})
    padding = CampaignPlan.objects.filter(title__startswith=f"Padding plan {plan.pk}-")
    Assessment.objects.bulk_create([
        Assessment(cycle=cycle, owner=world.orgs["EUCOM"], plan=p, title=f"Assessment of {p.title}",
                   suspense=day) for p in padding])
    CampaignSupportPlan.objects.bulk_create([
        CampaignSupportPlan(title=f"Padding support plan {plan.pk}-{i}", owner=world.orgs["DA"],
                            created_by=world.user("EUCOM", AO)) for i in range(n)])
    Tasker.objects.bulk_create([
        Tasker(content_type=content_type, object_id=plan.pk, step=Step.COORDINATION, organization=world.orgs["DA"],
               suspense=datetime.date(2030, 1, 1), document_title=plan.title) for _ in range(n)])
    orgs = Organization.objects.bulk_create([
        Organization(acronym=f"X{plan.pk}-{i}", name=f"Extra {i}", kind=OrganizationKind.DEFENSE_AGENCY)
        for i in range(n)])
    taskers = Tasker.objects.bulk_create([
        Tasker(content_type=content_type, object_id=plan.pk, step=Step.COORDINATION, organization=o,
               suspense=datetime.date(2030, 1, 1), document_title=plan.title) for o in orgs])
    Comment.objects.bulk_create([
        Comment(content_type=content_type, object_id=plan.pk, tasker=t, organization=t.organization,
                author=world.user("EUCOM", AO), category="substantive", text="x") for t in taskers])


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(("page", "who"), [
    ("change", ("EUCOM", AO)), ("changelist", ("EUCOM", AO)), ("support_changelist", ("DA", AO)),
    ("index", ("DA", REV)), ("taskers", ("DA", REV)), ("assessments", ("EUCOM", AO)), ("cycles", ("EUCOM", AO)),
])
def test_page_cost_does_not_grow_with_the_data(world, page, who):
    counts = []
    for n in (5, 200):
        plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
        _pad(world, plan, n)
        url = {"change": reverse("admin:planning_campaignplan_change", args=[plan.pk]),
               "changelist": reverse("admin:planning_campaignplan_changelist"),
               "support_changelist": reverse("admin:planning_campaignsupportplan_changelist"),
               "index": reverse("admin:index"),
               "taskers": reverse("admin:workflow_tasker_changelist"),
               "assessments": reverse("admin:assessments_assessment_changelist"),
               "cycles": reverse("admin:assessments_assessmentcycle_changelist")}[page]
        counts.append(_queries(client_for(world.user(*who)), url))
    assert counts[1] - counts[0] <= 3, counts


def _plan_with_portions(world, portions: int):
    """A plan with ``portions`` portion-marked sections and objectives (each released to GB)."""
    from organizations.models import Country
    from planning.models import Objective, PlanSection

    # Its own period: a command has one theater campaign plan in force per period (Glossary).
    plan = world.ready_plan(supporting=("DA", "DON"), start=datetime.date(2021 + 6 * portions, 1, 1))
    for number in range(1, portions + 1):
        section = PlanSection.objects.create(plan=plan, number=str(number), heading=f"Section {number}",
                                             body="Training data.")
        section.rel_to.set(Country.objects.filter(code__in=["GB", "AU"]))
        objective = Objective.objects.create(plan=plan, code=f"OBJ-{number}", title=f"Objective {number}")
        objective.rel_to.set(Country.objects.filter(code__in=["GB"]))
        objective.end_states.set([world.end_state])
    return plan


def _approved(world, plan):
    from workflow.models import Response
    from workflow.selectors import open_taskers
    from workflow.services import tasker_respond

    plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
    for tasker in open_taskers(plan, step=Step.COORDINATION):
        tasker_respond(tasker=tasker, by=world.user(tasker.organization.acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="send_to_review", by=world.user("EUCOM", AO))
    for tasker in open_taskers(plan, step=Step.REVIEW):
        tasker_respond(tasker=tasker, by=world.user(tasker.organization.acronym, REV), response=Response.CONCUR)
    return transition_perform(document=plan, name="approve", by=world.user("EUCOM", "approver"))


# What a plan's page reads, once each whatever the number of rows (issue #16: at most 15):
# the session, the user, their memberships and the designated offices (once per request), the
# plan with the header's My work count as a column, its sections, its objectives, every
# many-to-many relation of the plan and of those rows in one query (releasability, CUI
# categories, dissemination controls, the sections' and objectives' releasability, the
# objectives' end states, the supporting organizations: ``runtime.prefetch``), taskers,
# comments, history, partners, and what the page offers the person (their drafts, who may
# answer or take a re-assigned tasker).
PAGE_BOUND = 15


def _page_queries(client, url) -> list[str]:
    client.get(url)  # the first page after sign-in writes the session's first renewal
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in context.captured_queries]


@pytest.mark.postgres  # the bounds are PostgreSQL's (elsewhere permissions take one more query)
@pytest.mark.parametrize("state", ["coordination", "approved"])
def test_a_plan_page_costs_the_same_queries_however_many_portions_it_holds(world, state):
    """Banner (every portion's marking), form, transitions with their reasons, taskers, comments
    and history: one read each, not one per section, objective or transition."""
    counts = []
    for portions in (1, 6):
        plan = _plan_with_portions(world, portions)
        if state == "coordination":
            plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
        else:
            plan = _approved(world, plan)
        queries = _page_queries(client_for(world.user("USD(P)", REV)),
                                reverse("admin:planning_campaignplan_change", args=[plan.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= PAGE_BOUND, counts


@pytest.mark.postgres
def test_the_benchmark_change_page_reads_at_most_fifteen_queries(world):
    plan = world.ready_plan()
    plan = _approved(world, plan)
    queries = _page_queries(client_for(world.user("USD(P)", REV)),
                            reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    assert len(queries) <= PAGE_BOUND, "\n".join(q[:120] for q in queries)


def test_my_taskers_rows_show_the_document_link_step_organization_state_suspense_and_overdue(world):
    import re

    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = Tasker.objects.get(object_id=plan.pk, organization=world.orgs["DA"], step=Step.COORDINATION)
    Tasker.objects.filter(pk=tasker.pk).update(suspense=datetime.date(2020, 3, 2))  # long overdue
    html = client_for(world.user("DA", REV)).get(reverse("admin:workflow_tasker_changelist")).content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    row = next(r for r in rows if f'value="{tasker.pk}"' in r)
    link = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    assert f'<td class="field-document_link"><a href="{link}">{plan.title}</a></td>' in row
    assert '<td class="field-step">Coordination</td>' in row
    assert '<td class="field-organization">DA</td>' in row
    assert '<td class="field-suspense nowrap">02 Mar 2020</td>' in row
    assert 'class="field-overdue"><img src="/static/admin/img/icon-yes.svg" alt="True"' in row
    assert 'class="field-is_seam"><img src="/static/admin/img/icon-no.svg" alt="False"' in row
    assert len(re.findall(r"<td", row)) == 8  # the checkbox and the seven columns


def test_the_authors_draft_page_costs_the_same_queries_however_many_rows_its_inlines_hold(world):
    """Sections, objectives, their activities (Encl. 2, 10.b) and partners as editable inlines (the
    author is an action officer of the owning command and the plan a draft): their countries, end
    states, objectives and programs are read once per page, not once per row."""
    from planning.models import PartnerConsideration, PlanActivity

    author = world.user("EUCOM", AO)
    counts = []
    for rows, countries in ((1, ["DE"]), (4, ["DE", "IL", "PL"])):
        plan = _plan_with_portions(world, rows)
        plan.partner_considerations.all().delete()
        for code in countries:
            PartnerConsideration.objects.create(plan=plan, country=Country.objects.get(code=code))
        for order, objective in enumerate(plan.objectives.all()):  # an activity under each (Encl. 2, 10.b)
            PlanActivity.objects.create(plan=plan, objective=objective, order=order, title=f"Activity {order}",
                                        partner=Country.objects.get(code=countries[order % len(countries)]),
                                        start_date=plan.period_start, end_date=plan.period_start)
        client = client_for(author)
        url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as context:
            html = client.get(url).content.decode()
        assert f'name="objectives-{rows - 1}-end_states"' in html and f'name="sections-{rows - 1}-rel_to"' in html
        germany = Country.objects.get(code="DE").pk
        assert f'<option value="{germany}" selected>Germany (DE)</option>' in html
        assert f'name="activities-{rows}-title" value="Activity {rows}"' in html  # one per objective
        counts.append(len(context.captured_queries))
        # The default route, which both the submit button's condition and the route option ask
        # about, is read once.
        routes = [q["sql"] for q in context.captured_queries if 'FROM "workflow_route"' in q["sql"]]
        assert len(routes) == 1, routes
    assert counts[0] == counts[1], counts


def _task_plan(world, rows: int):
    """A plan in coordination with ``rows`` sections and objectives (each released, the sections
    to Israel, the objectives traced to an end state), one or two partners, ``rows + 1`` supporting organizations, DON's non-concurrence
    with ``2 * rows`` comments, a complementary activity per partner, ``rows`` programs used,
    USD(AT&L)'s answer, their history, and a draft of DA's answer."""
    from organizations.models import Country
    from planning.models import ComplementaryActivity, PartnerConsideration, PlanActivity, ProgramUse
    from workflow.models import Response
    from workflow.services import form_draft_save, tasker_respond

    plan = _plan_with_portions(world, rows)
    plan.partner_considerations.all().delete()
    for section in plan.sections.all():
        section.rel_to.set(Country.objects.filter(code="IL"))
    for code in ("PL", "DE")[:rows]:
        PartnerConsideration.objects.create(plan=plan, country=Country.objects.get(code=code),
                                            support="yes", can_support=f"Support {code}", safeguard="yes",
                                            can_safeguard="Yes", sustain="yes", can_sustain="Yes")
        ComplementaryActivity.objects.create(plan=plan, country=Country.objects.get(code=code),
                                             agency=f"Agency beside {code}", program=f"Program in {code}",
                                             point_of_contact=f"Embassy office {code}")
    for acronym in ("DA", "DLA", "DON")[:rows]:
        ProgramUse.objects.create(plan=plan, organization=world.orgs[acronym], program=f"Program of {acronym}")
    # An activity under each objective (Encl. 2, 10.b), with a partner and a function.
    for order, objective in enumerate(plan.objectives.all()):
        PlanActivity.objects.create(plan=plan, objective=objective, order=order, title=f"Activity {plan.pk}-{order}",
                                    description=f"Described {plan.pk}-{order} (training data).",
                                    partner=Country.objects.get(code="PL"), start_date=plan.period_start,
                                    end_date=plan.period_start + datetime.timedelta(days=30),
                                    functions=["intelligence"])
    plan.supporting_organizations.set([world.orgs[a] for a in ("DA", "DON", "DLA")[:rows + 1]])
    plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
    taskers = {t.organization.acronym: t for t in Tasker.objects.filter(object_id=plan.pk, step=Step.COORDINATION)
               .select_related("organization")}
    comments = [{"category": "critical" if n == 0 else "substantive", "section": f"{n + 1}",
                 "text": f"Comment {plan.pk}-{n}", "proposed_change": f"Change {n}"} for n in range(2 * rows)]
    tasker_respond(tasker=taskers["DON"], by=world.user("DON", REV), response=Response.NONCONCUR,
                   rationale="Navy assets double-counted", comments=comments)
    tasker_respond(tasker=taskers["USD(AT&L)"], by=world.user("USD(AT&L)", REV), response=Response.CONCUR)
    form_draft_save(user=world.user("DA", REV), document=plan, form=f"answer-{taskers['DA'].pk}",
                    data={"response": "nonconcur", "rationale": f"Draft rationale {plan.pk}", "comments": []})
    return plan


@pytest.mark.postgres  # the bound is PostgreSQL's, as the bench's
@pytest.mark.parametrize("who", [("DA", REV), ("EUCOM", AO), ("EUCOM", "approver"), ("USD(P)", REV)])
def test_the_task_page_takes_at_most_fifteen_queries_whatever_the_plan_holds(world, who):
    """The page a person opens from My work (the coordinator's answer form with their draft, the
    owner's comment matrix, the approver's decision, a reader's view), for a plan with sections,
    objectives and their activities (Encl. 2, 10.b), partners, supporting organizations, comments,
    taskers and history: at most 15 queries, the same for one row of each as for three, and every row
    still on the page."""
    from planning.models import CampaignPlan

    counts = []
    for rows in (1, 3):
        plan = _task_plan(world, rows)
        url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
        client = client_for(world.user(*who))
        client.get(url)  # the first page after sign-in writes the session's first renewal
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        counts.append(sum(1 for q in context.captured_queries if "SAVEPOINT" not in q["sql"]))
        plan = CampaignPlan.objects.get(pk=plan.pk)
        for section in plan.sections.all():
            assert section.heading in html
        for objective in plan.objectives.all():
            assert objective.code in html and objective.title in html
        assert str(world.end_state) in html
        for partner in plan.partner_considerations.all():
            assert f"Support {partner.country.code}" in html
        for organization in plan.supporting_organizations.all():
            assert str(organization) in html
        activities = plan.complementary_activities.all()
        assert len(activities) == len(plan.partner_considerations.all())
        for activity in activities:
            assert activity.agency in html and activity.program in html and activity.point_of_contact in html
        assert all(use.program in html for use in plan.programs_used.all())
        titles = list(plan.activities.values_list("title", flat=True))
        assert len(titles) == len(plan.objectives.all()) and all(title in html for title in titles)
        for n in range(2 * rows):
            assert f"Comment {plan.pk}-{n}" in html
        assert "Navy assets double-counted" in html
        assert "Submit for coordination" in html  # the history
        assert "Israel" in html  # the sections' releasability (no partner is Israel)
        if who == ("DA", REV):
            assert f"Draft rationale {plan.pk}" in html  # the draft of DA's answer, in its form
            # The header's count, read with the plan: DA has one open tasker per plan in coordination.
            assert re.search(rf'<a id="my-work-link" href="[^"]+">My work <span class="wf-badge">{len(counts)}<',
                             html), html[:3000]
        if who == ("EUCOM", AO):
            assert "Adjudicate comment 1" in html  # the matrix, a form for the owner
    assert counts[0] == counts[1], counts
    # The portions (sections, objectives, activities, annexes) are read together after the plan,
    # in one query (``change_rows_together``), whatever kinds of portion a plan gains.
    assert counts[0] <= PAGE_BOUND, counts
