"""Sign-in backends. ``ProfileModelBackend`` is Django's model backend for passwords, reading the
user with their security profile (clearance and citizenship) in one query. It answers no
permission: what a person may do is derived from who they are by the declared rules
(``organizations.authority``, served by django-rules' ``ObjectPermissionBackend``), never from
Django's hand-assigned user or group permissions."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .access import access_remember


class ProfileModelBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("security_profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        access_remember(user, getattr(user, "security_profile", None))
        return user

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        return get_user_model()._default_manager.none()


def sign_in_username(request, credentials=None):
    """The name django-axes counts a sign-in's failures under (``AXES_USERNAME_CALLABLE``): the user
    name given, as axes reads it by default, or else the identity an OpenID Connect provider vouched
    for ("<sub> at <iss>", ``request.sign_in_identity``, set by ``security.oidc.OIDCBackend``)."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username") if request is not None else None
    return username or getattr(request, "sign_in_identity", None) or username


_EDIPI = re.compile(r"^\d{10}$")
_EDIPI_IN_COMMON_NAME = re.compile(r"(?:^|[,/])\s*CN=[^,/]*\.(\d{10})\s*(?:[,/]|$)", re.IGNORECASE)


def smart_card_account(identity: str):
    """The active account an administrator mapped to a smart card's certificate: by its subject
    (exactly as the proxy sends it, case aside) or by the EDIPI, given alone or read from the end
    of the subject's common name. None when no account is mapped; never creates one."""
    identity = identity.strip()
    if not identity:
        return None
    users = get_user_model()._default_manager.filter(is_active=True)
    user = users.filter(security_profile__certificate_subject__iexact=identity).first()
    if user is None:
        if _EDIPI.match(identity):
            edipi = identity
        else:
            common_name = _EDIPI_IN_COMMON_NAME.search(identity)
            edipi = common_name.group(1) if common_name else None
        if edipi:
            user = users.filter(security_profile__edipi=edipi).first()
    return user


class SmartCardBackend(ProfileModelBackend):
    """Signs in the account mapped to a smart card's certificate (``smart_card_account``), given by
    ``security.middleware.SmartCardMiddleware`` only when a trusted proxy presented it. A superuser
    never signs in this way: a header is not enough for the account that may do anything."""

    def authenticate(self, request, smart_card_identity=None):
        if not smart_card_identity:
            return None
        user = smart_card_account(smart_card_identity)
        if user is None or user.is_superuser or not self.user_can_authenticate(user):
            return None
        return user

    def get_user(self, user_id):
        # A session begun with a card ends if its account has since been made a superuser.
        user = super().get_user(user_id)
        return None if user is not None and user.is_superuser else user
