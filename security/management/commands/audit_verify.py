"""Walk the audit trail's hash chain (security/trail.py) and name every event that breaks it."""

from django.core.management.base import BaseCommand, CommandError

from security.models import AuditEvent
from security.trail import Break, chain_breaks


class Command(BaseCommand):
    help = ("Check the audit trail's hash chain from the first event to the last: prints what it checked and "
            "the last hash (keep it elsewhere to detect a rewritten chain later); exits non-zero naming the "
            "first event that was changed, removed or written around the chain.")

    def handle(self, *args, **options):
        events = (AuditEvent.objects.order_by("pk")
                  .only("pk", "at", "action", "user_id", "username", "ip_address", "user_agent", "object_type",
                        "object_id", "description", "detail", "previous_hash", "hash")
                  .iterator(chunk_size=2000))
        breaks: list[Break] = []
        checked = 0
        for found in chain_breaks(events):
            if isinstance(found, Break):
                breaks.append(found)
                self.stderr.write(str(found))
            else:
                checked = found
        bounds = AuditEvent.objects.order_by("pk").values_list("pk", "hash")
        first, last = bounds.first(), bounds.last()
        span = f" (#{first[0]} to #{last[0]})" if first else ""
        self.stdout.write(f"audit trail: checked {checked} events{span}, {len(breaks)} broken")
        if breaks:
            raise CommandError(f"the audit trail's chain is broken at {breaks[0]}"
                               + (f"; {len(breaks) - 1} more broken after it" if len(breaks) > 1 else ""))
        if last:
            self.stdout.write(f"chain intact; last hash {last[1]} (event #{last[0]})")
        else:
            self.stdout.write("chain intact (no events yet)")
