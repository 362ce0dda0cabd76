# History entries are the notice events (issue #15: one statement fewer per transition).

from django.db import migrations, models
from django.db.models import Max, Min


def history_mark_start(apps, schema_editor):
    """History entries are now the notice events themselves: an entry not yet told (its event
    row pending) is found again by the raisers above the "history" mark, which starts below the
    first of them (or at the last entry, when none waits: what came before was told already)."""
    NoticeEvent = apps.get_model("reminders", "NoticeEvent")
    PlanningMark = apps.get_model("reminders", "PlanningMark")
    HistoryEntry = apps.get_model("workflow", "HistoryEntry")
    pending = NoticeEvent.objects.filter(history__isnull=False, processed_at__isnull=True)
    first = pending.aggregate(first=Min("history_id"))["first"]
    pending.delete()
    start = first - 1 if first is not None else (HistoryEntry.objects.aggregate(last=Max("pk"))["last"] or 0)
    PlanningMark.objects.update_or_create(name="history", defaults={"last_id": start})


class Migration(migrations.Migration):

    dependencies = [
        ('reminders', '0006_notices_of_the_engines_events'),
        ('workflow', '0008_comment_reference_and_form_drafts'),
    ]

    operations = [
        migrations.RenameField(
            model_name='planningmark',
            old_name='last_tasker_id',
            new_name='last_id',
        ),
        migrations.AddConstraint(
            model_name='noticeevent',
            constraint=models.UniqueConstraint(fields=('history',), name='notice_event_once_per_history'),
        ),
        migrations.RunPython(history_mark_start, migrations.RunPython.noop),
    ]
