"""Who may see what, in one place: clearance at or above the level, release to the person's
country when the document is REL TO or NOFORN. Need-to-know (membership, tasking, reviewing
authority) is the owning app's selector, which combines it with ``marking_q``. Every list,
page, search, export, notification, e-mail, API response and report goes through them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from .markings import CLASSIFIED, ClassificationLevel, Marking, levels_up_to


@dataclass(frozen=True)
class Access:
    clearance: str
    citizenship: str


# Not signed in: nothing at all.
NO_ACCESS = Access(clearance="", citizenship="")
# Signed in without a security profile (nobody has vetted them yet): no clearance and no
# nationality, so only what is releasable to anyone: UNCLASSIFIED, neither NOFORN nor REL TO.
NO_CLEARANCE = Access(clearance=ClassificationLevel.UNCLASSIFIED, citizenship="")


def access_of(user) -> Access:
    """The person's clearance and citizenship (no profile: ``NO_CLEARANCE`` until an
    administrator sets one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_ACCESS
    cached = getattr(user, "_security_access", None)
    if cached is not None:
        return cached
    from .models import SecurityProfile

    profile = SecurityProfile.objects.filter(user_id=user.pk).only("clearance", "citizenship").first()
    return access_remember(user, profile)


def access_remember(user, profile) -> Access:
    """Keep the access of ``profile`` (None: no profile) on ``user`` for the rest of the request."""
    access = Access(profile.clearance, profile.citizenship.code) if profile else NO_CLEARANCE
    user._security_access = access
    return access


def may_see(user, marking: Marking) -> bool:
    access = access_of(user)
    if not access.clearance or marking.level not in levels_up_to(access.clearance):
        return False
    if access.citizenship == "US":
        return True
    if marking.noforn:
        return False
    if marking.rel_to:
        return access.citizenship in marking.rel_to
    return marking.level not in CLASSIFIED


def marking_q(user, model, prefix: str = "") -> Q:
    """A filter for ``model`` (which has the marking fields) keeping what ``user`` may see."""
    access = access_of(user)
    if not access.clearance:
        return Q(pk__in=[])
    if access.citizenship == "US" and access.clearance == ClassificationLevel.TOP_SECRET:
        return Q()  # cleared for every level and every release: no filter for the planner to carry
    q = Q(**{f"{prefix}classification__in": levels_up_to(access.clearance)})
    if access.citizenship == "US":
        return q
    through = model._meta.get_field("rel_to").remote_field.through
    source = model._meta.get_field("rel_to").m2m_field_name()
    released = through.objects.filter(**{source: OuterRef(f"{prefix}pk" if prefix else "pk"),
                                         "country__code": access.citizenship})
    any_release = through.objects.filter(**{source: OuterRef(f"{prefix}pk" if prefix else "pk")})
    return q & Q(**{f"{prefix}noforn": False}) & (
        Exists(released) | (~Exists(any_release) & ~Q(**{f"{prefix}classification__in": CLASSIFIED}))
    )
