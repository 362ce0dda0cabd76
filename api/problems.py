"""The API's one translation of errors into RFC 9457 problem details (application/problem+json).

Domain refusals raised by the services (``workflow.exceptions``) and DRF's own errors all end
here, so a client sees the same shape for every failure: ``type``, ``title``, ``status``,
``detail``, plus ``errors`` (field -> messages) for invalid input and ``reasons`` (the same
sentences as the admin) for a refusal. A database lock failure (deadlock, serialization
failure, lock timeout) is a conflict. Anything not listed is a bug and stays a 500."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from workflow.exceptions import (
    ActionRefused,
    Conflict,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
    UnknownTransition,
    WorkflowError,
    lock_conflict,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        return f"/api/problems/{self.slug}/"


PROBLEM_TYPES = {p.slug: p for p in (
    ProblemType("invalid-input", "Invalid input", 400,
                "The request is incomplete or inconsistent; `errors` maps each field to its messages."),
    ProblemType("not-authenticated", "Not authenticated", 401,
                "Send `Authorization: Token <key>` (see `manage.py issue_api_token`) or sign in."),
    ProblemType("action-refused", "Action refused", 403,
                "You may not do this: you are not one of those who may (role, organization, permission), whatever "
                "the document's state; `reasons` says who may, in the same words as the admin. Repeating the "
                "request will not help; someone who may has to do it."),
    ProblemType("forbidden", "Forbidden", 403, "The request is not allowed."),
    ProblemType("not-found", "Not found", 404,
                "There is no such resource, or you may not see it (need-to-know)."),
    ProblemType("method-not-allowed", "Method not allowed", 405, "This resource does not accept that method."),
    ProblemType("not-acceptable", "Not acceptable", 406, "The API answers in JSON only."),
    ProblemType("transition-refused", "Transition refused", 409,
                "Not now: you may make this step, but the document's state or a condition does not allow it yet; "
                "`reasons` lists every one, in the admin's words. Nothing was saved."),
    ProblemType("not-now", "Not now", 409,
                "Not now: the action is not possible in the current state of the document, tasker or cycle (e.g. "
                "only a draft can be edited); `reasons` says why, in the admin's words. Nothing was saved."),
    ProblemType("conflict", "Conflict", 409,
                "Someone else changed the document since you read it; nothing was saved. Reload and retry."),
    ProblemType("unsupported-media-type", "Unsupported media type", 415, "Send application/json."),
    ProblemType("throttled", "Too many requests", 429, "Slow down; `Retry-After` says when to try again."),
    ProblemType("idempotency-key-reused", "Idempotency key reused", 422,
                "The `Idempotency-Key` was sent before with a different request (method, path or body); nothing "
                "was done. A new request needs a new key; a repeat of the first request gets its answer again."),
    ProblemType("error", "Error", 400, "The request could not be processed."),
)}


def problem_response(kind: str, detail: str, *, status_code: int | None = None, headers: dict | None = None,
                     **extra) -> Response:
    problem = PROBLEM_TYPES[kind]
    status_code = status_code or problem.status
    body = {"type": problem.uri, "title": problem.title, "status": status_code, "detail": detail, **extra}
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as one map: ``objectives[0].code`` -> messages, the way the
    services name fields of nested input (``comments[0].category``)."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a list's items, by position
                name = f"{prefix}[{key}]"
            elif key == api_settings.NON_FIELD_ERRORS_KEY:
                name = prefix or str(key)
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, name).items():
                errors.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            errors.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(str(i) for i in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    for field, messages in flatten_errors(item, f"{prefix}[{index}]").items():
                        errors.setdefault(field, []).extend(messages)
    else:
        errors.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(detail))
    return errors


def _detail_from(errors: dict[str, list[str]]) -> str:
    count = len(errors)
    return f"{count} field{'s are' if count != 1 else ' is'} invalid: {', '.join(sorted(errors))}."


def _workflow_problem(exc: WorkflowError) -> Response:
    detail = " ".join(exc.reasons)
    if isinstance(exc, InvalidInput):
        errors = exc.field_errors or {api_settings.NON_FIELD_ERRORS_KEY: exc.reasons}
        return problem_response("invalid-input", detail, errors=errors)
    if isinstance(exc, UnknownTransition):
        return problem_response("not-found", detail)
    # One status for "you may not" (403) and one for "not now" (409), on every write and transition.
    if isinstance(exc, NotPermitted) or (isinstance(exc, TransitionRefused) and exc.forbidden):
        return problem_response("action-refused", detail, reasons=exc.reasons)
    if isinstance(exc, Conflict):
        return problem_response("conflict", detail, reasons=exc.reasons)
    if isinstance(exc, ActionRefused):
        return problem_response("not-now", detail, reasons=exc.reasons)
    return problem_response("transition-refused", detail, reasons=exc.reasons)


_API_EXCEPTIONS = (
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "not-authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "throttled"),
)


def problem_exception_handler(exc, context) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error the API returns goes through here."""
    if isinstance(exc, WorkflowError):
        return _workflow_problem(exc)
    if isinstance(exc, OperationalError) and lock_conflict(exc) is not None:
        # A deadlock, serialization failure or lock timeout no service retried: nothing was
        # written, and trying again may succeed. A conflict, not a server error.
        return _workflow_problem(lock_conflict(exc))
    if isinstance(exc, DjangoValidationError):
        errors = flatten_errors(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return problem_response("invalid-input", _detail_from(errors), errors=errors)
    if isinstance(exc, Http404):
        return problem_response("not-found", "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return problem_response("forbidden", "You do not have permission to perform this action.")
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return problem_response("invalid-input", _detail_from(errors), errors=errors)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        kind = next((k for cls, k in _API_EXCEPTIONS if isinstance(exc, cls)), "error")
        if kind == "not-authenticated" and exc.status_code == status.HTTP_403_FORBIDDEN:
            kind = "forbidden"
        return problem_response(kind, str(exc.detail), status_code=exc.status_code, headers=headers)
    return None
