"""A memo that lives for one request: reads that many parts of one page need (which
organizations the signed-in user acts for, in which roles) run once per request instead of
once per panel, permission check and list.

Outside a request (Celery tasks, management commands, services called directly) nothing is
memoized: every call reads the database. Writes that change what is memoized (memberships,
delegations) clear the memo of the request making them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


class RequestCacheMiddleware:
    """Opens the memo for the request and drops it when the response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def request_memo(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per request for ``key``; every time outside a request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@contextmanager
def memo_scope() -> Iterator[None]:
    """A memo for one unit of work outside a request (a batch of notices raised in one
    transaction, by a Celery task): each person's memberships and roles are read once for the
    batch, not once per notice. Inside a request the request's memo serves already. Writes that
    change what is memoized clear it, as in a request."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def request_memo_get(key: Hashable, default=None):
    """What the request memoized for ``key`` (``default`` if nothing, or outside a request)."""
    memo = _memo.get()
    return default if memo is None else memo.get(key, default)


def request_memo_store(key: Hashable, value) -> None:
    """Remember ``value`` for ``key`` for the rest of the request (nothing outside a request)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def request_memo_active() -> bool:
    """Whether a request's memo is open (the code runs inside a request)."""
    return _memo.get() is not None


def request_memo_clear(*_args, **_kwargs) -> None:
    """Forget what this request memoized (a signal receiver: connected to the writes that
    change it)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()
