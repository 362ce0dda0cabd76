"""factory-boy factories shared by the tests. They write rows directly (no services), so a test
can set up any state, including ones the services would refuse; tests of the rules call the
services themselves."""

import datetime

import factory
from django.contrib.auth import get_user_model

from organizations.models import (
    AreaOfResponsibility,
    Country,
    Delegation,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)

LONG_AGO = datetime.date(2020, 1, 1)
TEST_PASSWORD = "factory-password-for-tests"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(TEST_PASSWORD)
    is_active = True


class StaffUserFactory(UserFactory):
    is_staff = True


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    acronym = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.LazyAttribute(lambda org: f"Organization {org.acronym}")
    kind = OrganizationKind.OTHER


class GeographicCommandFactory(OrganizationFactory):
    acronym = factory.Sequence(lambda n: f"GCC{n}")
    name = factory.LazyAttribute(lambda org: f"Geographic command {org.acronym}")
    kind = OrganizationKind.GEOGRAPHIC_CCMD


class FunctionalCommandFactory(OrganizationFactory):
    acronym = factory.Sequence(lambda n: f"FCC{n}")
    kind = OrganizationKind.FUNCTIONAL_CCMD


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = factory.Iterator(["FR", "DE", "IT", "ES", "PL", "JP", "KR", "AU", "IN", "BR"])


class AreaOfResponsibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AreaOfResponsibility

    country = factory.SubFactory(CountryFactory)
    command = factory.SubFactory(GeographicCommandFactory)
    start = LONG_AGO
    end = None


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.ACTION_OFFICER
    is_coordinator = False
    start = LONG_AGO
    end = None


class DelegationFactory(factory.django.DjangoModelFactory):
    """A delegation with nothing behind it; give the delegator and delegate memberships too."""

    class Meta:
        model = Delegation

    organization = factory.SubFactory(OrganizationFactory)
    role = Role.APPROVER
    delegator = factory.SubFactory(UserFactory)
    delegate = factory.SubFactory(UserFactory)
    start = LONG_AGO
    end = datetime.date(2099, 1, 1)


def staff_member(username: str, *, acronym: str = "EUCOM", role: str = Role.ACTION_OFFICER, **fields):
    """A person who works here: an account with a current membership, which is what opens the
    admin and its sign-in (``is_staff`` alone does not). The organization is created if missing."""
    user = get_user_model().objects.create_user(username, **fields)
    organization = (Organization.objects.filter(acronym=acronym, active=True).first()
                    or OrganizationFactory(acronym=acronym))
    MembershipFactory(user=user, organization=organization, role=role,
                      is_coordinator=role in (Role.REVIEWER, Role.APPROVER))
    return user
