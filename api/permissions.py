"""Who may see and revoke API tokens (``organizations.authority``): a person's tokens are their
own; a system administrator may also revoke anyone's (an account that left, a token leaked).
Tokens are issued by ``manage.py issue_api_token``, never in a form."""

from __future__ import annotations

from knox.models import AuthToken
from rules import Predicate

from organizations.authority import declare, is_staff_member, is_system_administrator


def _own_token(user, token=None) -> bool:
    return bool(is_staff_member(user) and (token is None or token.user_id == user.pk))


def register() -> None:
    own_or_administrator = Predicate(_own_token, name="own_token") | is_system_administrator
    declare(AuthToken, view=own_or_administrator, delete=own_or_administrator)
