"""An account that is switched off, or one that belongs to no office, does nothing: not as a
system administrator, not as an organization administrator, not as an action officer, and not
through the API. (Each rule asks ``organizations.selectors.active_account`` first.)"""

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from assessments.rules import may_run_cycle
from organizations.authority import ACTIONS, may
from organizations.models import Role
from tests.factories import SuperuserFactory, UserFactory, staff_member

pytestmark = pytest.mark.django_db


def _granted(user) -> list[str]:
    return [f"{action} {model._meta.label}" for model in apps.get_models() for action in ACTIONS
            if may(user, action, model)]


def _switch_off(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return type(user).objects.get(pk=user.pk)


def test_a_switched_off_system_administrator_may_do_nothing():
    administrator = SuperuserFactory()
    assert "change auth.User" in _granted(administrator)
    assert may_run_cycle(administrator)

    administrator = _switch_off(administrator)

    assert _granted(administrator) == []
    assert not may_run_cycle(administrator)


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.ACTION_OFFICER, Role.APPROVER, Role.AUDITOR])
def test_a_switched_off_member_may_do_nothing_their_role_allowed(role):
    member = staff_member(f"member-{role}", role=role)
    assert _granted(member), f"an active {role} may do something"

    assert _granted(_switch_off(member)) == []


def test_the_api_answers_only_people_who_work_here():
    client = APIClient()
    assert client.get("/api/v1/me/").status_code in (401, 403)

    client.force_authenticate(UserFactory())  # an account with no membership
    assert client.get("/api/v1/me/").status_code == 403

    client.force_authenticate(staff_member("officer"))
    assert client.get("/api/v1/me/").status_code == 200
