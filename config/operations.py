"""The operations endpoints answer before any other middleware.

Kubelet probes and Prometheus reach a pod by its address (``Host: 10.1.2.3:8000``), over plain HTTP
inside the cluster: host validation (ALLOWED_HOSTS) would answer 400 and the production profile's
HTTPS redirect 301. So the liveness, readiness and metrics URLs are served here, first in
MIDDLEWARE, by the views config/urls.py names; everything else goes through the whole stack.
What protects them is their own: the health views say only which check failed, and /metrics
answers only its bearer token (config/metrics.py).
"""

from __future__ import annotations

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.urls import Resolver404, resolve

OPERATIONS_URL_NAMES = {"health-live", "health-ready", "metrics"}
OPERATIONS_PATHS = ("/health/", "/metrics")


class OperationsEndpointsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(OPERATIONS_PATHS):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and match.url_name in OPERATIONS_URL_NAMES:
                view = async_to_sync(match.func) if iscoroutinefunction(match.func) else match.func
                return view(request, *match.args, **match.kwargs)
        return self.get_response(request)
