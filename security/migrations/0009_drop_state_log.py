"""django-fsm-log's state log is no longer a trail: every transition is one row of the document's
history (``workflow.HistoryEntry``: the transition, its from and to states, who acted, for which
organization, on whose delegation), which the state log only repeated with less (no
organization, no delegation, no reason). One append-only trail per document event, each with
one audit event: the state log's table is dropped, and with it its triggers, and the records of
its migrations, so the app is gone from the database as from ``INSTALLED_APPS``. Reversing this
migration does not bring the rows back (the history holds them)."""

from django.db import migrations

TABLE = "django_fsm_log_statelog"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {TABLE}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["django_fsm_log"])


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0008_merge_records_and_oidc_identity"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
