"""The bench's human table, its targets (the issue's) and the machine it ran on."""

from __future__ import annotations

import os
from pathlib import Path


def machine() -> dict:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), "")
    ram_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = next((int(line.split()[1]) for line in meminfo.read_text().splitlines()
                         if line.startswith("MemTotal")), 0)
        ram_gb = round(total_kb / 1024 / 1024, 1)
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": ram_gb}


class Targets:
    """The product's goals (issue: "Benchmarks at scale"): name -> (test, wording)."""

    RULES = {
        "transition_ratio": (lambda r: r["transition_ratio"] >= 0.35, ">= 0.35"),
        "transition_overhead_ratio": (lambda r: r["transition_overhead_ratio"] >= 0.6, ">= 0.6"),
        "transition_vs_naive": (lambda r: r["transition_vs_naive"] >= 0.5, ">= 0.5"),
        "transition_per_s_4": (lambda r: r["transition_per_s_4"] >= 1.5 * r["transition_per_s_1"],
                               ">= 1.5 x transition_per_s_1"),
        "page_growth": (lambda r: r["page_growth"] <= 1.5, "<= 1.5"),
        "max_queries_per_page": (lambda r: r["max_queries_per_page"] <= 15, "<= 15"),
        "sweep_growth": (lambda r: r["sweep_growth"] <= 1.5, "<= 1.5"),
        "launch_s": (lambda r: r["launch_s"] <= 10, "<= 10"),
        "reminders_per_s": (lambda r: r["reminders_per_s"] >= 50, ">= 50"),
        "load_errors": (lambda r: r["load_errors"] == 0, "= 0"),
        "load_users_at_slo": (lambda r: r["load_users_at_slo"] >= 300, ">= 300"),
        "sign_in_hash_ms": (lambda r: r["sign_in_hash_ms"] < 100, "< 100"),
    }

    @classmethod
    def check(cls, result: dict) -> dict:
        """{name: {"target": wording, "met": True/False, or None when not measured}}."""
        return {name: {"target": wording, "met": None if result.get(name) is None else bool(test(result))}
                for name, (test, wording) in cls.RULES.items()}


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(result: dict) -> str:
    details = result["details"]
    targets = details["targets"]
    scales = details["scales"]
    lines = [f"Benchmark: {scales['small']:,} and {scales['large']:,} documents "
             f"({details['machine']['nproc']} CPU {details['machine']['cpu']}, {details['machine']['ram_gb']} GB), "
             f"{details['seconds']} s", ""]
    lines.append(f"{'measure':<24}{'value':>14}  target")
    for key in ("transition_per_s_1", "transition_per_s_4", "raw_per_s_1", "transition_ratio", "transition_queries",
                "raw_same_per_s_1", "transition_overhead_ratio", "naive_fsm_per_s_1", "transition_vs_naive",
                "sign_in_hash_ms", "page_growth", "max_queries_per_page", "sweep_growth", "launch_s", "launch_queries",
                "reminders_per_s", "load_rps",
                "load_p95_ms", "load_errors", "load_users_at_slo", "load_rps_at_slo"):
        target = targets.get(key)
        verdict = "" if target is None else f"{target['target']}  " + {True: "met", False: "MISSED", None: "-"}[
            target["met"]]
        lines.append(f"{key:<24}{_fmt(result[key]):>14}  {verdict}")
    lines += ["", f"{'page':<32}{'small ms':>10}{'large ms':>10}{'growth':>8}{'queries':>9}"]
    for name, page in result["pages"].items():
        lines.append(f"{name:<32}{page['small_ms']:>10}{page['large_ms']:>10}{page['growth']:>8}"
                     f"{page['small_queries']:>4} /{page['large_queries']:>3}")
    if details.get("sweep"):
        s = details["sweep"]
        lines.append(f"\nsweep ({s['due']} due): {s['small_ms']} ms small, {s['large_ms']} ms large, "
                     f"{s['small_queries']}/{s['large_queries']} queries")
    if details.get("reminders"):
        m = details["reminders"]
        lines.append(f"reminders: {m['sent']:,} of {m['reminders']:,} sent by {m['workers']} worker processes in "
                     f"{m['seconds']} s, {m['received']:,} messages received, {m['duplicates']} twice")
    if details.get("load"):
        ld = details["load"]
        lines.append(f"load: {ld['requests']:,} requests, {ld['conflicts']} conflicts (409), {ld['refused']} refused; "
                     f"stopped by {ld['stopped_by'] or '-'}")
        for step in ld["steps"]:
            lines.append(f"  {step['users']:>4} staff: {step['rps']:>6} requests/s, p50 {_fmt(step['p50_ms'])} ms, "
                         f"p95 {_fmt(step['p95_ms'])} ms, {step['errors']} errors")
        for name, page in (result.get("load_pages_at_slo") or {}).items():
            lines.append(f"  at {ld['users_at_slo']} staff, {name}: server {_fmt(page['server_median_ms'])} ms "
                         f"(p95 {_fmt(page['server_p95_ms'])}), CPU {_fmt(page['server_cpu_ms'])} ms")
    if result["notes"]:
        lines += ["", "notes:"] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines)
