"""What the engine tells the apps above it (which it does not import)."""

from django.dispatch import Signal

taskers_closed = Signal()
"""Sent with ``taskers`` (a list) after the engine closed them (answered, cancelled) in one
UPDATE, which sends no ``post_save``: receivers bring what depends on them in line (the
reminders app cancels what is still scheduled for them)."""

suspense_moved = Signal()
"""Sent with ``tasker``, ``document``, ``previous`` (the date it had), ``by`` and ``reason``
inside the transaction that moved the tasker's suspense: receivers tell whoever works the
tasker (the reminders app writes an in-app notification)."""

history_appended = Signal()
"""Sent with ``entries`` (the saved ``HistoryEntry`` rows) inside the transaction that appended
them to the documents' history (``workflow.services.history_append``): every event of every
kind of document passes here once. Receivers record what they must act on once the change
commits (the reminders app records the events people are told of)."""

taskers_issued = Signal()
"""Sent with ``taskers`` (a list, saved) inside the transaction that issued them in bulk
(``workflow.services.taskers_issue_bulk``, which sends no ``post_save``): receivers record what
they must tell the people who answer them."""
