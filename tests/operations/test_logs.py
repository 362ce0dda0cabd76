"""Structured logs (config/logs.py, django-structlog): one JSON object per line with the request id,
and the same request id on the log lines of the Celery tasks the request sent."""

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import structlog

from tests.test_compose import ROOT


def test_a_request_logs_json_lines_carrying_its_request_id(tmp_path):
    request_id = str(uuid.uuid4())
    code = ("import django; django.setup(); from django.test import Client; "
            f"Client().get('/no-such-page/', HTTP_X_REQUEST_ID='{request_id}')")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_FORMAT": "json",
                   "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    finished = [line for line in lines if line["event"] == "request_finished"]
    assert len(finished) == 1
    assert finished[0]["request_id"] == request_id
    assert finished[0]["code"] == 404 and finished[0]["level"] == "warning"
    assert finished[0]["request"] == "GET /no-such-page/"
    assert finished[0]["logger"] == "django_structlog.middlewares.request" and finished[0]["timestamp"].endswith("Z")


def test_an_unknown_log_format_is_refused_with_the_choices():
    from django.core.exceptions import ImproperlyConfigured

    from config.logs import logging_settings

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be json or plain, not 'xml'"):
        logging_settings("xml", "INFO")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_during_a_request_logs_with_that_requests_id(celery_worker, caplog):
    from config.celery_app import health_check

    request_id = str(uuid.uuid4())
    # INFO is captured until the worker's line is in: it logs the success after the task is sent,
    # when the sending block has long ended. Only this task's lines count (other tasks, such as the
    # notices sent on commit, may run on the same worker).
    with caplog.at_level("INFO"):
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            result = health_check.delay("traced")
        assert result.get(timeout=60) == {"token": "traced", "database": True}
        # The worker stores the result, then logs the success: wait for the line (bounded).
        deadline = time.monotonic() + 20
        while True:
            events = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
            succeeded = [event for event in events
                         if event.get("event") == "task_succeeded" and event.get("task_id") == result.id]
            if succeeded or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    enqueued = [event for event in events
                if event.get("event") == "task_enqueued" and event.get("child_task_id") == result.id]
    assert enqueued and all(event["request_id"] == request_id for event in enqueued)
    assert succeeded, [(event.get("event"), event.get("task_id") or event.get("child_task_id")) for event in events]
    assert succeeded[-1]["request_id"] == request_id
