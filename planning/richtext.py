"""Rich text of a plan's sections: HTML cleaned to a small set of tags, and the portion mark at
the head of each paragraph ("(U) ...", "(CUI) ...", "(S//REL) ...") read and checked against the
marking of the section that holds it.

Cleaning uses nh3 (the maintained Rust ammonia binding) when it is installed; otherwise a strict
allow-list built on the standard library's parser, which keeps the same tags and no attributes but
a link's http(s)/mailto address."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from security.markings import RANK

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote",
                "table", "thead", "tbody", "tr", "th", "td", "a"}
ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}
_VOID = {"br"}

try:  # pragma: no cover - depends on the installation
    import nh3
except ImportError:  # pragma: no cover
    nh3 = None


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROPPED_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED_TAGS:
            return
        if tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), "")
            if href.strip().lower().startswith(ALLOWED_SCHEMES):
                self.out.append(f'<a href="{escape(href.strip(), quote=True)}" rel="noopener noreferrer">')
            else:
                self.out.append("<a>")
        else:
            self.out.append(f"<{tag}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in _VOID and not self.skipping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag in _DROPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:  # close what was left open inside it
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitize_html(text: str) -> str:
    """``text`` with only the allowed tags (no scripts, styles, event handlers or attributes but a
    safe link address); plain text comes back with ``<``, ``>`` and ``&`` escaped."""
    if not text:
        return ""
    if nh3 is not None:  # pragma: no cover - depends on the installation
        return nh3.clean(text, tags=ALLOWED_TAGS, attributes={"a": {"href"}},
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    cleaner = _Cleaner()
    cleaner.feed(text)
    return cleaner.result()


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
