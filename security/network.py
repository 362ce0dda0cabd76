"""Where a request comes from. One answer for the lockout (django-axes), the audit trail and
smart-card sign-in, so what the audit records is the address the lockout counted."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(text: str) -> str | None:
    """``text`` as a normalized IP address, or None. Accepts ``a.b.c.d:port`` and ``[v6]:port``
    as some proxies write them."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The address of the person's computer. With ``TRUSTED_PROXY_COUNT`` = N reverse proxies in
    front of the application, each appending the address it received the request from to
    ``X-Forwarded-For``, the client is the N-th entry from the right; entries further left were
    written by the client and are never believed. N = 0 (the default): the connection's own
    address, ``REMOTE_ADDR``, and the header is ignored."""
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR", "") or "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if not forwarded:
        return remote
    # Fewer entries than proxies: the nearest proxies received it directly; the leftmost is the client.
    return _address(forwarded[-min(proxies, len(forwarded))]) or remote


def address_in(address: str | None, networks) -> bool:
    """Whether ``address`` is one of ``networks`` (addresses or CIDR ranges, e.g. ``10.0.0.0/8``)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False
