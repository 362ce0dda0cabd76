"""On PostgreSQL, the audit trail and the document history refuse UPDATE and DELETE at the
database itself: not even a bug or a shell session in the application can rewrite them."""

from django.db import migrations

TABLES = ("security_auditevent", "workflow_historyentry")

FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_audit_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit records are append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_rewrite()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS refuse_audit_rewrite()")


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_initial"),
        ("workflow", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
