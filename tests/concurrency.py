"""Many clients at one instant, as the concurrency tests need them: each in its own thread with
its own database connection, released together by a barrier."""

from __future__ import annotations

import threading

from django.db import connection


def at_once(count: int, action, *, timeout: float = 60) -> list:
    """Run ``action()`` in ``count`` threads that start together. Returns what each call returned,
    in the order they finished; a call that raised gives its exception instead, so a test can
    count every outcome and none is lost."""
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run():
        try:
            barrier.wait(timeout=timeout)
            outcomes.append(action())
        except Exception as exc:  # noqa: BLE001 (handed to the test, which asserts on it)
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
