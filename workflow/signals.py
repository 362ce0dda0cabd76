"""What the engine tells the apps above it (which it does not import)."""

from django.dispatch import Signal

taskers_closed = Signal()
"""Sent with ``taskers`` (a list) after the engine closed them (answered, cancelled) in one
UPDATE, which sends no ``post_save``: receivers bring what depends on them in line (the
reminders app cancels what is still scheduled for them)."""
