"""The load phase: gunicorn with the production settings on a free loopback port, and locust
(headless) ramping simulated staff against it until the service level breaks. Only 127.0.0.1 is ever contacted; every loop
is bounded by the run time and stops by itself."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import OuterRef, Subquery
from django.test import override_settings
from django.urls import reverse

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from workflow.models import Comment, Tasker

from .database import database_url
from .synthetic import POOL_OWNER
from .world import World

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


@dataclass
class LoadFigures:
    """The ramp's result. ``users_at_slo``: the most simulated staff served with a 95th
    percentile within the service level and no error (``rps_at_slo`` their requests per second,
    ``pages_at_slo`` each page type's server time there); ``rps``, ``p95_ms``, ``errors``: the
    last step measured (the highest load the ramp reached)."""

    rps: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    requests: int = 0
    errors: int | None = None
    conflicts: int = 0
    refused: int = 0
    users_at_slo: int | None = None
    rps_at_slo: float | None = None
    p95_ms_at_slo: float | None = None
    pages_at_slo: dict = field(default_factory=dict)
    slo_ms: int = 1000
    stopped_by: str = ""
    steps: list = field(default_factory=list)
    tally: dict = field(default_factory=dict)
    note: str = ""


def _shared_cache_url() -> str:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    return os.environ.get("CACHE_URL") or (broker if broker.startswith(("redis://", "rediss://")) else "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _sessions(users, secret_key: str) -> list[str]:
    """Signed-in sessions made directly (staff who logged in earlier), signed with the server's key."""
    keys = []
    with override_settings(SECRET_KEY=secret_key):
        for user in users:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "security.backends.ProfileModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.set_expiry(3600)
            store.create()
            keys.append(store.session_key)
    return keys


def load_plan(*, world: World, people: int, approvals: list[int], secret_key: str, api_path: str | None) -> dict:
    """Who the simulated staff are and what each works on, each with a session of their own:
    reviewers of tasked organizations answer their open taskers, the pool's owning command's approver approves
    plans whose reviews are complete, action officers of the commands read their plans and
    adjudicate the comments on those in coordination. Several simulated people may be the same
    account (three per organization), as colleagues sharing a role are."""
    User = get_user_model()
    change = lambda model, pk: reverse(f"admin:planning_{model}_change", args=[pk])  # noqa: E731
    action = lambda model, pk, rest: change(model, pk).rsplit("change/", 1)[0] + rest  # noqa: E731
    ct = ContentType.objects.get_for_model(CampaignPlan)
    open_taskers = list(Tasker.objects.filter(content_type=ct, state="open", step="coordination")
                        .values_list("object_id", "pk", "organization__acronym").order_by("-pk")[: people * 20])
    by_org: dict[str, list] = {}
    for plan_id, tasker_id, acronym in open_taskers:
        by_org.setdefault(acronym, []).append((change("campaignplan", plan_id),
                                               action("campaignplan", plan_id, f"respond/{tasker_id}/")))
    in_coordination = CampaignPlan.objects.filter(state=PlanState.COORDINATION)
    comments = list(Comment.objects.filter(content_type=ct, decision="", tasker__step="coordination",
                                           object_id__in=in_coordination.values("pk"))
                    .annotate(owner=Subquery(in_coordination.filter(pk=OuterRef("object_id")).values("owner__acronym")))
                    .values_list("object_id", "pk", "owner").order_by("-pk")[: people * 20])
    to_adjudicate: dict[str, list] = {}
    for plan_id, comment_id, acronym in comments:
        to_adjudicate.setdefault(acronym, []).append((change("campaignplan", plan_id),
                                                      action("campaignplan", plan_id, f"adjudicate/{comment_id}/")))
    reviewers = sorted(by_org, key=lambda a: -len(by_org[a]))
    commands = [a for a, pk in world.org_ids.items() if pk in world.commands]
    recent = list(CampaignPlan.objects.order_by("-pk").values_list("pk", "owner__acronym")[: people * 40])
    # One in five approves, two answer taskers, two write plans and adjudicate comments.
    roles = [("approver", "reviewer", "reviewer", "action_officer", "action_officer")[n % 5] for n in range(people)]
    approvers = max(1, roles.count("approver"))
    officers = Counter()
    people_plan, users = [], []
    for n, kind in enumerate(roles):
        adjudications: list = []
        if kind == "reviewer" and reviewers:
            acronym = reviewers[n % len(reviewers)]
            answers = by_org[acronym][n // len(reviewers)::max(1, (people + len(reviewers) - 1) // len(reviewers))]
            user = User.objects.get(pk=world.user_id(acronym, Role.REVIEWER))
            documents = [page for page, _ in by_org[acronym]][:20]
            mine_approvals = []
        elif kind == "approver":
            user = User.objects.get(pk=world.user_id(POOL_OWNER, Role.APPROVER))
            slot = roles[:n].count("approver")
            mine_approvals = [(change("campaignplan", pk), action("campaignplan", pk, "transition/approve/"))
                              for pk in approvals[slot::approvers]]
            answers, documents = [], [page for page, _ in mine_approvals][:20]
        else:
            acronym = commands[n % len(commands)]
            user = User.objects.get(pk=world.user_id(acronym, Role.ACTION_OFFICER))
            documents = [change("campaignplan", pk) for pk, owner in recent if owner == acronym][:20]
            # Colleagues of one command share its comments out, none adjudicates another's.
            colleagues = -(-roles.count("action_officer") // len(commands))
            adjudications = to_adjudicate.get(acronym, [])[officers[acronym]::colleagues]
            officers[acronym] += 1
            answers, mine_approvals = [], []
        users.append(user)
        people_plan.append({"username": user.username, "documents": documents, "answers": answers,
                            "adjudications": adjudications, "approvals": mine_approvals})
    for person, key in zip(people_plan, _sessions(users, secret_key), strict=True):
        person["session"] = key
    from .measure import pages_to_measure  # the same lists the page measurements read

    measured = pages_to_measure(change_plan_id=recent[-1][0], reader="", tasked="")[0]
    lists = [(p.name, p.url) for p in measured if p.name.endswith("_list")]
    my_work = next((p for p in measured if p.name == "my_work"), None)
    return {"paths": {"my_work": my_work.url if my_work else reverse("admin:index"),
                      "my_work_name": "my work" if my_work else "start page", "lists": lists,
                      "my_taskers": reverse("admin:workflow_tasker_changelist"), "api_taskers": api_path},
            "people": people_plan}


def load_run(*, world: World, database: str, ramp: dict, approvals: list[int], log=print) -> LoadFigures:
    """Serve the bench database with gunicorn (production settings) and ramp simulated staff
    with locust against it (``ramp``: steps of users, seconds per step, seconds to settle, the
    service level in ms)."""
    locust = BIN / "locust"
    gunicorn = BIN / "gunicorn"
    if not locust.exists():
        return LoadFigures(note="locust is not installed in this environment (python3 dev.py install)")
    from .measure import api_taskers_url

    secret_key = secrets.token_urlsafe(60)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = _free_port()
    env = {
        **os.environ,
        # The production profile (see server_settings; a deployment may name its own module).
        "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SERVER_SETTINGS", "benchmarks.server_settings"),
        "SECRET_KEY": secret_key,
        "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": HOST, "DATABASE_URL": database_url(database),
        "DB_CONN_MAX_AGE": "60", "VAR_DIR": str(work / "var"), "LOG_LEVEL": "WARNING",
        # Tasks enqueued on commit stay in this process's memory: the bench runs no worker.
        "CELERY_BROKER_URL": "memory://", "CELERY_RESULT_BACKEND": "cache+memory://",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # The cache every worker shares, as in production (what is kept per capacity: security.capacity):
        # CACHE_URL, else the broker's Redis; without either, each worker's own memory.
        "CACHE_URL": _shared_cache_url(),
    }
    people = max(ramp["steps"])
    plan = load_plan(world=world, people=people, approvals=approvals, secret_key=secret_key,
                     api_path=api_taskers_url())
    plan["ramp"] = ramp
    (work / "plan.json").write_text(json.dumps(plan))
    seconds = ramp["hold"] * len(ramp["steps"])
    server = None
    try:
        # gunicorn's rule for CPU-bound sync workers (production runs 3 per CPU); a smoke run boots two.
        workers = str(2 if seconds < 30 else 2 * (os.cpu_count() or 1) + 1)
        server = subprocess.Popen([str(gunicorn), "config.wsgi:application", "--bind", f"{HOST}:{port}",
                                   "--workers", workers, "--log-level", "warning", "--backlog", "2048"],
                                  env=env, cwd=settings.BASE_DIR, start_new_session=True)
        _wait_until_serving(f"http://{HOST}:{port}{reverse('admin:login')}", server)
        _warm_up(f"http://{HOST}:{port}", plan, workers=int(workers))
        log(f"load: gunicorn ({workers} workers, production settings) on {HOST}:{port}; staff in steps of "
            f"{ramp['steps']}, {ramp['hold']} s each, 3-10 s between actions, until p95 > {ramp['slo_ms']} ms "
            "or an error")
        locust_env = {**os.environ, "BENCH_LOAD_PLAN": str(work / "plan.json"),
                      "BENCH_LOAD_TALLY": str(work / "tally.json")}
        subprocess.run([str(locust), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
                        "--host", f"http://{HOST}:{port}", "--only-summary",
                        "--stop-timeout", "10", "--loglevel", "ERROR", "--exit-code-on-error", "0"],
                       env=locust_env, cwd=settings.BASE_DIR, check=True, timeout=seconds + 180,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return _figures(work, slo_ms=ramp["slo_ms"])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


def _warm_up(base: str, plan: dict, *, workers: int) -> None:
    """Each page type once per worker, a request per worker at a time (workers are separate
    processes: the first request of each compiles its templates and fills its caches), so
    the first step measures a server that has served before, as a deployed one has; and My work
    of each person of the first step once per worker, as a person's first pages of the day fill
    what each worker keeps for them (``security.capacity``). People added by later steps come
    cold, as people signing in do."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [plan["paths"]["my_work"], plan["paths"]["my_taskers"], *(path for _name, path in plan["paths"]["lists"])]
    paths += [person["documents"][0] for person in plan["people"][:5] if person["documents"]]

    def get(path_and_session):
        path, session = path_and_session
        request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={session}"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (http://127.0.0.1 only)
                response.read()
        except (urllib.error.HTTPError, OSError):
            pass  # the ramp counts errors; warming only fills caches

    sessions = [person["session"] for person in plan["people"]]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for path in paths:
            list(pool.map(get, [(path, sessions[n % len(sessions)]) for n in range(workers)]))
        for session in sessions[:plan["ramp"]["steps"][0]]:
            list(pool.map(get, [(plan["paths"]["my_work"], session)] * workers))


def _wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1 only)
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _figures(work: Path, *, slo_ms: int) -> LoadFigures:
    measured = json.loads((work / "tally.json").read_text()) if (work / "tally.json").exists() else {}
    steps, tally = measured.get("steps", []), measured.get("tally", {})
    if not steps:
        return LoadFigures(note="the load run measured no step", tally=tally, slo_ms=slo_ms)
    within = [s for s in steps if s["errors"] == 0 and s["p95_ms"] is not None and s["p95_ms"] <= slo_ms]
    best = max(within, key=lambda s: s["users"]) if within else None
    last = steps[-1]
    stopped_by = ("errors" if last["errors"] else f"p95 above {slo_ms} ms") if last is not best else \
        "the last step (the service level held throughout)"
    return LoadFigures(
        rps=last["rps"], p50_ms=last["p50_ms"], p95_ms=last["p95_ms"], requests=sum(s["requests"] for s in steps),
        errors=last["errors"], conflicts=sum(s["conflicts"] for s in steps), refused=sum(s["refused"] for s in steps),
        users_at_slo=best["users"] if best else 0, rps_at_slo=best["rps"] if best else None,
        p95_ms_at_slo=best["p95_ms"] if best else None,
        pages_at_slo={name: {k: page[k] for k in ("requests", "server_median_ms", "server_p95_ms", "server_cpu_ms",
                                                  "p95_ms")}
                      for name, page in (best["pages"] if best else {}).items()},
        slo_ms=slo_ms, stopped_by=stopped_by, steps=steps, tally=tally,
    )


__all__ = ["LoadFigures", "load_run", "PlanState"]
