"""Notification preferences are the person's own (#14): in the admin each person sees and
changes their own preference only; another person's (a system administrator's included) is not
found and not written; the service refuses anyone but the person."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from reminders.models import UserPreference
from reminders.services import user_preference_set
from tests.factories import MembershipFactory, StaffUserFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver():
    user = StaffUserFactory(username="eucom_approver")
    MembershipFactory(user=user, role=Role.APPROVER)
    return user


@pytest.fixture
def officer():
    """An action officer: a member who works here, with no power over anyone's settings."""
    user = StaffUserFactory(username="eucom_action_officer")
    MembershipFactory(user=user, role=Role.ACTION_OFFICER)
    return user


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name, *args):
    return reverse(f"admin:reminders_userpreference_{name}", args=args)


def test_an_action_officer_cannot_see_or_change_anothers_preference(approver, officer):
    theirs = user_preference_set(user=approver, daily_digest=False)
    client = _login(officer)

    assert list(client.get(_url("changelist")).context["cl"].result_list) == []
    assert client.get(_url("change", theirs.pk)).status_code in (302, 403, 404)
    response = client.post(_url("change", theirs.pk), {"daily_digest": "on"})
    assert response.status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.daily_digest is False
    assert not UserPreference.objects.filter(user=officer).exists()


def test_a_system_administrator_cannot_change_anothers_preference_either(approver):
    theirs = user_preference_set(user=approver, daily_digest=False)
    administrator = SuperuserFactory()
    _login(administrator).post(_url("change", theirs.pk), {"daily_digest": "on"})
    theirs.refresh_from_db()
    assert theirs.daily_digest is False
    with pytest.raises(PermissionDenied, match="the person's own"):
        user_preference_set(user=approver, daily_digest=True, by=administrator)
    theirs.refresh_from_db()
    assert theirs.daily_digest is False


def test_each_person_sets_their_own_preference_in_the_admin(officer, approver):
    user_preference_set(user=approver, daily_digest=False)
    client = _login(officer)
    response = client.post(_url("add"), {"daily_digest": "on"})
    assert response.status_code == 302
    own = UserPreference.objects.get(user=officer)
    assert own.daily_digest is True
    assert list(client.get(_url("changelist")).context["cl"].result_list) == [own]
    assert client.get(_url("add"))["Location"] == _url("change", own.pk)  # one preference each: it opens
    client.post(_url("change", own.pk), {"daily_digest": ""})
    own.refresh_from_db()
    assert own.daily_digest is False
    assert UserPreference.objects.get(user=approver).daily_digest is False
