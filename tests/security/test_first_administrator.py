"""The installation's first administrator (security.services.first_administrator_ensure, run by
`manage.py init_installation`): made once, never reset, refused with the reason on bad input."""

import pytest
from django.contrib.auth import get_user_model

from security.services import AdministratorError, first_administrator_ensure

PASSWORD = "First-Admin-Passw0rd!"


def test_the_first_administrator_is_made_once_and_left_alone_afterwards(db):
    user, created = first_administrator_ensure(username="administrator", email="admin@example.mil", password=PASSWORD)
    assert created and user.is_superuser and user.is_staff and user.is_active
    assert user.check_password(PASSWORD) and user.email == "admin@example.mil"
    again, created = first_administrator_ensure(username="administrator", email="", password="Another-Passw0rd!!")
    assert not created and again.pk == user.pk
    again.refresh_from_db()
    assert again.check_password(PASSWORD), "a second run never resets the password"
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize("password, says", [
    ("short-A1!", "This password is too short. It must contain at least 15 characters."),
    ("alllowercaseletters", "The password needs an upper-case letter, a digit, a special character."),
    ("", "This password is too short."),
])
def test_a_password_the_validators_refuse_creates_nobody_and_says_why(db, password, says):
    with pytest.raises(AdministratorError) as refused:
        first_administrator_ensure(username="administrator", email="", password=password)
    assert str(refused.value).startswith("INIT_ADMIN_PASSWORD is not accepted: ")
    assert says in str(refused.value)
    assert not get_user_model().objects.exists()


def test_a_name_taken_by_an_account_that_is_not_an_administrator_is_refused_and_left_unchanged(db):
    staff = get_user_model().objects.create_user("eucom_action_officer", password=PASSWORD, is_staff=True)
    with pytest.raises(AdministratorError, match="exists and is not an active administrator"):
        first_administrator_ensure(username="eucom_action_officer", email="", password=PASSWORD)
    staff.refresh_from_db()
    assert not staff.is_superuser


def test_no_user_name_is_refused(db):
    with pytest.raises(AdministratorError, match="set INIT_ADMIN_USERNAME"):
        first_administrator_ensure(username="  ", email="", password=PASSWORD)
