"""Per module: how many of the given mutants (names or patterns) were killed, survived, timed
out, had no test or were not checked, from ``mutmut results --all true``; then the survivors."""

from __future__ import annotations

import collections
import fnmatch
import subprocess
import sys


def main(targets: list[str]) -> None:
    listing = subprocess.run([sys.executable, "tests/mutation/mutmut_cli.py", "results", "--all", "true"],
                             capture_output=True, text=True, check=True).stdout
    exact = set(targets)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    survivors = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" not in name:
            continue
        if name not in exact and not any(fnmatch.fnmatch(name, t) for t in targets):
            continue
        module = name.split(".x")[0]
        counts[module][status] += 1
        if status == "survived":
            survivors.append(name)
    columns = ["killed", "survived", "timeout", "no tests", "not checked"]
    print(f"{'module':28} {'mutants':>7} " + " ".join(f"{c:>11}" for c in columns))
    total = collections.Counter()
    for module in sorted(counts):
        total.update(counts[module])
        print(f"{module:28} {sum(counts[module].values()):>7} " + " ".join(f"{counts[module][c]:>11}" for c in columns))
    print(f"{'total':28} {sum(total.values()):>7} " + " ".join(f"{total[c]:>11}" for c in columns))
    for name in survivors:
        print("survived:", name)


if __name__ == "__main__":
    main(sys.argv[1:])
