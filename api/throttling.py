"""User and anonymous rate limits that read REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on every
request (DRF's own classes freeze the rates at import, so a changed setting would be ignored)."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserRateThrottle(_LiveRate, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_LiveRate, throttling.AnonRateThrottle):
    pass
