"""Domain exceptions of the reminders app, translated once at the edge."""


class DeliveryFailed(Exception):
    """The mail system did not take a message; the reminder is retried later."""
