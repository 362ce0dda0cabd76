"""The admin's last edge for a database lock failure that no service turned into a conflict
(``workflow.exceptions.lock_conflict``): a 409 page saying what happened, never a server error.
The API answers the same failure in ``api.problems``."""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpResponse
from django.utils.html import format_html

from .exceptions import lock_conflict


class LockConflictMiddleware:
    """A deadlock, serialization failure or lock timeout raised by a view is answered 409 with
    the conflict's reasons: nothing was saved, and the same request may succeed again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        conflict = lock_conflict(exception)
        if conflict is None:
            return None
        body = format_html("<!doctype html><title>Conflict</title><h1>Conflict</h1><p>{}</p>"
                           "<p>Go back to the page, reload it and try again.</p>", " ".join(conflict.reasons))
        return HttpResponse(body, status=409)
