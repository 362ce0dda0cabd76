"""The admin page of a routed document, as lists and the inbox link to it."""

from __future__ import annotations

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_CHANGE_URLS: dict[tuple, tuple[str, str] | None] = {}


def change_url(content_type, object_id: int) -> str | None:
    """The admin change page of a document, the URL reversed once per kind (a list draws many)."""
    key = (content_type.app_label, content_type.model, get_urlconf(), get_script_prefix())
    if key not in _CHANGE_URLS:
        try:
            head, tail = reverse(f"admin:{key[0]}_{key[1]}_change", args=[0]).rsplit("/0/", 1)
            _CHANGE_URLS[key] = (head, tail)
        except NoReverseMatch:
            _CHANGE_URLS[key] = None
    parts = _CHANGE_URLS[key]
    return None if parts is None else f"{parts[0]}/{int(object_id)}/{parts[1]}"
