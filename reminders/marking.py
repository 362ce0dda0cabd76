"""What an e-mail may say about a document: the one place the security work refines.

Mail systems may carry less than the application holds. Until documents carry a marking the
mail system is cleared for, a reminder names no title: a document says so itself through
``mail_may_carry_title`` (an attribute, property or method); without it the marking is
unknown and treated as CUI or higher, so the e-mail carries a generic line and a link.
"""

from __future__ import annotations


def mail_may_carry_title(document) -> bool:
    """True only when the document positively says its title may travel by e-mail."""
    if document is None:
        return False
    allowed = getattr(document, "mail_may_carry_title", None)
    if allowed is None:
        return False
    if callable(allowed):
        allowed = allowed()
    return allowed is True
