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
    started, cpu = time.perf_counter(), time.process_time()
    done = errors = 0
    for pk in plan_ids:
        try:
            plan = CampaignPlan.objects.get(pk=pk)  # what the approver's page loaded
            transition_perform(document=plan, name="approve", by=approver, expected_state=plan.state)
            done += 1
        except Exception:  # noqa: BLE001 (counted and reported, never hidden)
            errors += 1
    results.put((started, time.perf_counter(), done, errors, time.process_time() - cpu))
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
    (transitions per second over the wall time of all of them, done, errors). The CPU time the
    clients spent per transition, when they measure it, is kept in ``_run_clients.cpu_ms``."""
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
    cpu = [o[4] for o in outcomes if len(o) > 4]
    _run_clients.cpu_ms = round(sum(cpu) * 1000 / done, 2) if cpu and done else None
    return done / (end - start), done, sum(o[3] for o in outcomes)


# --- the same statements as the product, replayed (raw_same_per_s_1) ------------------------

@dataclass
class Statement:
    """One statement as the product sent it: its SQL with placeholders, its parameters, whether
    it was sent many times (executemany) and whether it ran inside the transaction."""

    sql: str
    params: object
    many: bool
    in_transaction: bool


class StatementRecorder:
    """Record what Django sends to the database, in order (``connection.execute_wrapper``)."""

    def __init__(self):
        self.statements: list[Statement] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(Statement(sql, params, many, connection.in_atomic_block))
        return execute(sql, params, many, context)


def approval_recorded(*, plan_id: int, approver) -> list[Statement]:
    """Approve plan ``plan_id`` as the bench's client does (the page's read of the plan, then
    ``transition_perform``), recording every statement."""
    from workflow.services import transition_perform

    recorder = StatementRecorder()
    with connection.execute_wrapper(recorder):
        plan = CampaignPlan.objects.get(pk=plan_id)  # what the approver's page loaded
        transition_perform(document=plan, name="approve", by=approver, expected_state=plan.state)
    if CampaignPlan.objects.get(pk=plan_id).state != PlanState.APPROVED:
        raise RuntimeError(f"the probe approval of plan {plan_id} did not approve it")
    return recorder.statements


def approval_tasker_ids(plan_ids: list[int]) -> dict[int, int]:
    """The open approval tasker of each plan (what an approval closes)."""
    from django.contrib.contenttypes.models import ContentType

    from workflow.models import Step, Tasker

    return dict(Tasker.objects.filter(content_type=ContentType.objects.get_for_model(CampaignPlan),
                                      object_id__in=plan_ids, step=Step.APPROVAL, state="open")
                .values_list("object_id", "pk"))


class Replay:
    """The statements of one recorded approval made a template for any plan in review: two
    approvals (``first`` of plan ``a``, ``second`` of plan ``b``) are recorded; a parameter the
    two share is a constant (the approver, the content type, the states...), one that was plan
    ``a``'s id or its approval tasker's takes the target plan's or tasker's, and any other that
    differs (times, the new history entry's id, the audit event's content) is sent as the second
    approval sent it. The SQL is the product's, byte for byte."""

    def __init__(self, *, first: list[Statement], second: list[Statement], a: tuple[int, int]):
        if [s.sql for s in first] != [s.sql for s in second]:
            raise RuntimeError("two approvals sent different statements: the replay cannot be built")
        if a[0] == a[1]:
            raise RuntimeError("the probe plan's id is its tasker's: the replay cannot tell them apart")
        self.a = a
        self.statements = [(b, self._slots(x.params, b.params)) for x, b in zip(first, second, strict=True)]

    def _slots(self, first, second):
        if first is None or isinstance(first, dict) or first == second:
            return None
        slots = []
        for n, (x, y) in enumerate(zip(first, second, strict=True)):
            if x != y and isinstance(x, int) and not isinstance(x, bool) and x in self.a:
                slots.append((n, self.a.index(x), type(x)))  # psycopg's Int8 kept as it was sent
        return slots

    def params(self, statement: Statement, slots, target: tuple[int, int]):
        if not slots:
            return statement.params
        params = list(statement.params)
        for n, which, kind in slots:
            params[n] = kind(target[which])
        return params


def _psycopg_connect():
    """A connection as Django's: psycopg 3, parameters bound on the client side (Django's
    default, ``server_side_binding`` off)."""
    conf = settings.DATABASES["default"]
    params = {"dbname": conf["NAME"], "user": conf.get("USER") or None, "password": conf.get("PASSWORD") or None,
              "host": conf.get("HOST") or None, "port": conf.get("PORT") or None}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, cursor_factory=psycopg.ClientCursor)


def _raw_same_worker(targets: list[tuple[int, int]], replay: Replay, barrier, results) -> None:
    """One client: for each (plan, tasker), the product's statements of one approval, in its
    order, the page's read in autocommit (as Django's) and the rest in one transaction, each
    result fetched."""
    outside = [(s, slots) for s, slots in replay.statements if not s.in_transaction]
    inside = [(s, slots) for s, slots in replay.statements if s.in_transaction]
    if [s for s, _ in outside + inside] != [s for s, _ in replay.statements]:
        raise RuntimeError("the approval ran statements after its transaction: the replay cannot keep the order")

    def send(cursor, statements, target):
        for statement, slots in statements:
            params = replay.params(statement, slots, target)
            if statement.many:
                cursor.executemany(statement.sql, params)
            elif params is None:
                cursor.execute(statement.sql)
            else:
                cursor.execute(statement.sql, params)
            if cursor.description is not None:
                cursor.fetchall()

    with _psycopg_connect() as raw:
        raw.autocommit = True
        cursor = raw.cursor()
        barrier.wait(timeout=120)
        started, cpu = time.perf_counter(), time.process_time()
        done = 0
        for target in targets:
            send(cursor, outside, target)
            with raw.transaction():
                send(cursor, inside, target)
            done += 1
        results.put((started, time.perf_counter(), done, 0, time.process_time() - cpu))


# --- the peer reference: a bare django-fsm transition with its log (naive_fsm_per_s_1) ----

def _naive_worker(document_ids: list[int], approver_id: int, barrier, results) -> None:
    """One client: what a bare django-fsm-2 model with django-fsm-log does for one approval:
    the page's read, then in one transaction the transition, its ``StateLog`` row and the save."""
    from benchmarks.models import NaiveDocument

    connections["default"].close()
    approver = get_user_model().objects.get(pk=approver_id)
    barrier.wait(timeout=120)
    started, cpu = time.perf_counter(), time.process_time()
    done = errors = 0
    for pk in document_ids:
        try:
            document = NaiveDocument.objects.get(pk=pk)
            with transaction.atomic():
                document.approve(by=approver)
                document.save()
            done += 1
        except Exception:  # noqa: BLE001 (counted and reported, never hidden)
            errors += 1
    results.put((started, time.perf_counter(), done, errors, time.process_time() - cpu))
    connections["default"].close()


def naive_documents_create(count: int) -> list[int]:
    from benchmarks.models import NaiveDocument, naive_tables_create

    naive_tables_create()
    created = NaiveDocument.objects.bulk_create(NaiveDocument(title=f"Naive document {n}") for n in range(count))
    return [d.pk for d in created]


@dataclass
class TransitionFigures:
    per_s_1: float
    per_s_4: float
    raw_per_s_1: float
    queries: int
    errors: int
    raw_same_per_s_1: float | None = None
    naive_per_s_1: float | None = None
    overhead_ratio: float | None = None
    vs_naive: float | None = None
    rounds: list[dict] | None = None
    statements: list[str] | None = None


def transitions_needed(*, one: int, four: int, raw: int) -> int:
    """Plans in review the transition measurements use: two probes, ``one`` approvals through
    the product and as many replayed, ``four`` over four clients, ``raw`` bare writes."""
    return 2 + 2 * one + four + raw


def transitions_measure(*, pool: list[int], approver_id: int, usdp_id: int, content_type_id: int,
                        one: int, four: int, raw: int, rounds: int = 5) -> TransitionFigures:
    """Approve distinct plans of ``pool`` (in review, reviews complete, approval tasker open).
    One client, in ``rounds`` rounds run back to back (the machine may be shared: each round's
    ratios compare measurements a second apart, and the figures are the rounds' medians): the
    full service path, the same statements replayed in raw psycopg, and a bare django-fsm
    transition with its log. Then ``four`` approvals split over four clients and ``raw`` bare
    writes (lock, state, history: ``transition_ratio``)."""
    needed = transitions_needed(one=one, four=four, raw=raw)
    if len(pool) < needed:
        raise RuntimeError(f"the transition pool has {len(pool)} plans; {needed} are needed")
    (probe_a, probe_b), pool = pool[:2], pool[2:]
    approver = get_user_model().objects.get(pk=approver_id)
    tasker_a = approval_tasker_ids([probe_a])[probe_a]
    first = approval_recorded(plan_id=probe_a, approver=approver)
    second = approval_recorded(plan_id=probe_b, approver=approver)
    replay = Replay(first=first, second=second, a=(probe_a, tasker_a))
    full, pool = pool[:one], pool[one:]
    same, pool = pool[:one], pool[one:]
    four_pool, pool = pool[:four], pool[four:]
    taskers = approval_tasker_ids(same)
    same_targets = [(pk, taskers[pk]) for pk in same]
    naive = naive_documents_create(one)
    rounds = max(1, min(rounds, one))
    measured, errors = [], 0
    for n in range(rounds):
        part = slice(n * one // rounds, (n + 1) * one // rounds)
        per_s, _, failed = _run_clients(_approve_worker, [full[part]], approver_id)
        cpu_ms = _run_clients.cpu_ms
        same_per_s, _, _ = _run_clients(_raw_same_worker, [same_targets[part]], replay)
        same_cpu_ms = _run_clients.cpu_ms
        naive_per_s, _, naive_failed = _run_clients(_naive_worker, [naive[part]], approver_id)
        errors += failed + naive_failed
        # The client's own CPU per transition (the machine's load moves it far less than the rates).
        measured.append({"transition_cpu_ms": cpu_ms, "raw_same_cpu_ms": same_cpu_ms,
                         "naive_fsm_cpu_ms": _run_clients.cpu_ms,
                         "transition_per_s_1": round(per_s, 1), "raw_same_per_s_1": round(same_per_s, 1),
                         "naive_fsm_per_s_1": round(naive_per_s, 1),
                         "transition_overhead_ratio": round(per_s / same_per_s, 3),
                         "transition_vs_naive": round(per_s / naive_per_s, 3)})
    median = lambda key: statistics.median(r[key] for r in measured)  # noqa: E731
    per_s_4, _, errors_4 = _run_clients(_approve_worker, [four_pool[i::4] for i in range(4)], approver_id)
    raw_per_s, _, _ = _run_clients(_raw_worker, [pool[:raw]], approver_id, usdp_id, content_type_id)
    statements = [s.sql for s in first]
    # Statements of one approval: those sent, and the COMMIT.
    return TransitionFigures(
        per_s_1=median("transition_per_s_1"), per_s_4=per_s_4, raw_per_s_1=raw_per_s, queries=len(statements) + 1,
        errors=errors + errors_4, raw_same_per_s_1=median("raw_same_per_s_1"),
        naive_per_s_1=median("naive_fsm_per_s_1"), overhead_ratio=median("transition_overhead_ratio"),
        vs_naive=median("transition_vs_naive"), rounds=measured, statements=[s[:160] for s in statements])


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


def sign_in_hash_ms(*, repeats: int) -> float:
    """The password check one sign-in costs with the configured hasher (the first of
    ``PASSWORD_HASHERS``: Argon2id, security/passwords.py), median of ``repeats`` checks, in ms."""
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("bench-sign-in-password-1A!")
    timings = []
    for _ in range(max(repeats, 3)):
        started = time.perf_counter()
        if not check_password("bench-sign-in-password-1A!", encoded):
            raise RuntimeError("the configured password hasher refused its own hash")
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 1)
