"""Container health probes (docker-compose.yml and k8s/ run them): standard library only, so a
probe costs a fraction of a second and never imports Django.

    python -m config.probe http /health/ready/       # 0 when the web server answers 2xx
    python -m config.probe file-age PATH SECONDS      # 0 when PATH (or PATH.*) changed within SECONDS

``http`` asks 127.0.0.1:$PORT (8000) as the TLS proxy would: the Host is the first of
ALLOWED_HOSTS and ``X-Forwarded-Proto: https``, so neither host validation nor the HTTPS redirect
of the production profile stands in the way. ``file-age`` watches Celery beat's schedule file,
which beat rewrites every few minutes while it runs (the shelve may add a suffix: .db, .dat).
"""

from __future__ import annotations

import glob
import http.client
import os
import sys
import time


def http_ok(path: str, *, port: int | None = None, timeout: float = 10) -> tuple[bool, str]:
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if host.strip()]
    host = next((name for name in hosts if not name.startswith(".") and name != "*"), "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", port or int(os.environ.get("PORT", "8000")), timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https",
                                                 "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read(2000).decode("utf-8", "replace")
    except OSError as error:
        return False, f"{path}: {error}"
    finally:
        connection.close()
    return 200 <= response.status < 300, f"{path}: {response.status} {body}"


def file_age(path: str) -> float | None:
    """Seconds since ``path`` or any ``path.*`` last changed; None when none exists."""
    times = [os.path.getmtime(name) for name in [path, *glob.glob(glob.escape(path) + ".*")] if os.path.exists(name)]
    return time.time() - max(times) if times else None


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "http":
        ok, detail = http_ok(argv[1])
        print(detail)
        return 0 if ok else 1
    if len(argv) == 3 and argv[0] == "file-age":
        age, limit = file_age(argv[1]), float(argv[2])
        if age is None:
            print(f"{argv[1]} does not exist")
            return 1
        print(f"{argv[1]} changed {age:.0f} s ago (limit {limit:.0f} s)")
        return 0 if age <= limit else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
