"""Launch: one assessment per approved plan with its completion tasker, in bulk, in a bounded
number of queries, idempotent, run by a Celery task that reports progress."""

from __future__ import annotations

import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import (
    Assessment,
    AssessmentCycle,
    CycleState,
    Program,
    ProgramAssessment,
)
from assessments.services import cycle_launch
from planning.models import CampaignPlan, CampaignSupportPlan, PlanState
from workflow.models import Step, Tasker
from workflow.services import transition_perform


def approved_plans_in_bulk(world, count: int) -> None:
    """Half campaign plans (to the commands), half support plans (to the components)."""
    commands = [world.orgs[a] for a in ("EUCOM", "CENTCOM", "SOCOM")]
    components = [world.orgs[a] for a in ("DA", "DLA")]
    by = world.user("EUCOM")
    CampaignPlan.objects.bulk_create([
        CampaignPlan(title=f"Campaign plan {n}", owner=commands[n % 3], created_by=by, state=PlanState.APPROVED)
        for n in range(count // 2)
    ])
    CampaignSupportPlan.objects.bulk_create([
        CampaignSupportPlan(title=f"Support plan {n}", owner=components[n % 2], created_by=by,
                            state=PlanState.APPROVED)
        for n in range(count - count // 2)
    ])


def launched_cycle(world) -> AssessmentCycle:
    Program.objects.all().delete()  # plans only: the counts below are the plans'
    cycle = world.cycle()
    world.approved_template(cycle)
    # The launch task is not queued: each test calls the service itself.
    return transition_perform(document=AssessmentCycle.objects.get(pk=cycle.pk), name="launch", by=world.admin,
                              data={"synchronous": True})


def assessment_taskers() -> int:
    return Tasker.objects.filter(content_type=ContentType.objects.get_for_model(Assessment),
                                 step=Step.COMPLETION).count()


def launch_queries(world, plans: int) -> list[str]:
    approved_plans_in_bulk(world, plans)
    cycle = launched_cycle(world)
    ContentType.objects.clear_cache()  # both measurements start cold
    with CaptureQueriesContext(connection) as queries:
        assert cycle_launch(cycle=cycle, by=world.admin) == plans
    return [q["sql"] for q in queries.captured_queries]


def statements(queries: list[str]) -> tuple[int, set[str]]:
    """Queries other than the INSERTs, and the tables inserted into. SQLite caps the parameters
    of one statement (999), so Django splits one bulk_create into several INSERTs there;
    PostgreSQL sends one."""
    inserts = {q.split('"')[1] for q in queries if q.startswith("INSERT")}
    return sum(1 for q in queries if not q.startswith("INSERT")), inserts


def test_launch_takes_the_same_number_of_queries_for_50_and_500_plans(world):
    small = launch_queries(world, 50)
    Tasker.objects.all().delete()
    Assessment.objects.all().delete()
    AssessmentCycle.objects.all().delete()
    CampaignPlan.objects.all().delete()
    CampaignSupportPlan.objects.all().delete()
    large = launch_queries(world, 500)
    assert statements(small) == statements(large)
    assert {"assessments_assessment", "workflow_tasker", "workflow_historyentry"} <= statements(large)[1]
    if connection.features.max_query_params is None:  # PostgreSQL: one INSERT per table
        assert len(small) == len(large)
    print(f"launch queries: 50 plans {len(small)}, 500 plans {len(large)} ({connection.vendor})")


def test_launch_of_2000_approved_plans_creates_2000_assessments_and_taskers_and_a_second_launch_none(world):
    approved_plans_in_bulk(world, 2000)
    cycle = launched_cycle(world)
    started = time.monotonic()
    assert cycle_launch(cycle=cycle, by=world.admin) == 2000
    assert time.monotonic() - started < 30
    assert Assessment.objects.filter(cycle=cycle).count() == 2000
    assert assessment_taskers() == 2000
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    assert (cycle.state, cycle.launch_done, cycle.launch_total) == (CycleState.COLLECTION, 2000, 2000)

    assert cycle_launch(cycle=cycle, by=world.admin) == 0
    assert Assessment.objects.filter(cycle=cycle).count() == 2000
    assert assessment_taskers() == 2000
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    assert (cycle.launch_done, cycle.launch_total) == (2000, 2000)


def test_a_launch_in_small_batches_pages_across_both_kinds_and_the_programs_and_assesses_each_once(world):
    """Pages of 7 over 10 campaign plans, 11 support plans and the active programs: pages span
    a kind's end; nothing is missed or assessed twice."""
    approved_plans_in_bulk(world, 21)
    cycle = world.cycle()
    world.approved_template(cycle)
    cycle = transition_perform(document=AssessmentCycle.objects.get(pk=cycle.pk), name="launch", by=world.admin,
                               data={"synchronous": True})
    programs = Program.objects.filter(active=True).count()
    total = 21 + programs
    assert cycle_launch(cycle=cycle, by=world.admin, batch_size=7) == total
    assert Assessment.objects.filter(cycle=cycle).values("plan_id").distinct().count() == 21
    assert ProgramAssessment.objects.filter(cycle=cycle).count() == programs
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    assert (cycle.launch_done, cycle.launch_total) == (total, total)
    assert cycle_launch(cycle=cycle, by=world.admin, batch_size=7) == 0


def test_only_approved_plans_are_assessed_each_by_its_owner(world):
    approved = world.approved_plan("EUCOM")
    support = world.approved_plan("DLA", support=True)
    CampaignPlan.objects.create(title="Still a draft", owner=world.orgs["CENTCOM"], created_by=world.user("CENTCOM"))
    cycle = launched_cycle(world)
    cycle_launch(cycle=cycle, by=world.admin)
    assert {(a.assessed_plan, a.owner.acronym) for a in Assessment.objects.all()} == {(approved, "EUCOM"), (support, "DLA")}


def test_program_assessments_go_to_usdp_one_per_active_program(world):
    cycle = world.cycle()
    world.approved_template(cycle)
    Program.objects.create(code="OLD", name="Retired program", active=False)
    cycle = transition_perform(document=AssessmentCycle.objects.get(pk=cycle.pk), name="launch", by=world.admin)
    cycle_launch(cycle=cycle, by=world.admin)
    assert sorted(ProgramAssessment.objects.values_list("program__code", "owner__acronym")) == [
        ("FMS", "USD(P)"), ("IMET", "USD(P)")]


def _tasks_sent(callbacks) -> list[str]:
    """The names of the tasks that on-commit callbacks (``runtime.task_queue.enqueue_on_commit``'s) send."""
    return [cell.cell_contents.name for callback in callbacks for cell in (callback.__closure__ or ())
            if hasattr(cell.cell_contents, "apply_async")]


def test_the_launch_task_runs_on_commit_and_records_its_progress(world, django_capture_on_commit_callbacks):
    approved_plans_in_bulk(world, 30)
    cycle = world.cycle()
    world.approved_template(cycle)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cycle = transition_perform(document=AssessmentCycle.objects.get(pk=cycle.pk), name="launch", by=world.admin)
        assert cycle.launch_in_progress and cycle.launch_total == 32  # 30 plans and 2 programs
    # One launch task (the notices of the launch and its taskers are raised by tasks of their own).
    assert _tasks_sent(callbacks).count("assessments.cycle_launch") == 1
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    assert (cycle.launch_done, cycle.launch_percent, cycle.state) == (32, 100, CycleState.COLLECTION)
    assert cycle.launch_task_id


def test_launching_before_the_cycle_is_launched_is_refused(world):
    from workflow.exceptions import ActionRefused

    with pytest.raises(ActionRefused, match="only a launched cycle creates assessments"):
        cycle_launch(cycle=world.cycle(), by=world.admin)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_launches_at_the_same_moment_create_each_assessment_once(world):
    """Each batch locks the cycle's row and skips what the other launch created meanwhile."""
    import threading

    from django.db import connections

    approved_plans_in_bulk(world, 300)
    cycle = launched_cycle(world)
    results, errors = [], []

    def launch():
        try:
            results.append(cycle_launch(cycle=cycle, by=world.admin, batch_size=50))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(results) == 300
    assert Assessment.objects.filter(cycle=cycle).count() == 300
    assert assessment_taskers() == 300
