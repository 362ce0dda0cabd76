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


class WorksHere:
    """The API's default permission: a signed-in person who works here (a current membership or
    delegation, or a system administrator), as for the admin. A token outlives nothing: once a
    person's last membership ends, every request with it is refused (403) until they have one."""

    message = ("Your account has no current membership in any organization: it may not use the API. "
               "Ask your organization's administrator.")

    def has_permission(self, request, view) -> bool:
        from organizations.authority import is_staff_member

        return bool(request.user and request.user.is_authenticated and is_staff_member(request.user))

    def has_object_permission(self, request, view, obj) -> bool:
        return True
