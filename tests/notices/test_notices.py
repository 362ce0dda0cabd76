"""Word of new work: who is told of what as a plan goes round its route, in the application and
by e-mail, as each person chose, and never more than they may read."""

from __future__ import annotations

import pytest
from django.core import mail

from organizations.models import Country, Role
from planning.models import CampaignPlan, PlanState
from reminders.models import NoticeEvent, NoticeKind, Notification, Reminder, ReminderStatus
from reminders.notices import notice_preferences, notice_preferences_set, notices_pending_count, notices_raise
from reminders.services import digest_deliver, reminders_digest_claim, reminders_sweep
from security.models import SecurityProfile
from workflow.models import Response, Step
from workflow.selectors import taskers_of
from workflow.services import comment_adjudicate, tasker_respond, transition_perform

from .conftest import person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday")]

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TITLE = "“EUCOM theater campaign plan”"


def told(kind: str) -> dict[str, str]:
    """{username: the in-app text} of the notices of ``kind``."""
    return {n.user.username: n.text for n in Notification.objects.filter(reminder__notice_kind=kind)
            .select_related("user")}


def mails_to(username: str) -> list:
    return [m for m in mail.outbox if m.to == [f"{username}@example.mil"]]


def act(plan, name, user, comment=""):
    return transition_perform(document=CampaignPlan.objects.get(pk=plan.pk), name=name, by=user, comment=comment)


def answer(world, plan, acronym, response=Response.CONCUR, step=Step.COORDINATION, comments=(), rationale=""):
    tasker = taskers_of(plan, step=step).get(organization=world.orgs[acronym])
    return tasker_respond(tasker=tasker, by=person(world, acronym, REV), response=response, rationale=rationale,
                          comments=list(comments))


def submitted(world):
    """A plan submitted by EUCOM: coordination taskers to DA, DON and USD(AT&L)."""
    for acronym in ("EUCOM", "DA", "DON", "USD(AT&L)"):
        for role in (AO, REV, APP):
            person(world, acronym, role)
    return act(world.ready_plan(), "submit", person(world, "EUCOM", AO))


# --- a tasker issued ---------------------------------------------------------------------------

def test_a_tasker_issued_tells_the_people_of_the_tasked_organization_who_may_answer_it(world, raise_notices):
    outsider = person(world, "CENTCOM", REV)
    submitted(world)
    raise_notices()
    expected = {f"{org}_{role}" for org in ("da", "don", "usdatl") for role in (REV, APP)}
    assert set(told(NoticeKind.TASKER_ISSUED)) == expected  # not the action officers, who may not answer
    assert outsider.username not in told(NoticeKind.TASKER_ISSUED)
    text = told(NoticeKind.TASKER_ISSUED)["da_reviewer"]
    assert text.startswith("New coordination tasker for DA on the campaign plan “EUCOM theater campaign plan”")
    assert "suspense 03 Dec 2026" in text
    # "Immediately" is the default for new work: an e-mail each, with the title (UNCLASSIFIED).
    [message] = mails_to("da_reviewer")
    assert message.subject == "New coordination tasker for DA, suspense 03 Dec 2026"
    assert TITLE in message.body and "/admin/planning/campaignplan/" in message.body


def test_a_tasker_for_the_office_holding_a_directive_offices_duties_names_both_in_the_notice(world, raise_notices):
    """Encl. 2, 3.a names USD(AT&L); since 1 Feb 2018 USD(A&S) holds the duty: its people read
    the office as pages name it, today's with the directive's beside it."""
    from tests.planning.test_offices_through_time_on_pages import succeed_atl

    succeed_atl(world)
    person(world, "USD(A&S)", REV)
    submitted(world)
    raise_notices()
    text = told(NoticeKind.TASKER_ISSUED)["usdas_reviewer"]
    assert text.startswith(f"New coordination tasker for USD(A&S), formerly USD(AT&L) on the campaign plan {TITLE}")
    [message] = mails_to("usdas_reviewer")
    assert message.subject == "New coordination tasker for USD(A&S), formerly USD(AT&L), suspense 03 Dec 2026"


def test_a_tasked_person_not_cleared_for_the_marking_is_told_without_the_title_in_app_or_by_mail(
        world, raise_notices):
    plan = world.ready_plan()
    plan.rel_to.set([Country.objects.get(code="PL")])  # UNCLASSIFIED, released to Poland only
    cleared = person(world, "DA", REV)
    SecurityProfile.objects.create(user=cleared, clearance="S", citizenship="US")
    foreign = person(world, "DA", APP)
    SecurityProfile.objects.create(user=foreign, clearance="S", citizenship="DE")
    for acronym in ("DON", "USD(AT&L)"):
        person(world, acronym, REV)
    act(plan, "submit", person(world, "EUCOM", AO))
    raise_notices()
    notices = told(NoticeKind.TASKER_ISSUED)
    assert TITLE in notices["da_reviewer"]
    assert TITLE not in notices["da_approver"] and "title this notice may not carry" in notices["da_approver"]
    assert TITLE in mails_to("da_reviewer")[0].body
    [message] = mails_to("da_approver")
    assert "EUCOM theater campaign plan" not in message.body + message.subject
    assert "title this notice may not carry" in message.body


def test_a_classified_title_never_goes_by_mail_even_to_the_cleared(world, raise_notices):
    plan = world.ready_plan()
    CampaignPlan.objects.filter(pk=plan.pk).update(classification="S")
    for acronym in ("DA", "DON", "USD(AT&L)"):
        SecurityProfile.objects.create(user=person(world, acronym, REV), clearance="TS", citizenship="US")
    owner = person(world, "EUCOM", AO)
    SecurityProfile.objects.create(user=owner, clearance="TS", citizenship="US")
    act(plan, "submit", owner)
    raise_notices()
    assert "EUCOM theater campaign plan" in told(NoticeKind.TASKER_ISSUED)["da_reviewer"]  # in the application
    [message] = mails_to("da_reviewer")
    assert "EUCOM theater campaign plan" not in message.body + message.subject


# --- all answers in, a comment adjudicated -----------------------------------------------------

def test_all_answers_in_tells_the_owners_people_who_act_next_once(world, raise_notices):
    plan = submitted(world)
    answer(world, plan, "DA")
    answer(world, plan, "DON")
    raise_notices()
    assert told(NoticeKind.ANSWERS_IN) == {}  # USD(AT&L) has not answered
    answer(world, plan, "USD(AT&L)", Response.CONCUR_WITH_COMMENT,
           comments=[{"category": "administrative", "text": "Spell out GEF on first use."}])
    answer(world, plan, "USD(AT&L)", Response.CONCUR_WITH_COMMENT,  # a changed answer: the step was complete already
           comments=[{"category": "administrative", "text": "And NDS."}])
    raise_notices()
    notices = told(NoticeKind.ANSWERS_IN)
    # Who may send it to review, elevate or withdraw it: EUCOM's action officer and approver.
    assert set(notices) == {"eucom_action_officer", "eucom_approver"}
    assert notices["eucom_approver"] == (f"All coordination answers are in on the campaign plan {TITLE} "
                                         "(3 answers): your organization acts next.")
    assert len(mails_to("eucom_approver")) == 1


def test_the_author_of_a_comment_hears_how_it_was_adjudicated_and_the_adjudicator_does_not(
        world, raise_notices):
    plan = submitted(world)
    tasker = answer(world, plan, "DA", Response.NONCONCUR, rationale="Objective 1 overreaches.",
                    comments=[{"category": "critical", "text": "Remove objective 1."}])
    comment = tasker.comments.get()
    owner = person(world, "EUCOM", AO)
    comment_adjudicate(comment=comment, by=owner, decision="rejected", rationale="It is the GEF's end state.")
    raise_notices()
    assert told(NoticeKind.COMMENT_ADJUDICATED) == {
        "da_reviewer": f"Your critical comment on the campaign plan {TITLE} was rejected by the owner."}
    # The default for news of work done is the daily digest: in the application now, no e-mail yet.
    assert not [m for m in mail.outbox if "comment" in m.subject]
    assert Reminder.objects.get(notice_kind=NoticeKind.COMMENT_ADJUDICATED).status == ReminderStatus.SCHEDULED


# --- a document returned, approved, withdrawn or superseded -----------------------------------

def to_review(world, plan):
    for acronym in ("DA", "DON", "USD(AT&L)"):
        answer(world, plan, acronym)
    return act(plan, "send_to_review", person(world, "EUCOM", AO))


def test_an_approved_plan_is_told_to_everyone_who_took_part_but_not_to_the_approver(world, raise_notices):
    plan = to_review(world, submitted(world))
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, step=Step.REVIEW)
    bystander = person(world, "CENTCOM", AO)
    act(plan, "approve", person(world, "EUCOM", APP))  # the owning commander (Encl. 2, 10.a)
    raise_notices()
    notices = told(NoticeKind.DOCUMENT_OUTCOME)
    owner_staff = {f"eucom_{role}" for role in (AO, REV)}
    answered = {"da_reviewer", "don_reviewer", "usdatl_reviewer", "j5_reviewer", "usdp_reviewer"}
    assert set(notices) == owner_staff | answered
    assert "eucom_approver" not in notices and bystander.username not in notices
    assert notices["eucom_action_officer"] == (f"The campaign plan {TITLE} is now approved (approve, by "
                                               "eucom_approver for EUCOM).")


def test_a_participant_without_need_to_know_for_the_marking_is_told_nothing(world, raise_notices):
    plan = submitted(world)
    answer(world, plan, "DA")  # the DA reviewer takes part
    for acronym in ("DA", "DON", "USD(AT&L)", "EUCOM"):
        for role in (AO, REV, APP):
            SecurityProfile.objects.create(user=person(world, acronym, role), clearance="S", citizenship="US")
    SecurityProfile.objects.filter(user=person(world, "DA", REV)).delete()  # no clearance any longer
    CampaignPlan.objects.filter(pk=plan.pk).update(classification="S")
    act(plan, "withdraw", person(world, "EUCOM", APP), comment="Overtaken by the new GEF.")
    raise_notices()
    notices = told(NoticeKind.DOCUMENT_OUTCOME)
    assert "eucom_action_officer" in notices and "withdrawn" in notices["eucom_action_officer"]
    assert "da_reviewer" not in notices
    assert not Reminder.objects.filter(recipient=person(world, "DA", REV),
                                       notice_kind=NoticeKind.DOCUMENT_OUTCOME).exists()
    assert all("withdrawn" not in m.body + m.subject for m in mails_to("da_reviewer"))


def test_a_plan_returned_for_rework_is_told_to_the_owner_with_the_returning_reviewer_left_out(
        world, raise_notices):
    plan = to_review(world, submitted(world))
    act(plan, "return_for_rework", person(world, "J5", REV), comment="Deconflict with SOCOM's plan")
    raise_notices()
    notices = told(NoticeKind.DOCUMENT_OUTCOME)
    assert notices["eucom_action_officer"] == (f"The campaign plan {TITLE} is now returned for rework "
                                               "(return for rework, by j5_reviewer for J5).")
    assert "j5_reviewer" not in notices


# --- each person's choice ----------------------------------------------------------------------

def test_each_person_chooses_immediately_the_daily_digest_or_nothing_per_kind(world, raise_notices):
    da_reviewer, da_approver = person(world, "DA", REV), person(world, "DA", APP)
    notice_preferences_set(user=da_reviewer, choices={NoticeKind.TASKER_ISSUED: "digest"}, by=da_reviewer)
    notice_preferences_set(user=da_approver, choices={NoticeKind.TASKER_ISSUED: "off"}, by=da_approver)
    submitted(world)
    raise_notices()
    notices = told(NoticeKind.TASKER_ISSUED)
    assert "da_reviewer" in notices and "da_approver" not in notices and "don_reviewer" in notices
    assert mails_to("don_reviewer") and not mails_to("da_reviewer") and not mails_to("da_approver")
    # The daily digest takes it (beside the day's reminders) in one e-mail, sent once.
    claimed = reminders_digest_claim()
    assert list(claimed) == [da_reviewer.pk]
    digest_deliver(user_id=da_reviewer.pk, reminder_ids=claimed[da_reviewer.pk])
    [digest] = mails_to("da_reviewer")
    assert digest.subject == "Daily digest: 1 notice"
    assert "New coordination tasker for DA" in digest.body
    assert reminders_digest_claim() == {}  # sent once


def test_the_settings_default_sensibly_and_refuse_an_unknown_choice_without_saving(world):
    da_reviewer = person(world, "DA", REV)
    defaults = {p["kind"]: p["delivery"] for p in notice_preferences(da_reviewer)}
    assert defaults[NoticeKind.TASKER_ISSUED] == "immediately" and defaults[NoticeKind.CYCLE_PHASE] == "digest"
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as refusal:
        notice_preferences_set(user=da_reviewer, by=da_reviewer,
                               choices={NoticeKind.ANSWERS_IN: "off", NoticeKind.TASKER_ISSUED: "hourly"})
    assert refusal.value.message_dict == {"tasker_issued": ["Choose one of immediately, digest, off."]}
    assert {p["kind"]: p["delivery"] for p in notice_preferences(da_reviewer)} == defaults  # nothing saved
    with pytest.raises(PermissionDenied):
        notice_preferences_set(user=da_reviewer, by=person(world, "DA", APP), choices={NoticeKind.ANSWERS_IN: "off"})


# --- exactly once ------------------------------------------------------------------------------

def test_raising_again_and_sweeping_again_tell_no_one_twice(world, raise_notices, django_capture_on_commit_callbacks):
    submitted(world)
    assert raise_notices() == 3  # the three taskers issued (a submission itself is told to no one)
    assert raise_notices() == 0
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
        reminders_sweep()
    assert notices_pending_count() == 0
    sent = Reminder.objects.filter(notice_kind=NoticeKind.TASKER_ISSUED)
    assert sent.count() == 6 and set(sent.values_list("status", flat=True)) == {ReminderStatus.SENT}
    assert Notification.objects.filter(reminder__notice_kind=NoticeKind.TASKER_ISSUED).count() == 6
    assert len([m for m in mail.outbox if m.subject.startswith("New coordination tasker")]) == 6


def test_an_event_left_by_a_lost_task_is_raised_by_the_next_sweep(world, django_capture_on_commit_callbacks):
    submitted(world)  # the on-commit task never ran (a lost message)
    assert notices_pending_count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert notices_pending_count() == 0
    assert len(told(NoticeKind.TASKER_ISSUED)) == 6


def test_a_rolled_back_change_leaves_no_event(world):
    from django.db import transaction

    plan = world.ready_plan()
    person(world, "DA", REV)
    with pytest.raises(RuntimeError), transaction.atomic():
        act(plan, "submit", person(world, "EUCOM", AO))
        raise RuntimeError("the request failed after the transition")
    assert not NoticeEvent.objects.exists() and notices_pending_count() == 0
    assert notices_raise() == 0
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT


# --- the history entry is the event (issue #15: nothing more written in the change's transaction)

def test_an_approval_writes_no_notice_row_and_its_history_entry_is_told_once(world, raise_notices):
    """The approval's own transaction writes no notice event: its history entry is the event, and
    raising twice (the task, then the sweep) tells those who took part once."""
    plan = submitted(world)
    for acronym in ("DA", "DON", "USD(AT&L)"):
        answer(world, plan, acronym)
    plan = act(plan, "send_to_review", person(world, "EUCOM", AO))
    for acronym in ("J5", "USD(P)"):
        for role in (AO, REV, APP):
            person(world, acronym, role)
        answer(world, plan, acronym, step=Step.REVIEW)
    raise_notices()
    events_before = NoticeEvent.objects.count()
    act(plan, "approve", person(world, "EUCOM", APP))  # the owning command approves (Encl. 2, 10.a)
    assert NoticeEvent.objects.count() == events_before  # nothing written with the approval
    assert notices_pending_count() == 1
    assert raise_notices() == 1
    assert raise_notices() == 0
    approved = {n.user.username for n in Notification.objects.filter(reminder__notice_kind=NoticeKind.DOCUMENT_OUTCOME)}
    assert person(world, "EUCOM", AO).username in approved
    assert person(world, "EUCOM", APP).username not in approved  # who acted is not told
    assert NoticeEvent.objects.filter(history__action="approve", processed_at__isnull=False).count() == 1


def test_the_history_mark_passes_only_entries_older_than_the_lag_and_told(world, wednesday,
                                                                           django_capture_on_commit_callbacks):
    """The sweep moves the mark of history entries told past those older than the lag only:
    an entry committed late by a slower transaction (a lower id) is still above it; and an entry
    whose task was lost is told by the sweep before the mark passes it."""
    import datetime

    from reminders.models import HIGH_WATER_LAG, PlanningMark
    from workflow.models import HistoryEntry

    plan = submitted(world)  # the on-commit task never ran (a lost message)
    answer(world, plan, "DA")
    entry = HistoryEntry.objects.filter(action="tasker_answered").latest("pk")
    mark = lambda: PlanningMark.objects.get(name="history").last_id  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert NoticeEvent.objects.filter(history=entry).count() == 1  # told by the sweep
    assert mark() < entry.pk  # younger than the lag: the mark stays below it
    wednesday.shift(HIGH_WATER_LAG - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert mark() < entry.pk
    wednesday.shift(datetime.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert mark() >= entry.pk
    assert notices_pending_count() == 0
    # Told once, whatever the number of sweeps.
    assert NoticeEvent.objects.filter(history=entry).count() == 1


def test_a_batch_of_notices_reads_each_recipients_offices_once_however_many_notices_reach_them(world):
    """Issue #24 (a million documents): raising notices checks each recipient's need-to-know
    (``document_visible``), which asks their offices and roles; those are read once for the batch,
    not once per notice: two plans withdrawn tell the same people twice, for the reads of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def roles_read(plans: int) -> int:
        for _ in range(plans):
            plan = submitted(world)
            answer(world, plan, "DA")  # the DA reviewer takes part: told of the outcome
            act(plan, "withdraw", person(world, "EUCOM", APP), comment="Overtaken by the new GEF.")
        with CaptureQueriesContext(connection) as context:
            assert notices_raise() > 0
        return sum(1 for q in context.captured_queries
                   if q["sql"].startswith('(SELECT "organizations_membership"."organization_id"'))

    one, two = roles_read(1), roles_read(2)
    withdrawn = [n.text for n in Notification.objects.filter(user__username="da_reviewer") if "withdrawn" in n.text]
    assert len(withdrawn) == 3  # told of each plan's outcome
    assert 0 < one == two, (one, two)
