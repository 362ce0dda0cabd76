"""The load phase's server measures itself: each response carries a ``Server-Timing`` header
with the time the request took inside the server (every middleware, the view, the template)
and the worker's CPU time for it, so the bench reports what a page costs the server apart from
what the client waited in the queue. Installed by ``benchmarks.server_settings`` only."""

from __future__ import annotations

import time


class ServerTiming:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started, cpu = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        response["Server-Timing"] = (f"app;dur={(time.perf_counter() - started) * 1000:.1f}, "
                                     f"cpu;dur={(time.thread_time() - cpu) * 1000:.1f}")
        return response
