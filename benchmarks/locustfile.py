"""Simulated staff for ``manage.py bench``'s load phase (locust, headless, loopback only).

Reads the work plan the bench wrote (BENCH_LOAD_PLAN: paths, the ramp's steps, and per
simulated person a signed-in session of their own, documents, taskers to answer, comments to
adjudicate and plans to approve) and writes what each step measured to BENCH_LOAD_TALLY at the
end.

People think as people do: 3 to 10 s between actions. The ramp (``Ramp``) adds staff step by
step; each step is measured after it has settled (its users spawned, their first actions past)
and the ramp stops after the first step whose 95th percentile exceeds the service level
(``slo_ms``) or that had an error. Per step: requests, requests per second, the percentiles of
what the client waited, errors (5xx, dropped connections, refused actions), conflicts (HTTP 409
or "someone else changed", counted apart), and per page type the server's own time and CPU per
request (the ``Server-Timing`` header the bench's server settings add).

Cookies are kept by hand, as a browser on HTTPS would: the production profile marks them
Secure, which an HTTP client would otherwise never send back over loopback.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import statistics
import time
from collections import Counter, defaultdict

from locust import HttpUser, LoadTestShape, between, events, task

PLAN = json.load(open(os.environ["BENCH_LOAD_PLAN"]))  # noqa: SIM115 (read once at import)
TALLY: Counter = Counter()  # the whole run
STEP: Counter = Counter()  # the step being measured
SERVER: dict[str, list[tuple[float, float]]] = defaultdict(list)  # page type -> [(server ms, cpu ms)]
MEASURING = {"on": False}
STEPS: list[dict] = []
_people = itertools.count()
ERROR_MESSAGE = re.compile(r'<li class="error">(.*?)</li>', re.S)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMING = re.compile(r"(app|cpu);dur=([0-9.]+)")


def _count(key: str, n: int = 1) -> None:
    TALLY[key] += n
    if MEASURING["on"]:
        STEP[key] += n


@events.quitting.add_listener
def _write_tally(environment, **_kwargs) -> None:
    with open(os.environ["BENCH_LOAD_TALLY"], "w") as out:
        json.dump({"tally": dict(TALLY), "steps": STEPS}, out)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


class Ramp(LoadTestShape):
    """PLAN["ramp"]: {"steps": [users, ...], "hold": s, "settle": s, "slo_ms": ms}. Each step
    runs ``hold`` seconds; what it served is measured from ``settle`` seconds in."""

    def __init__(self):
        super().__init__()
        ramp = PLAN["ramp"]
        self.steps, self.hold, self.settle, self.slo = ramp["steps"], ramp["hold"], ramp["settle"], ramp["slo_ms"]
        self.current = -1
        self.measured_from = None

    def _record(self) -> dict:
        stats = self.runner.stats
        total = stats.total
        seconds = max(1e-6, time.perf_counter() - self.measured_from)
        failures = total.num_failures
        pages = {}
        for (name, _method), entry in stats.entries.items():
            timing = SERVER.get(name, [])
            pages.setdefault(name, {"requests": 0})
            pages[name]["requests"] += entry.num_requests
            pages[name].update({
                "p50_ms": entry.get_response_time_percentile(0.5), "p95_ms": entry.get_response_time_percentile(0.95),
                "server_median_ms": _percentile([t for t, _ in timing], 0.5),
                "server_p95_ms": _percentile([t for t, _ in timing], 0.95),
                "server_cpu_ms": round(statistics.mean(c for _, c in timing), 1) if timing else None,
            })
        step = {
            "users": self.steps[self.current], "seconds": round(seconds, 1), "requests": total.num_requests,
            "rps": round(total.num_requests / seconds, 1),
            "p50_ms": total.get_response_time_percentile(0.5) if total.num_requests else None,
            "p95_ms": total.get_response_time_percentile(0.95) if total.num_requests else None,
            "errors": failures + STEP["refused"], "conflicts": STEP["conflicts"], "refused": STEP["refused"],
            "done": {k[6:]: v for k, v in STEP.items() if k.startswith("done: ")}, "pages": pages,
        }
        STEPS.append(step)
        return step

    def _breached(self, step: dict) -> bool:
        # A step that served nothing measured nothing: it neither meets the service level (see
        # load._figures) nor stops the ramp.
        return step["errors"] > 0 or (step["p95_ms"] is not None and step["p95_ms"] > self.slo)

    def tick(self):
        run_time = self.get_run_time()
        index = int(run_time // self.hold)
        if index != self.current:
            if self.current >= 0 and self.measured_from is not None:
                step = self._record()
                MEASURING["on"], self.measured_from = False, None
                if self._breached(step):
                    return None
            if index >= len(self.steps):
                return None
            self.current = index
        users = self.steps[self.current]
        if self.measured_from is None and run_time - self.current * self.hold >= self.settle:
            self.runner.stats.reset_all()
            STEP.clear()
            SERVER.clear()
            MEASURING["on"], self.measured_from = True, time.perf_counter()
        # New staff arrive over a few seconds, as people sign in, not all in one instant.
        previous = self.steps[self.current - 1] if self.current > 0 else 0
        return users, max(1.0, (users - previous) / max(1.0, self.settle / 2))


class Staff(HttpUser):
    wait_time = between(3, 10)

    def on_start(self) -> None:
        self.person = PLAN["people"][next(_people) % len(PLAN["people"])]
        self.cookies = {"sessionid": self.person["session"]}
        self.random = random.Random(self.person["session"])  # noqa: S311 (a workload, not a secret)
        self.documents = list(self.person["documents"])
        self.answers = list(self.person["answers"])
        self.adjudications = list(self.person.get("adjudications", []))
        self.approvals = list(self.person["approvals"])

    # --- plumbing ------------------------------------------------------------------------

    def _request(self, method: str, path: str, name: str, **kwargs):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if method == "POST":
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        with self.client.request(method, path, name=name, headers=headers, allow_redirects=False,
                                 catch_response=True, **kwargs) as response:
            for cookie in response.cookies:
                if cookie.value in ("", '""') or cookie.is_expired():
                    self.cookies.pop(cookie.name, None)
                else:
                    self.cookies[cookie.name] = cookie.value
            timing = dict(TIMING.findall(response.headers.get("Server-Timing", "")))
            if "app" in timing and MEASURING["on"]:
                SERVER[name].append((float(timing["app"]), float(timing.get("cpu", 0))))
            expected = (200, 302) if method == "POST" else (200,)
            if response.status_code == 409:
                _count("conflicts")
                response.success()
            elif response.status_code not in expected:
                _count(f"status_{response.status_code}")
                response.failure(f"HTTP {response.status_code}")
            else:
                response.success()
            return response

    def _get(self, path: str, name: str):
        return self._request("GET", path, name)

    def _act(self, page: str, action: str, data: dict, name: str) -> None:
        """Open the document, press a button, and read the message on the page it returns to."""
        opened = self._get(page, name="document page")
        match = CSRF_FIELD.search(opened.text or "")
        if match:
            data = {**data, "csrfmiddlewaretoken": match.group(1)}
        posted = self._request("POST", action, name=name, data=data)
        if posted.status_code != 302:
            return
        after = self._get(page, name="document page")
        messages = [m.strip() for m in ERROR_MESSAGE.findall(after.text or "")]
        if any("Someone else changed" in m for m in messages):
            _count("conflicts")
        elif messages:
            _count("refused")
            _count(f"refused: {messages[0][:120]}")
        else:
            _count(f"done: {name}")

    # --- what staff do -------------------------------------------------------------------

    @task(3)
    def my_work(self) -> None:
        self._get(PLAN["paths"]["my_work"], name=PLAN["paths"]["my_work_name"])

    @task(3)
    def document_list(self) -> None:
        name, path = self.random.choice(PLAN["paths"]["lists"])
        if self.random.random() < 0.3:
            path += "?state__exact=review"
        self._get(path, name=f"list {name}")

    @task(2)
    def my_taskers(self) -> None:
        self._get(PLAN["paths"]["my_taskers"], name="my taskers")

    @task(1)
    def api_taskers(self) -> None:
        if PLAN["paths"].get("api_taskers"):
            self._get(PLAN["paths"]["api_taskers"], name="api taskers")

    @task(4)
    def open_document(self) -> None:
        if self.documents:
            self._get(self.random.choice(self.documents), name="document page")

    @task(1)
    def answer_tasker(self) -> None:
        if self.answers:
            page, action = self.answers.pop()
            self._act(page, action, {"response": "concur"}, name="answer tasker")

    @task(1)
    def adjudicate(self) -> None:
        if self.adjudications:
            page, action = self.adjudications.pop()
            self._act(page, action, {"decision": "accepted", "rationale": ""}, name="adjudicate comment")

    @task(1)
    def approve(self) -> None:
        if self.approvals:
            page, action = self.approvals.pop()
            self._act(page, action, {"expected_state": "review", "comment": ""}, name="approve")
