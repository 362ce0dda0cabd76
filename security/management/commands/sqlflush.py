from django.core.management.commands import sqlflush

from runtime.production_guard import refuse_in_production


class Command(sqlflush.Command):
    help = sqlflush.Command.help + " Refused under the production settings."

    def handle(self, **options):
        refuse_in_production("sqlflush", why="its statements would erase every record, the audit trail included")
        return super().handle(**options)
