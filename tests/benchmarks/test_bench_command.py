"""``manage.py bench``: refuses SQLite with a clear message; on PostgreSQL a quick run prints one
JSON object with every figure the issue names, in a database of its own that it drops."""

from __future__ import annotations

import io
import json
import os
import statistics

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.database import bench_databases_left

FIGURES = {
    "transition_per_s_1", "transition_per_s_4", "raw_per_s_1", "transition_ratio", "transition_queries",
    "page_growth", "max_queries_per_page", "sweep_growth", "launch_s", "launch_queries", "reminders_per_s", "load_rps",
    "load_p95_ms", "load_errors",
    # Capacity that staff feel (issue 24): the engine against its own statements and a bare
    # django-fsm transition; the most staff served within a second.
    "raw_same_per_s_1", "transition_overhead_ratio", "naive_fsm_per_s_1", "transition_vs_naive",
    "load_users_at_slo", "load_rps_at_slo", "load_pages_at_slo", "sign_in_hash_ms",
}
LOAD = {key for key in FIGURES if key.startswith("load_")}


# The test switches the engine on purpose, to show the refusal; Django warns of any such override.
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")
def test_bench_refuses_sqlite_and_says_it_needs_postgresql(settings):
    settings.DATABASES = {**settings.DATABASES,
                          "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"}}
    with pytest.raises(CommandError, match="bench measures PostgreSQL.*SQLite is not supported"):
        call_command("bench", "--quick")


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_quick_bench_prints_every_figure_as_one_json_object_and_drops_its_database():
    out, err = io.StringIO(), io.StringIO()
    call_command("bench", "--quick", "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert set(result) >= FIGURES
    assert result["transition_per_s_1"] > 0 and result["raw_per_s_1"] > 0
    assert result["transition_queries"] > 0 and result["max_queries_per_page"] > 0
    assert {"start", "campaignplan_list", "campaignsupportplan_list", "campaignplan_change", "my_taskers"} <= set(
        result["pages"])
    assert all(page["status"] == 200 for page in result["pages"].values()), result["pages"]
    # Every page within 15 queries at both scales (issue #16: My work, its API and the task page too).
    assert {"my_work", "api_my_work", "task_page"} <= set(result["pages"]), result["notes"]
    assert result["max_queries_per_page"] <= 15, result["pages"]
    assert all(page["small_queries"] == page["large_queries"] for page in result["pages"].values()), result["pages"]
    assert result["transition_queries"] == 10  # nine statements and the commit (tests/benchmarks/test_raw_same.py)
    assert result["transition_overhead_ratio"] == pytest.approx(
        statistics.median(r["transition_overhead_ratio"] for r in result["details"]["transition_rounds"]))
    for key in FIGURES - LOAD:
        assert result[key] is not None or any(key.split("_")[0] in note for note in result["notes"]), key
    assert result["load_errors"] in (0, None), result["details"]["load"]
    load = result["details"]["load"]
    if load is not None and not load["note"]:  # locust installed: the ramp ran and measured its steps
        assert [step["users"] for step in load["steps"]] == load["ramp"]["steps"][:len(load["steps"])]
        assert result["load_users_at_slo"] in [0, *load["ramp"]["steps"]]
        # Each step held long enough that its staff acted inside the measured window.
        assert all(step["requests"] > 0 for step in load["steps"]), load["steps"]
    # Every due reminder through a real worker to the SMTP server, each exactly once.
    mail = result["details"]["reminders"]
    assert mail["sent"] == mail["reminders"] == mail["received"] == 200 and mail["duplicates"] == 0, mail
    assert f"bench_{os.getpid()}" not in bench_databases_left()
