"""Simulated staff for ``manage.py bench``'s load phase (locust, headless, loopback only).

Reads the work plan the bench wrote (BENCH_LOAD_PLAN: paths, signed-in sessions, documents
and taskers per simulated person) and writes its own tallies to BENCH_LOAD_TALLY at the end:
conflicts (HTTP 409, or the admin's "someone else changed" message) are counted apart from
errors. Each person works on their own slice of documents, so conflicts stay rare.

Cookies are kept by hand, as a browser on HTTPS would: the production profile marks them
Secure, which an HTTP client would otherwise never send back over loopback.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from collections import Counter

from locust import HttpUser, between, events, task

PLAN = json.load(open(os.environ["BENCH_LOAD_PLAN"]))  # noqa: SIM115 (read once at import)
TALLY: Counter = Counter()
_people = itertools.count()
ERROR_MESSAGE = re.compile(r'<li class="error">(.*?)</li>', re.S)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.quitting.add_listener
def _write_tally(environment, **_kwargs) -> None:
    with open(os.environ["BENCH_LOAD_TALLY"], "w") as out:
        json.dump(dict(TALLY), out)


class Staff(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.person = PLAN["people"][next(_people) % len(PLAN["people"])]
        self.cookies = {"sessionid": self.person["session"]}
        self.random = random.Random(self.person["session"])  # noqa: S311 (a workload, not a secret)
        self.documents = list(self.person["documents"])
        self.answers = list(self.person["answers"])
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
            expected = (200, 302) if method == "POST" else (200,)
            if response.status_code == 409:
                TALLY["conflicts"] += 1
                response.success()
            elif response.status_code not in expected:
                TALLY[f"status_{response.status_code}"] += 1
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
            TALLY["conflicts"] += 1
        elif messages:
            TALLY["refused"] += 1
            TALLY[f"refused: {messages[0][:120]}"] += 1
        else:
            TALLY[f"done: {name}"] += 1

    # --- what staff do -------------------------------------------------------------------

    @task(2)
    def start_page(self) -> None:
        self._get(PLAN["paths"]["start"], name="start page")

    @task(3)
    def document_list(self) -> None:
        name, path = self.random.choice(PLAN["paths"]["lists"])
        if self.random.random() < 0.3:
            path += "?state__exact=review"
        self._get(path, name=f"list {name}")

    @task(3)
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
    def approve(self) -> None:
        if self.approvals:
            page, action = self.approvals.pop()
            self._act(page, action, {"expected_state": "review", "comment": ""}, name="approve")
