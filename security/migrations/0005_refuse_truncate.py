"""TRUNCATE skips row triggers: a statement-level trigger refuses it on the audit trail, the
document history and django-fsm-log's state log; the state log also refuses UPDATE and DELETE,
like the other two since migration 0002. The function is 0002's ``refuse_audit_rewrite``.

The state log is no longer kept (migration 0009 drops it, with why): where django-fsm-log was
never installed, or is no longer, it is skipped here."""

from django.db import migrations

APPEND_ONLY = ("security_auditevent", "workflow_historyentry", "django_fsm_log_statelog")
NEWLY_APPEND_ONLY = ("django_fsm_log_statelog",)


def _existing(schema_editor, tables):
    return [table for table in tables if table in schema_editor.connection.introspection.table_names()]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _existing(schema_editor, NEWLY_APPEND_ONLY):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_rewrite()")
    for table in _existing(schema_editor, APPEND_ONLY):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_rewrite()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _existing(schema_editor, APPEND_ONLY):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in _existing(schema_editor, NEWLY_APPEND_ONLY):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0004_audit_hash_chain"),
        ("workflow", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
