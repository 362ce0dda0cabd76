"""python manage.py bench [--small N] [--large N] [--reminders N] [--quick] [--json]

Measures the engine at two scales in a database of its own (created, migrated, dropped at the
end even on failure) and prints a table, or one JSON object with --json. See README,
"Performance", for the targets and the last figures."""

from __future__ import annotations

import json
import logging
import os
import platform
import signal
import time
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from benchmarks import database
from benchmarks.report import Targets, machine, table

# The load phase's ramp: simulated staff in steps, each held ``hold`` seconds and measured from
# ``settle`` seconds in, until the 95th percentile passes ``slo_ms`` or an error appears.
# Quick: long enough that each person acts again inside the measured window (3-10 s apart).
QUICK_RAMP = {"steps": [5, 10], "hold": 12, "settle": 2, "slo_ms": 1000}
FULL_RAMP = {"steps": [25, 50, 100, 150, 200, 250, 300, 350, 400, 500, 600], "hold": 30, "settle": 10,
             "slo_ms": 1000}
QUICK = {"small": 50, "large": 200, "repeats": 3, "due": 50, "ramp": QUICK_RAMP, "one": 15, "four": 40, "raw": 15,
         "rounds": 3, "load_approvals": 60, "mail": 200}
FULL = {"small": 1_000, "large": 100_000, "repeats": 7, "due": 500, "ramp": FULL_RAMP, "one": 300, "four": 400,
        "raw": 300, "rounds": 5, "load_approvals": 1_000, "mail": 10_000}


class Command(BaseCommand):
    help = ("Benchmark the workflow engine on PostgreSQL at two scales in its own database: transitions "
            "against raw SQL, pages, the reminder sweep, the assessment launch and a load test.")

    def add_arguments(self, parser):
        parser.add_argument("--small", type=int, help="documents at the small scale (default 1,000; --quick 50)")
        parser.add_argument("--large", type=int, help="documents at the large scale (default 100,000; --quick 200)")
        parser.add_argument("--quick", action="store_true", help="a smoke run for CI (small scales, 6 s of load)")
        parser.add_argument("--reminders", type=int, help="reminders due at once for reminders_per_s, delivered by a "
                                                          "real worker to a local SMTP server (default 10,000; "
                                                          "--quick 200)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
        parser.add_argument("--no-load", action="store_true", help="skip the gunicorn + locust load phase")

    def handle(self, *args, **options):
        database.require_postgresql()
        conf = dict(QUICK if options["quick"] else FULL)
        for scale in ("small", "large"):
            if options[scale] is not None:
                conf[scale] = options[scale]
        if options["reminders"] is not None:
            if options["reminders"] < 1:
                raise CommandError("--reminders must be positive.")
            conf["mail"] = options["reminders"]
        if not 0 < conf["small"] < conf["large"]:
            raise CommandError("--small must be positive and below --large.")
        quiet = options["json"]
        started = time.perf_counter()

        def log(message: str) -> None:
            if not quiet:
                self.stdout.write(f"[{time.perf_counter() - started:6.1f}s] {message}")
            else:
                self.stderr.write(f"[{time.perf_counter() - started:6.1f}s] {message}")

        _celery_in_memory()
        # Stopped with SIGTERM (CI timeout, kill): unwind so the bench database is dropped.
        signal.signal(signal.SIGTERM, _interrupt)
        logging.getLogger("axes").setLevel(logging.WARNING)  # one line per signed-in test client otherwise
        with database.bench_database(log=log) as name:
            result = run(conf=conf, database=name, log=log, load=not options["no_load"])
        result["details"]["seconds"] = round(time.perf_counter() - started, 1)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(table(result))


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _celery_in_memory() -> None:
    """Tasks enqueued on commit go to an in-memory broker: the bench measures enqueueing, and no
    real queue (nor a worker of another run) sees its messages. (Celery reads the broker from the
    environment before its configuration: with ``CELERY_BROKER_URL`` set, each timed approval's
    task still goes to that broker, a round trip more. Setting the environment here instead
    changed the broker of the whole process, and of every Celery worker a test session started
    after an in-process bench run, so it is not done.)"""
    from config.celery_app import app

    app.conf.broker_url = "memory://"
    app.conf.result_backend = "cache+memory://"
    app.conf.task_always_eager = False


def run(*, conf: dict, database: str, log, load: bool = True) -> dict:
    from benchmarks import measure, synthetic
    from benchmarks.load import load_run
    from benchmarks.world import world_build
    from organizations.models import Role
    from planning.models import CampaignPlan, PlanState

    notes: list[str] = []
    world = world_build(log=log)
    corpus = synthetic.Batch()
    corpus.add(synthetic.documents_generate(world=world, count=conf["small"]))
    log(f"small scale: {corpus.documents} documents, {corpus.taskers} taskers, {corpus.history} history rows, "
        f"{corpus.comments} comments in {corpus.seconds:.1f} s")
    change_plan = CampaignPlan.objects.filter(state=PlanState.APPROVED).order_by("pk").values_list("pk", flat=True)[0]
    task = measure.task_of_a_coordinator()
    pages, page_notes = measure.pages_to_measure(
        change_plan_id=change_plan, reader=_username(world, "USD(P)", Role.REVIEWER),
        tasked=_username(world, "DA", Role.REVIEWER),
        task=(task[0], _username(world, task[1], Role.REVIEWER)) if task else None)
    notes.extend(page_notes)
    small_pages = measure.pages_measure(pages, repeats=conf["repeats"], log=log)
    synthetic.reminders_due_set(conf["due"])
    small_sweep = measure.sweep_measure(repeats=conf["repeats"])
    log("small scale measured")

    pool_size = (measure.transitions_needed(one=conf["one"], four=conf["four"], raw=conf["raw"])
                 + conf["load_approvals"])
    regular = max(0, conf["large"] - conf["small"] - pool_size)
    batch = synthetic.documents_generate(world=world, count=regular, first=conf["small"] + 1)
    corpus.add(batch)
    first_pool = CampaignPlan.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    pool_batch = synthetic.documents_generate(world=world, count=pool_size, phase="review_ready",
                                              first=conf["small"] + regular + 1, campaign_plans_only=True,
                                              owner=synthetic.POOL_OWNER)
    corpus.add(pool_batch)
    pool = list(CampaignPlan.objects.filter(pk__gt=first_pool, state=PlanState.REVIEW).order_by("pk")
                .values_list("pk", flat=True))
    log(f"large scale: {corpus.documents} documents, {corpus.taskers} taskers, {corpus.history} history rows, "
        f"{corpus.comments} comments, {corpus.reminders} reminders (generated in {corpus.seconds:.1f} s)")
    large_pages = measure.pages_measure(pages, repeats=conf["repeats"], log=log)
    synthetic.reminders_due_set(conf["due"])
    large_sweep = measure.sweep_measure(repeats=conf["repeats"])
    log("large scale pages and sweep measured")

    approver = world.user_id(synthetic.POOL_OWNER, Role.APPROVER)  # the owning command approves
    transitions_pool, load_pool = pool[: pool_size - conf["load_approvals"]], pool[pool_size - conf["load_approvals"]:]
    from django.contrib.contenttypes.models import ContentType

    figures = measure.transitions_measure(
        pool=transitions_pool, approver_id=approver, usdp_id=world.org_ids[synthetic.POOL_OWNER],
        content_type_id=ContentType.objects.get_for_model(CampaignPlan).pk,
        one=conf["one"], four=conf["four"], raw=conf["raw"], rounds=conf["rounds"])
    if figures.errors:
        notes.append(f"transition: {figures.errors} approvals failed during the timed runs")
    log(f"transitions: {figures.per_s_1:.1f}/s one client, {figures.per_s_4:.1f}/s four, raw {figures.raw_per_s_1:.1f}/s, "
        f"the same statements raw {figures.raw_same_per_s_1:.1f}/s, bare django-fsm {figures.naive_per_s_1:.1f}/s "
        f"(medians of {len(figures.rounds)} rounds)")

    launched = measure.launch_measure(world=world)
    if launched is None:
        notes.append("launch: the assessments app (assessments.services.cycle_launch) is not installed yet")
    else:
        log(f"launch: {launched[2]} assessments in {launched[0]} s, {launched[1]} queries")

    from benchmarks.database import database_url
    from benchmarks.mail import reminders_throughput_measure

    mail = reminders_throughput_measure(world=world, database_url=database_url(database), count=conf["mail"],
                                        timeout=max(120.0, conf["mail"] / 5), log=log)
    if mail.note:
        notes.append(f"reminders: {mail.note}")
    if mail.sent != mail.reminders or mail.duplicates:
        notes.append(f"reminders: {mail.sent} of {mail.reminders} sent, {mail.duplicates} received twice")
    log(f"reminders: {mail.sent} sent in {mail.seconds} s, {mail.per_s}/s ({mail.workers} worker processes)")

    load_figures = None
    if load:
        load_figures = load_run(world=world, database=database, ramp=conf["ramp"], approvals=load_pool, log=log)
        if load_figures.note:
            notes.append(f"load: {load_figures.note}")
        else:
            for step in load_figures.steps:
                log(f"load: {step['users']} staff: {step['rps']} requests/s, p95 {step['p95_ms']} ms, "
                    f"{step['errors']} errors, {step['conflicts']} conflicts")
            log(f"load: {load_figures.users_at_slo} staff served within {load_figures.slo_ms} ms (p95) with no "
                f"error, {load_figures.rps_at_slo} requests/s; stopped by {load_figures.stopped_by}")
    else:
        notes.append("load: skipped (--no-load)")
    if small_sweep is None:
        notes.append("sweep: the reminders app (reminders.services.reminders_sweep) is not installed yet")

    page_details = {}
    for page in pages:
        s, lg = small_pages[page.name], large_pages[page.name]
        page_details[page.name] = {
            "url": page.url, "user": page.username, "small_ms": s.median_ms, "large_ms": lg.median_ms,
            "small_queries": s.queries, "large_queries": lg.queries, "growth": round(lg.median_ms / s.median_ms, 2),
            "status": lg.status,
        }
        if s.status != 200 or lg.status != 200:
            notes.append(f"pages: {page.name} answered HTTP {s.status}/{lg.status}")
    result = {
        "transition_per_s_1": round(figures.per_s_1, 1),
        "transition_per_s_4": round(figures.per_s_4, 1),
        "raw_per_s_1": round(figures.raw_per_s_1, 1),
        "transition_ratio": round(figures.per_s_1 / figures.raw_per_s_1, 3),
        "transition_queries": figures.queries,
        "raw_same_per_s_1": round(figures.raw_same_per_s_1, 1),
        "transition_overhead_ratio": round(figures.overhead_ratio, 3),
        "naive_fsm_per_s_1": round(figures.naive_per_s_1, 1),
        "transition_vs_naive": round(figures.vs_naive, 3),
        "sign_in_hash_ms": measure.sign_in_hash_ms(repeats=conf["repeats"]),
        "page_growth": max(p["growth"] for p in page_details.values()),
        "max_queries_per_page": max(max(p["small_queries"], p["large_queries"]) for p in page_details.values()),
        "sweep_growth": round(large_sweep[0] / small_sweep[0], 2) if small_sweep else None,
        "launch_s": launched[0] if launched else None,
        "launch_queries": launched[1] if launched else None,
        "reminders_per_s": mail.per_s if mail.sent == mail.reminders and not mail.duplicates else None,
        "load_rps": load_figures.rps if load_figures else None,
        "load_p95_ms": load_figures.p95_ms if load_figures else None,
        "load_errors": load_figures.errors if load_figures else None,
        "load_users_at_slo": load_figures.users_at_slo if load_figures else None,
        "load_rps_at_slo": load_figures.rps_at_slo if load_figures else None,
        "load_pages_at_slo": load_figures.pages_at_slo if load_figures else None,
        "pages": page_details,
        "notes": notes,
        "details": {
            "scales": {"small": conf["small"], "large": conf["large"]},
            "corpus": {k: v for k, v in asdict(corpus).items() if k != "seconds"},
            "generation_s": round(corpus.seconds, 1),
            "transition_clients": {"one": conf["one"], "four": conf["four"], "raw": conf["raw"]},
            "transition_errors": figures.errors,
            "transition_rounds": figures.rounds,
            "transition_statements": figures.statements,
            "transition_speedup_4": round(figures.per_s_4 / figures.per_s_1, 2),
            "sweep": ({"due": conf["due"], "small_ms": small_sweep[0], "large_ms": large_sweep[0],
                       "small_queries": small_sweep[1], "large_queries": large_sweep[1],
                       "claimed": large_sweep[2]} if small_sweep else None),
            "launch_assessments": launched[2] if launched else None,
            "reminders": asdict(mail),
            "load": ({**asdict(load_figures), "ramp": conf["ramp"]} if load_figures else None),
            "machine": machine(),
            "python": platform.python_version(),
            "pid": os.getpid(),
        },
    }
    result["details"]["targets"] = Targets.check(result)
    return result


def _username(world, acronym: str, role: str) -> str:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=world.user_id(acronym, role)).username
