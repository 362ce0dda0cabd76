"""Each audit event carries a hash chained to the one before it. Events written before this
migration are chained here, in primary-key order, by the owner of the table (the append-only
trigger is set aside for exactly this statement and restored in the same transaction)."""

import django.utils.timezone
from django.db import migrations, models

from security.trail import CHAIN_LOCK, GENESIS, chain_hash

TABLE = "security_auditevent"
TRIGGER = "security_auditevent_append_only"


# The chain's head, read under the chain's lock in one statement (security.trail.chain_append).
# VOLATILE: the SELECT takes its snapshot after the lock is granted, so it sees the event the
# previous holder committed.
HEAD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_chain_head() RETURNS TABLE(hash varchar) AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    RETURN QUERY SELECT e.hash FROM security_auditevent e ORDER BY e.id DESC LIMIT 1;
END;
$$ LANGUAGE plpgsql VOLATILE;
"""


def head_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_FUNCTION)


def head_function_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_chain_head()")


def seal(apps, schema_editor):
    AuditEvent = apps.get_model("security", "AuditEvent")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    previous = GENESIS
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        event.previous_hash = previous
        event.hash = chain_hash(event, previous)
        AuditEvent.objects.filter(pk=event.pk).update(previous_hash=event.previous_hash, hash=event.hash)
        previous = event.hash
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0003_profile_certificate_identity"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64,
                                   help_text="The hash of the event before this one (64 zeros for the first)."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64,
                                   help_text="SHA-256 of this event's content and the previous event's hash."),
            preserve_default=False,
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
        migrations.RunPython(head_function, head_function_drop),
    ]
