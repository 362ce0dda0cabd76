"""User and anonymous rate limits, counted in the shared cache so that a limit holds across web
workers (Redis in production, settings.CACHES).

DRF's own throttles keep a list of request times per client and write it back after reading it:
two workers answering at the same moment both read the same list and one write is lost, so more
requests pass than the rate allows. Here each window has one counter, created with ``add`` and
raised with ``incr``, both atomic in Redis: however many workers count, exactly the allowed number
of requests pass in a window. The rates are read on every request (DRF's classes freeze them at
import, so a changed setting would be ignored)."""

from __future__ import annotations

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

from security.network import client_address


class _SharedWindowCount:
    """A fixed window of ``duration`` seconds per client: its counter expires with the window."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    @property
    def cache(self):
        return caches["default"]  # per thread, as Django hands out cache connections

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        cache = self.cache
        for _ in range(2):
            cache.add(key, 0, timeout=self.duration + 1)
            try:
                count = cache.incr(key)
                break
            except ValueError:  # expired between add and incr: start the window's counter again
                continue
        else:
            return True
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self.window_ends - self.now)

    def get_ident(self, request):
        # DRF's own reads the whole X-Forwarded-For (the client's to write) unless NUM_PROXIES is
        # set; the address the lockout and the audit use is read through the trusted proxies only.
        return client_address(request) or ""


class UserRateThrottle(_SharedWindowCount, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_SharedWindowCount, throttling.AnonRateThrottle):
    pass
