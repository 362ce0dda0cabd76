"""Celery tasks of the engine: thin, each calls one service."""

from celery import shared_task

from . import idempotency


@shared_task(name="workflow.tasks.idempotency_keys_expire")
def idempotency_keys_expire() -> int:
    return idempotency.idempotency_keys_expire()
