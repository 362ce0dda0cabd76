"""The bench's peer reference (``naive_fsm_per_s_1``): a bare django-fsm-2 transition on a
one-table model, logged as django-fsm-log logs it (one ``StateLog`` row written in the same
transaction by the ``post_transition`` signal). django-fsm-log itself is no longer among the
product's dependencies, so ``NaiveStateLog`` is its table, column for column.

Unmanaged and without migrations: the bench creates these tables in its own database
(``naive_tables_create``) and nothing else ever has them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone
from django_fsm import FSMField, post_transition, transition


class NaiveDocument(models.Model):
    title = models.CharField(max_length=300)
    state = FSMField(default="review")

    class Meta:
        app_label = "benchmarks"
        managed = False  # created by the bench in its own database only

    def __str__(self) -> str:
        return self.title

    @transition(field=state, source="review", target="approved")
    def approve(self, by=None) -> None:
        """Nothing but the state change (django-fsm-log's ``fsm_log_by`` reads ``by``)."""


class NaiveStateLog(models.Model):
    """django-fsm-log's ``StateLog``: when, by whom, from which state to which, by which
    transition, of which object."""

    timestamp = models.DateTimeField(default=timezone.now)
    # No constraints to other tables (the bench's database is dropped; tests truncate the
    # users): a log slightly cheaper than django-fsm-log's, which makes the peer, if anything,
    # faster.
    by = models.ForeignKey(settings.AUTH_USER_MODEL, blank=True, null=True, on_delete=models.SET_NULL,
                           related_name="+", db_constraint=False)
    source_state = models.CharField(max_length=255, db_index=True, blank=True)
    state = models.CharField(max_length=255, db_index=True)
    transition = models.CharField(max_length=255)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    object_id = models.PositiveIntegerField(db_index=True)
    description = models.TextField(blank=True)

    class Meta:
        app_label = "benchmarks"
        managed = False  # created by the bench in its own database only

    def __str__(self) -> str:
        return f"{self.transition}: {self.source_state} -> {self.state}"


def _log(sender, instance, name, source, target, **kwargs) -> None:
    """django-fsm-log's ``transition_callback``: one row per transition, in the caller's
    transaction."""
    NaiveStateLog.objects.create(by=kwargs.get("method_kwargs", {}).get("by"), state=target, source_state=source,
                                 transition=name, content_type=ContentType.objects.get_for_model(sender),
                                 object_id=instance.pk)


post_transition.connect(_log, sender=NaiveDocument)


def naive_tables_create() -> None:
    """The two tables in the bench's database (unmanaged: ``migrate`` leaves them out), empty:
    tables left by an earlier run (a test database kept with ``--reuse-db``, whose flush leaves
    unmanaged tables alone) are dropped first, so every run counts only its own rows."""
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (NaiveDocument, NaiveStateLog):
            if model._meta.db_table in existing:
                editor.delete_model(model)
            editor.create_model(model)
