"""Rich text of a plan's sections: HTML cleaned to a small set of tags, and the portion mark at
the head of each paragraph ("(U) ...", "(CUI) ...", "(S//REL) ...") read and checked against the
marking of the section that holds it.

Cleaning uses nh3 (the maintained binding of the Rust ammonia sanitizer)."""

from __future__ import annotations

import re

import nh3

from security.markings import RANK

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote",
                "table", "thead", "tbody", "tr", "th", "td", "a"}


def sanitize_html(text: str) -> str:
    """``text`` with only the allowed tags (no scripts, styles, event handlers or attributes but a
    safe link address); plain text comes back with ``<``, ``>`` and ``&`` escaped."""
    if not text:
        return ""
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes={"a": {"href"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


PORTION_MARK = re.compile(r"^\s*\((U|CUI|C|S|TS)(//[A-Z0-9 ,/-]+)?\)")
_PARAGRAPHS = re.compile(r"<(?:p|li|h3|h4|td|th|blockquote)>(.*?)</(?:p|li|h3|h4|td|th|blockquote)>", re.S)
_TAG = re.compile(r"<[^>]+>")


def paragraphs(html: str) -> list[str]:
    """The text of each paragraph (a block element, or a line of plain text)."""
    blocks = [_TAG.sub("", block) for block in _PARAGRAPHS.findall(html)]
    if blocks:
        return [b for b in blocks if b.strip()]
    return [line for line in _TAG.sub("", html).splitlines() if line.strip()]


def portion_marks_refusal(html: str, *, level: str) -> str | None:
    """Why the paragraphs' portion marks may not stand in a portion marked ``level``: a mark above
    it (the section's marking, which the plan's banner reaches, is the ceiling); None when they may.
    Paragraphs without a mark carry the section's own."""
    above = []
    for text in paragraphs(html):
        match = PORTION_MARK.match(text)
        if match and RANK[match.group(1)] > RANK[level]:
            above.append(f"({match.group(1)}{match.group(2) or ''})")
    if not above:
        return None
    return (f"A paragraph is marked {', '.join(sorted(set(above)))}, above the section's marking ({level}): "
            "raise the section's classification or correct the paragraph's mark.")
