"""Prometheus metrics (config/metrics.py): access by token only, django-prometheus's request
metrics, and the product's gauges computed from the database."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reminders.models import Reminder, ReminderStatus
from workflow.models import HistoryEntry, TaskerState

TOKEN = "metrics-test-token"


def scrape(token=TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get("/metrics", **headers)


def gauge(body: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{name}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{name} (\S+)$"
    match = re.search(pattern, body, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


@pytest.mark.parametrize("configured, sent", [("", None), ("", "anything"), (TOKEN, None), (TOKEN, "wrong"),
                                              (TOKEN, TOKEN.upper())])
def test_metrics_are_a_404_without_the_right_token(db, settings, configured, sent):
    settings.METRICS_TOKEN = configured
    response = scrape(sent)
    assert response.status_code == 404
    assert b"campaign_" not in response.content


def test_metrics_with_the_token_carry_request_counts_and_the_products_gauges(db, settings):
    settings.METRICS_TOKEN = TOKEN
    Client().get("/admin/login/")
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert re.search(r'^django_http_responses_total_by_status_view_method_total\{method="GET",status="200",'
                     r'view="admin:login"\} [1-9]', body, re.MULTILINE)
    for name in ("campaign_taskers_open", "campaign_reminder_outbox", "campaign_reminder_outbox_due",
                 "campaign_reminder_outbox_oldest_due_seconds", "campaign_transitions_last_minute"):
        assert f"# TYPE {name} gauge" in body


@pytest.mark.postgres
def test_the_gauges_count_open_taskers_by_lateness_the_outbox_and_recent_transitions(world, settings):
    settings.METRICS_TOKEN = TOKEN
    today = timezone.localdate()
    on_time = [world.tasker(suspense=today + datetime.timedelta(days=20)) for _ in range(2)]
    late = world.tasker(suspense=today + datetime.timedelta(days=20))
    acknowledged = world.tasker(suspense=today + datetime.timedelta(days=20))
    from workflow.models import Tasker

    # Dates moved in the database (a tasker cannot be issued with a past suspense).
    Tasker.objects.filter(pk=late.pk).update(suspense=today - datetime.timedelta(days=3))
    Tasker.objects.filter(pk=acknowledged.pk).update(state=TaskerState.ACKNOWLEDGED)
    Tasker.objects.filter(pk=on_time[1].pk).update(state=TaskerState.ANSWERED)  # closed: not counted
    scheduled = Reminder.objects.filter(status=ReminderStatus.SCHEDULED, digest=False)
    total = scheduled.count()
    overdue = list(scheduled.filter(tasker=late).values_list("pk", flat=True))
    Reminder.objects.filter(pk__in=overdue).update(due_at=timezone.now() - datetime.timedelta(minutes=30))
    Reminder.objects.filter(pk=scheduled.exclude(pk__in=overdue).first().pk).update(status=ReminderStatus.SENDING)
    plan_history = {"content_type_id": on_time[0].content_type_id, "object_id": world.plan.pk}
    HistoryEntry.objects.create(**plan_history, action="submit", description="t", from_state="draft",
                                to_state="coordination")
    HistoryEntry.objects.create(**plan_history, action="note", description="not a transition")
    HistoryEntry.objects.create(**plan_history, action="return", description="t", from_state="review",
                                to_state="returned", at=timezone.now() - datetime.timedelta(minutes=5))

    with CaptureQueriesContext(connection) as queries:
        body = scrape().content.decode()
    assert gauge(body, "campaign_taskers_open", state="open", late="false") == 1
    assert gauge(body, "campaign_taskers_open", state="open", late="true") == 1
    assert gauge(body, "campaign_taskers_open", state="acknowledged", late="false") == 1
    assert gauge(body, "campaign_taskers_open", state="acknowledged", late="true") == 0
    assert gauge(body, "campaign_reminder_outbox", status="scheduled") == total - 1
    assert gauge(body, "campaign_reminder_outbox", status="sending") == 1
    assert gauge(body, "campaign_reminder_outbox_due") == len(overdue) > 0
    assert 30 * 60 <= gauge(body, "campaign_reminder_outbox_oldest_due_seconds") < 31 * 60
    assert gauge(body, "campaign_transitions_last_minute") == 1
    product_queries = [q for q in queries.captured_queries if "django_session" not in q["sql"]]
    assert len(product_queries) == 4, "a fixed number of aggregate queries, whatever the tables hold"
