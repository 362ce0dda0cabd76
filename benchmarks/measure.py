"""The measurements: transitions (full service path against the bare writes), pages, the
reminder sweep and the assessment launch. Each returns plain numbers for the report."""

from __future__ import annotations

import datetime
import multiprocessing
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from planning.models import CampaignPlan, PlanState

# --- counting queries without keeping their text ------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


# --- transitions ---------------------------------------------------------------------------

def _approve_worker(plan_ids: list[int], approver_id: int, barrier, results) -> None:
    """One client: approve each plan through the full service path, on its own connection."""
    from workflow.services import transition_perform

    connections["default"].close()  # a forked child never shares the parent's socket
    approver = get_user_model().objects.get(pk=approver_id)
    barrier.wait(timeout=120)
    started = time.perf_counter()
    done = errors = 0
    for pk in plan_ids:
        try:
            plan = CampaignPlan.objects.get(pk=pk)  # what the approver's page loaded
            transition_perform(document=plan, name="approve", by=approver, expected_state=plan.state)
            done += 1
        except Exception:  # noqa: BLE001 (counted and reported, never hidden)
            errors += 1
    results.put((started, time.perf_counter(), done, errors))
    connections["default"].close()


def _raw_worker(plan_ids: list[int], approver_id: int, organization_id: int, content_type_id: int, barrier,
                results) -> None:
    """The same database writes with nothing else: lock the row, update the state, add history."""
    conf = settings.DATABASES["default"]
    params = {"dbname": conf["NAME"], "user": conf.get("USER") or None, "password": conf.get("PASSWORD") or None,
              "host": conf.get("HOST") or None, "port": conf.get("PORT") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as raw:
        barrier.wait(timeout=120)
        started = time.perf_counter()
        done = 0
        for pk in plan_ids:
            with raw.transaction():
                state = raw.execute("SELECT state FROM planning_campaignplan WHERE id = %s FOR UPDATE",
                                    [pk]).fetchone()[0]
                raw.execute("UPDATE planning_campaignplan SET state = 'approved', approved_at = now(), "
                            "updated_at = now() WHERE id = %s", [pk])
                raw.execute(
                    "INSERT INTO workflow_historyentry (content_type_id, object_id, at, action, description, "
                    "from_state, to_state, actor_id, acting_for_id, on_behalf_of_id, comment, data) "
                    "VALUES (%s, %s, now(), 'approve', 'Approve', %s, 'approved', %s, %s, NULL, '', '{}')",
                    [content_type_id, pk, state, approver_id, organization_id])
            done += 1
        results.put((started, time.perf_counter(), done, 0))


def _run_clients(target: Callable, chunks: list[list[int]], *args) -> tuple[float, int, int]:
    """Run one process per chunk of plans (forked: each opens its own connection); returns
    (transitions per second over the wall time of all of them, done, errors)."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(chunks)), context.Queue()
    connections.close_all()
    processes = [context.Process(target=target, args=(chunk, *args, barrier, results)) for chunk in chunks]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    start = min(o[0] for o in outcomes)
    end = max(o[1] for o in outcomes)
    done = sum(o[2] for o in outcomes)
    return done / (end - start), done, sum(o[3] for o in outcomes)


@dataclass
class TransitionFigures:
    per_s_1: float
    per_s_4: float
    raw_per_s_1: float
    queries: int
    errors: int


def transitions_measure(*, pool: list[int], approver_id: int, usdp_id: int, content_type_id: int,
                        one: int, four: int, raw: int) -> TransitionFigures:
    """Approve distinct plans of ``pool`` (in review, reviews complete, approval tasker open):
    ``one`` with one client, ``four`` split over four clients, then ``raw`` bare writes."""
    from workflow.services import transition_perform

    needed = 1 + one + four + raw
    if len(pool) < needed:
        raise RuntimeError(f"the transition pool has {len(pool)} plans; {needed} are needed")
    probe, pool = pool[0], pool[1:]
    approver = get_user_model().objects.get(pk=approver_id)
    plan = CampaignPlan.objects.get(pk=probe)
    with counting_queries() as counter:
        transition_perform(document=CampaignPlan.objects.get(pk=probe), name="approve", by=approver,
                           expected_state=plan.state)
    assert CampaignPlan.objects.get(pk=probe).state == PlanState.APPROVED
    first, pool = pool[:one], pool[one:]
    second, pool = pool[:four], pool[four:]
    per_s_1, _, errors_1 = _run_clients(_approve_worker, [first], approver_id)
    per_s_4, _, errors_4 = _run_clients(_approve_worker, [second[i::4] for i in range(4)], approver_id)
    raw_per_s, _, _ = _run_clients(_raw_worker, [pool[:raw]], approver_id, usdp_id, content_type_id)
    return TransitionFigures(per_s_1=per_s_1, per_s_4=per_s_4, raw_per_s_1=raw_per_s,
                             queries=counter.count + 1, errors=errors_1 + errors_4)


# --- pages ---------------------------------------------------------------------------------

@dataclass
class Page:
    name: str
    url: str
    username: str


def pages_to_measure(*, change_plan_id: int, reader: str, tasked: str,
                     task: tuple[int, str] | None = None) -> tuple[list[Page], list[str]]:
    """The start page, every routed document's change list, a change page, "my taskers", My work
    and a task page (``task``: a plan in coordination and the coordinator it waits for, who
    opens it from My work: the answer form first), and the API's taskers list and My work (when
    the API is installed). Returns the pages and notes."""
    from workflow.admin_views import RoutedDocumentAdminMixin

    notes = []
    pages = [Page("start", reverse("admin:index"), reader)]
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        if isinstance(model_admin, RoutedDocumentAdminMixin):
            opts = model._meta
            pages.append(Page(f"{opts.model_name}_list", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                              reader))
    pages.append(Page("campaignplan_change", reverse("admin:planning_campaignplan_change", args=[change_plan_id]),
                      reader))
    pages.append(Page("my_taskers", reverse("admin:workflow_tasker_changelist"), tasked))
    pages.append(Page("my_work", reverse("admin:my_work"), tasked))
    if task is not None:
        pages.append(Page("task_page", reverse("admin:planning_campaignplan_change", args=[task[0]]), task[1]))
    else:
        notes.append("task_page: no campaign plan in coordination has an open coordination tasker")
    api = api_taskers_url()
    if api:
        pages.append(Page("api_taskers", api, tasked))
        pages.append(Page("api_my_work", reverse("api:my-work"), tasked))
    else:
        notes.append("api_taskers: the API's taskers list (/api/v1/taskers/) is not installed yet")
    return pages, notes


def task_of_a_coordinator() -> tuple[int, str] | None:
    """(a campaign plan in coordination, the acronym of an organization with an open coordination
    tasker on it): the task page its coordinator opens from My work."""
    from django.contrib.contenttypes.models import ContentType

    from planning.models import CampaignPlan, PlanState
    from workflow.models import OPEN_TASKER_STATES, Step, Tasker

    plans = CampaignPlan.objects.filter(state=PlanState.COORDINATION).values("pk")
    return (Tasker.objects.filter(content_type=ContentType.objects.get_for_model(CampaignPlan), step=Step.COORDINATION,
                                  state__in=OPEN_TASKER_STATES, object_id__in=plans)
            .order_by("object_id", "pk").values_list("object_id", "organization__acronym").first())


def api_taskers_url() -> str | None:
    try:
        url = reverse("api:tasker-list")
    except NoReverseMatch:
        url = "/api/v1/taskers/"
    try:
        match = resolve(url)
    except Resolver404:
        return None
    return None if match.url_name in (None, "not_found") or "not_found" in match._func_path else url


PAGE_BUDGET_MS = 20_000


@dataclass
class PageFigures:
    median_ms: float
    queries: int
    status: int


def pages_measure(pages: list[Page], *, repeats: int, log=None) -> dict[str, PageFigures]:
    """Median time of ``repeats`` requests after one warm-up, and the queries of the first of
    them (the warm-up fills the process's caches and writes the session's renewal, which
    happens at most once a minute), through Django's test client signed in as each page's user
    (production-like: DEBUG off)."""
    User = get_user_model()
    figures = {}
    with override_settings(DEBUG=False, SECURE_SSL_REDIRECT=False):
        for page in pages:
            client = Client()
            client.force_login(User.objects.get(username=page.username))
            with counting_queries() as counter:
                started = time.perf_counter()
                response = client.get(page.url)
                first = (time.perf_counter() - started) * 1000
            if first > PAGE_BUDGET_MS:  # a page this slow is reported from its one request
                figures[page.name] = PageFigures(round(first, 1), counter.count, response.status_code)
                if log:
                    log(f"  {page.name}: {figures[page.name]} (one request)")
                continue
            times = []
            for repeat in range(repeats):
                with counting_queries() as counted:
                    started = time.perf_counter()
                    response = client.get(page.url)
                    times.append((time.perf_counter() - started) * 1000)
                if repeat == 0:
                    counter = counted
                if sum(times) > PAGE_BUDGET_MS:  # a page this slow is reported from fewer requests
                    break
            figures[page.name] = PageFigures(round(statistics.median(times), 1), counter.count, response.status_code)
            if log:
                log(f"  {page.name}: {figures[page.name]}")
    return figures


# --- the reminder sweep --------------------------------------------------------------------

def sweep_measure(*, repeats: int) -> tuple[float, int, int] | None:
    """Median milliseconds of the sweep (each run rolled back, so each finds the same work),
    its queries and how many it claimed; None without the reminders app."""
    try:
        from reminders.services import reminders_sweep
    except ImportError:
        return None
    times, queries, claimed = [], 0, 0
    for _ in range(repeats + 1):
        with transaction.atomic():
            with counting_queries() as counter:
                started = time.perf_counter()
                claimed = len(reminders_sweep())
                times.append((time.perf_counter() - started) * 1000)
            queries = counter.count
            transaction.set_rollback(True)
    return round(statistics.median(times[1:]), 1), queries, claimed


# --- the assessment launch -----------------------------------------------------------------

def launch_measure(*, world) -> tuple[float, int, int] | None:
    """Set up a cycle through the services (template consulted and approved), launch it, then
    time ``cycle_launch`` over every approved plan: (seconds, queries, assessments created)."""
    try:
        from assessments.models import DEFAULT_SCALE, AssessmentCycle, Question, QuestionKind, TemplateSection
        from assessments.services import cycle_create, cycle_launch, template_create
    except ImportError:
        return None
    from organizations.models import Designation, Membership, Organization, Role
    from organizations.selectors import designated_organization
    from workflow.models import Response, Step
    from workflow.selectors import open_taskers
    from workflow.services import tasker_respond, transition_perform

    User = get_user_model()
    # A cycle administrator: an organization administrator of the designated Joint Staff office.
    administrator = User.objects.create(username="cycle_administrator", is_staff=True)
    Membership.objects.create(user=administrator, organization=designated_organization(Designation.JOINT_STAFF),
                              role=Role.ORG_ADMIN, start=datetime.date(2020, 1, 1))
    administrator = User.objects.get(pk=administrator.pk)
    orgs = world.org_ids
    today = timezone.localdate()
    cycle = cycle_create(
        by=administrator, fiscal_year=today.year + 1, owner=Organization.objects.get(pk=orgs["J5"]),
        policy_office=Organization.objects.get(pk=orgs["USD(P)"]),
        program_coordinator=Organization.objects.filter(pk=orgs.get("PA&E")).first(),
        template_suspense=today + datetime.timedelta(days=30), collection_suspense=today + datetime.timedelta(days=120),
        joint_review_suspense=today + datetime.timedelta(days=180),
        evaluation_suspense=today + datetime.timedelta(days=240),
    )
    j5_ao = User.objects.get(pk=world.user_id("J5", Role.ACTION_OFFICER))
    transition_perform(document=cycle, name="start_template", by=administrator)
    template = template_create(cycle=cycle, by=j5_ao)
    section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
    Question.objects.create(section=section, position=1, text="How did the plan advance the GEF end states?")
    Question.objects.create(section=section, position=2, kind=QuestionKind.RATING, scale=DEFAULT_SCALE,
                            text="Overall progress toward the plan's objectives")
    template = transition_perform(document=template, name="consult", by=j5_ao)
    tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(),
                   by=User.objects.get(pk=world.user_id("USD(P)", Role.REVIEWER)), response=Response.CONCUR)
    transition_perform(document=type(template).objects.get(pk=template.pk), name="approve",
                       by=User.objects.get(pk=world.user_id("J5", Role.APPROVER)))
    cycle = transition_perform(document=AssessmentCycle.objects.get(pk=cycle.pk), name="launch", by=administrator)
    with counting_queries() as counter:
        started = time.perf_counter()
        created = cycle_launch(cycle=cycle, by=administrator)
        seconds = time.perf_counter() - started
    return round(seconds, 2), counter.count, created


__all__ = ["transitions_measure", "pages_to_measure", "pages_measure", "sweep_measure",
           "launch_measure"]
