"""Prometheus metrics: django-prometheus's (requests by view and status, latencies, exceptions,
migrations) and the product's own gauges, read from the database when scraped.

The product's gauges come from a collector that runs a fixed number of aggregate queries (five)
on the indexes of the tables, whatever their size:

- ``campaign_taskers_open{state, late}``: open taskers (open, acknowledged), late = past suspense;
- ``campaign_reminder_outbox{status}``: reminders not finished (scheduled, sending, uncertain);
- ``campaign_reminder_outbox_due`` and ``campaign_reminder_outbox_oldest_due_seconds``: reminders
  due and not yet handed to a worker, and how long the oldest has waited (the readiness check's
  outbox lag);
- ``campaign_transitions_last_minute``: workflow transitions recorded in the last 60 seconds.

Access: ``/metrics`` answers only ``Authorization: Bearer <METRICS_TOKEN>`` (compared in constant
time); without the setting, or with another token, it is a 404, as if it did not exist. The TLS
proxy (compose) does not route it at all: Prometheus scrapes the web containers on the internal
network, and in Kubernetes a NetworkPolicy admits only the monitoring namespace to that port.
"""

from __future__ import annotations

import datetime
import hmac

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily


class ProductCollector:
    """The product's gauges (see the module's docstring); read at each scrape."""

    def collect(self):
        from reminders.selectors import outbox_backlog, outbox_by_status
        from workflow.selectors import open_taskers_by_state_and_lateness, transitions_since

        now = timezone.now()
        taskers = GaugeMetricFamily("campaign_taskers_open", "Open taskers by state and lateness (past suspense)",
                                    labels=["state", "late"])
        for (state, late), count in sorted(open_taskers_by_state_and_lateness().items()):
            taskers.add_metric([state, "true" if late else "false"], count)
        yield taskers

        outbox = GaugeMetricFamily("campaign_reminder_outbox", "Reminders not yet finished, by status",
                                   labels=["status"])
        for status, count in sorted(outbox_by_status().items()):
            outbox.add_metric([status], count)
        yield outbox

        waiting, age = outbox_backlog(now=now)
        yield GaugeMetricFamily("campaign_reminder_outbox_due",
                                "Reminders due and not yet handed to a worker", value=waiting)
        yield GaugeMetricFamily("campaign_reminder_outbox_oldest_due_seconds",
                                "Seconds the oldest reminder due and not yet handed to a worker has waited",
                                value=age)
        yield GaugeMetricFamily("campaign_transitions_last_minute", "Workflow transitions in the last 60 seconds",
                                value=transitions_since(now - datetime.timedelta(seconds=60)))


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_view(request):
    """django-prometheus's registry (per process) followed by the product's gauges (per database)."""
    if not metrics_allowed(request):
        raise Http404
    product = prometheus_client.CollectorRegistry(auto_describe=False)
    product.register(ProductCollector())
    body = prometheus_client.generate_latest(prometheus_client.REGISTRY) + prometheus_client.generate_latest(product)
    response = HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
