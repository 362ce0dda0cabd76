"""What the admin's search boxes (its autocompletes) offer a signed-in client."""

from __future__ import annotations

from django.urls import reverse


def autocomplete_texts(client, source: str, field: str, term: str = "", app_label: str = "planning") -> list[str]:
    """What the admin's search box of ``source.field`` offers for ``term`` (every page of it)."""
    texts, page = [], 1
    while True:
        answer = client.get(
            reverse("admin:autocomplete"),
            {"app_label": app_label, "model_name": source, "field_name": field, "term": term, "page": page},
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        texts += [result["text"] for result in body["results"]]
        if not body["pagination"]["more"]:
            return texts
        page += 1
