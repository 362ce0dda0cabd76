"""Suspenses fall on working days, administrators declare ad-hoc closures that count like
federal holidays, every routed kind escalates to its reviewing authority, and after downtime
only the most recent due step of a tasker goes out."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse

from assessments.models import Assessment, AssessmentCycle, Program, ProgramAssessment
from organizations.models import Membership, Organization, OrganizationKind, Role
from planning.models import CampaignPlan
from reminders.models import Reminder, ReminderStatus
from reminders.services import reminders_sweep
from workflow.calendar import add_working_days, is_working_day
from workflow.models import Closure, HistoryEntry, Step, Tasker
from workflow.services import tasker_change_suspense, taskers_issue

from .conftest import local
from .test_planning import schedule_of

pytestmark = pytest.mark.django_db

SAT_5_DEC, MON_7_DEC, TUE_8_DEC = datetime.date(2026, 12, 5), datetime.date(2026, 12, 7), datetime.date(2026, 12, 8)


def issue_to_da(world, suspense: datetime.date) -> Tasker:
    with time_machine.travel(local(2026, 11, 16), tick=False):
        [tasker] = taskers_issue(document=world.plan, step=Step.COORDINATION, suspense=suspense,
                                 participants=[(world.orgs["DA"], "named by the route")])
    return tasker


# --- suspenses on working days -------------------------------------------------------------

def test_a_suspense_set_on_a_saturday_is_moved_to_monday_and_the_tasker_and_history_say_so(world):
    tasker = issue_to_da(world, SAT_5_DEC)
    assert tasker.suspense == MON_7_DEC
    note = "moved from Sat 5 Dec to Mon 7 Dec: not a working day"
    assert note in Tasker.objects.get(pk=tasker.pk).suspense_reason
    assert note in HistoryEntry.objects.get(action="coordination_taskers_issued").description


def test_moving_a_suspense_onto_a_holiday_lands_on_the_next_working_day_with_the_holiday_named(world):
    tasker = issue_to_da(world, MON_7_DEC)
    with time_machine.travel(local(2026, 11, 17), tick=False):
        moved = tasker_change_suspense(tasker=tasker, by=world.users["eucom_ao"], suspense=datetime.date(2026, 12, 25),
                                       reason="More time over the holidays")
    assert moved.suspense == datetime.date(2026, 12, 28)
    entry = HistoryEntry.objects.get(action="suspense_changed")
    assert "moved from Fri 25 Dec to Mon 28 Dec: not a working day (Christmas Day)" in entry.description
    assert Tasker.objects.get(pk=tasker.pk).suspense_reason.startswith("More time over the holidays; moved from")
    # The due-day reminder and the first escalation no longer share a morning.
    assert {(o, d) for (_, o, _, d) in schedule_of(moved) if o in (0, 1)} == {
        (0, datetime.date(2026, 12, 28)), (1, datetime.date(2026, 12, 29))}


def test_a_suspense_already_on_a_working_day_is_kept_without_a_note(world):
    tasker = issue_to_da(world, MON_7_DEC)
    assert tasker.suspense == MON_7_DEC and tasker.suspense_reason == ""


# --- ad-hoc closures -----------------------------------------------------------------------

def test_an_ad_hoc_closure_counts_like_a_federal_holiday_in_working_days_and_moves_a_suspense(world):
    assert is_working_day(MON_7_DEC)
    Closure.objects.create(date=MON_7_DEC, reason="Executive order: Federal offices closed")
    assert not is_working_day(MON_7_DEC)
    assert add_working_days(datetime.date(2026, 12, 4), 1) == TUE_8_DEC
    assert add_working_days(TUE_8_DEC, -1) == datetime.date(2026, 12, 4)
    tasker = issue_to_da(world, SAT_5_DEC)
    assert tasker.suspense == TUE_8_DEC
    assert ("moved from Sat 5 Dec to Tue 8 Dec: not a working day"
            in HistoryEntry.objects.get(action="coordination_taskers_issued").description)


def test_declaring_a_closure_re_dates_the_reminders_still_scheduled_around_it(
        world, django_capture_on_commit_callbacks):
    tasker = issue_to_da(world, TUE_8_DEC)
    with time_machine.travel(local(2026, 11, 16), tick=False):
        reminders_sweep()  # plans the tasker issued in bulk
    assert {d for (_, o, _, d) in schedule_of(tasker) if o == -1} == {MON_7_DEC}
    with django_capture_on_commit_callbacks(execute=True):
        Closure.objects.create(date=MON_7_DEC, reason="Executive order: Federal offices closed")
    assert {d for (_, o, _, d) in schedule_of(tasker) if o == -1} == {datetime.date(2026, 12, 4)}
    with django_capture_on_commit_callbacks(execute=True):
        Closure.objects.get(date=MON_7_DEC).delete()
    assert {d for (_, o, _, d) in schedule_of(tasker) if o == -1} == {MON_7_DEC}


def test_only_system_administrators_declare_closures_in_the_admin(world, client):
    staff = world.users["da_admin"]
    client.force_login(staff)
    assert client.get(reverse("admin:workflow_closure_changelist")).status_code == 200
    assert client.post(reverse("admin:workflow_closure_add"),
                       {"date": "2026-12-07", "reason": "Not mine to declare"}).status_code == 403
    assert not Closure.objects.exists()
    administrator = world.users["usdp_approver"]
    administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    client.post(reverse("admin:workflow_closure_add"),
                {"date": "2026-12-07", "reason": "Executive order: Federal offices closed"})
    assert not is_working_day(Closure.objects.get().date)


# --- escalation to each kind's reviewing authority -------------------------------------------

@pytest.fixture
def cycle(world) -> AssessmentCycle:
    """The FY2027 cycle: the Joint Staff collects and reviews, USD(P) evaluates, PA&E reviews the
    program assessments."""
    world.orgs["PA&E"] = Organization.objects.create(acronym="PA&E", name="PA&E (test)", kind=OrganizationKind.OSD_PSA)
    from .conftest import _member

    world.users["pae_reviewer"] = _member("pae_reviewer", world.orgs["PA&E"], Role.REVIEWER)
    return AssessmentCycle.objects.create(
        fiscal_year=2027, owner=world.orgs["JS"], policy_office=world.orgs["USD(P)"],
        program_coordinator=world.orgs["PA&E"], template_suspense=datetime.date(2026, 10, 1),
        collection_suspense=datetime.date(2026, 11, 30), joint_review_suspense=datetime.date(2027, 1, 29),
        evaluation_suspense=datetime.date(2027, 3, 31))


def completion_tasker(document, organization) -> Tasker:
    with time_machine.travel(local(2026, 11, 16), tick=False):
        return Tasker.objects.create(content_type=ContentType.objects.get_for_model(type(document)),
                                     object_id=document.pk, step=Step.COMPLETION, organization=organization,
                                     suspense=document.suspense, document_title=document.title)


def escalations_5_days_overdue(tasker) -> set[tuple[str, datetime.date]]:
    return {(user, day) for (user, offset, kind, day) in schedule_of(tasker) if offset == 5 and kind == "escalation"}


def test_an_assessment_5_working_days_overdue_escalates_to_the_joint_staff_and_usd_p(
        world, cycle, django_capture_on_commit_callbacks):
    assessment = Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], plan=world.plan,
                                           title="FY2027 assessment: EUCOM plan", suspense=cycle.collection_suspense)
    tasker = completion_tasker(assessment, world.orgs["EUCOM"])
    assert escalations_5_days_overdue(tasker) == {("js_reviewer", datetime.date(2026, 12, 7)),
                                                  ("usdp_approver", datetime.date(2026, 12, 7))}
    with time_machine.travel(local(2026, 12, 7, 7, 1), tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Escalation")) == [
        "js_reviewer@example.mil", "usdp_approver@example.mil"]


def test_a_program_assessment_escalates_to_pa_and_e_and_usd_p(world, cycle):
    program = Program.objects.create(code="FMS", name="Foreign Military Sales")
    assessment = ProgramAssessment.objects.create(cycle=cycle, owner=world.orgs["USD(P)"], program=program,
                                                  title="FY2027 program assessment: FMS",
                                                  suspense=cycle.collection_suspense)
    tasker = completion_tasker(assessment, world.orgs["USD(P)"])
    assert {user for user, _ in escalations_5_days_overdue(tasker)} == {"pae_reviewer", "usdp_approver"}


def test_a_campaign_plan_still_escalates_to_the_review_and_approval_organizations_of_its_route(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))
    assert {user for user, _ in escalations_5_days_overdue(tasker)} == {"js_reviewer", "usdp_approver"}


def test_a_document_kind_naming_no_reviewing_authority_is_refused_at_registration():
    from django.core.exceptions import ImproperlyConfigured

    from workflow.registry import register_document

    with pytest.raises(ImproperlyConfigured, match="names no reviewing authority"):
        register_document(Membership, visible=lambda user: Membership.objects.none())


# --- catch-up after downtime ---------------------------------------------------------------

def test_after_downtime_only_the_most_recent_due_step_of_a_tasker_is_sent_and_the_stale_ones_are_skipped(
        world, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 9), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 19))
    with time_machine.travel(local(2026, 11, 12, 8), tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()  # the 5-working-day reminders (Veterans Day skipped)
    assert len(mail.outbox) == 3
    mail.outbox.clear()
    # The sweep does not run again until Monday 30 November: the reminders of the 18th and 19th,
    # the escalation of the 20th to DA's approver and that of the 27th to the reviewing authority
    # are all due; only the last goes out.
    with time_machine.travel(local(2026, 11, 30, 8), tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert sorted(m.to[0] for m in mail.outbox) == ["js_reviewer@example.mil", "usdp_approver@example.mil"]
    assert all("Overdue by 5 working days" in m.body for m in mail.outbox)
    skipped = Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SKIPPED)
    assert sorted({r.step.offset_working_days for r in skipped}) == [-1, 0, 1]
    assert all("a later step of this tasker (5 working days overdue) was already due" in r.status_reason
               for r in skipped)
    with time_machine.travel(local(2026, 12, 1, 8), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep() == []  # nothing left that was skipped comes back


def test_an_assessment_cycle_launched_with_a_collection_suspense_on_a_saturday_tasks_for_the_monday(world, cycle):
    from assessments.models import CycleState
    from assessments.services import cycle_launch
    from planning.models import PlanState

    Program.objects.create(code="IMET", name="International Military Education and Training")
    CampaignPlan.objects.filter(pk=world.plan.pk).update(state=PlanState.APPROVED)
    AssessmentCycle.objects.filter(pk=cycle.pk).update(state=CycleState.LAUNCHED, collection_suspense=SAT_5_DEC,
                                                       joint_review_suspense=datetime.date(2027, 1, 29))
    with time_machine.travel(local(2026, 11, 16), tick=False):
        assert cycle_launch(cycle=cycle) == 2
    note = "moved from Sat 5 Dec to Mon 7 Dec: not a working day"
    for model in (Assessment, ProgramAssessment):
        document = model.objects.get(cycle=cycle)
        assert document.suspense == MON_7_DEC
        tasker = Tasker.objects.get(content_type=ContentType.objects.get_for_model(model), object_id=document.pk)
        assert tasker.suspense == MON_7_DEC and tasker.suspense_reason == note
        assert note in HistoryEntry.objects.get(content_type=tasker.content_type, object_id=document.pk,
                                                action="assigned").description


def test_planning_the_escalations_of_assessments_reads_their_cycles_in_one_query_whatever_their_number(
        world, cycle):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reminders.services import reminders_plan

    content_type = ContentType.objects.get_for_model(Assessment)
    counts = []
    for owner, count in (("DLA", 1), ("EUCOM", 5), ("DA", 50)):  # the first warms the caches
        plans = CampaignPlan.objects.bulk_create([
            CampaignPlan(title=f"{owner} plan {n}", owner=world.orgs[owner], created_by=world.users["eucom_ao"])
            for n in range(count)])
        assessments = Assessment.objects.bulk_create([
            Assessment(cycle=cycle, owner=world.orgs[owner], plan=plan, title=f"Assessment {plan.title}",
                       suspense=cycle.collection_suspense) for plan in plans])
        with time_machine.travel(local(2026, 11, 16), tick=False):
            taskers = Tasker.objects.bulk_create([
                Tasker(content_type=content_type, object_id=a.pk, step=Step.COMPLETION, organization=a.owner,
                       suspense=a.suspense, document_title=a.title) for a in assessments])
            with CaptureQueriesContext(connection) as queries:
                reminders_plan(taskers=taskers)
        counts.append(len(queries))
        assert Reminder.objects.filter(tasker__in=taskers, step__offset_working_days=5).count() == 2 * len(taskers)
    assert counts[1] == counts[2], counts


def test_a_step_skipped_after_downtime_comes_back_when_the_suspense_is_moved_later(
        world, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 9), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 19))
    with time_machine.travel(local(2026, 11, 30, 8), tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SKIPPED).count() == 3 + 3 + 3 + 1
    with time_machine.travel(local(2026, 11, 30, 9), tick=False):
        tasker_change_suspense(tasker=tasker, by=world.users["eucom_ao"], suspense=datetime.date(2026, 12, 11),
                               reason="Extended after the outage")
    assert {(o, d) for (_, o, _, d) in schedule_of(tasker) if o <= 0} == {
        (-5, datetime.date(2026, 12, 4)), (-1, datetime.date(2026, 12, 10)), (0, datetime.date(2026, 12, 11))}
    assert not Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SCHEDULED).exclude(status_reason="").exists()
