"""Celery tasks of the assessment cycle: thin, each calls one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, name="assessments.cycle_launch")
def cycle_launch(self, cycle_id: int, user_id: int | None = None) -> int:
    from django.contrib.auth import get_user_model

    from . import services
    from .models import AssessmentCycle

    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return services.cycle_launch(cycle=AssessmentCycle.objects.get(pk=cycle_id), by=by, task_id=self.request.id or "")
