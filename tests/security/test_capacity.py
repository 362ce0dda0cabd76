"""Reads of who may see what, kept per capacity (``security.capacity``): a page asked again by the
same person answers from what was built, and any change to what the rules read (a membership, a
designation, a clearance, system administration, an account switched off) is a new capacity,
answered afresh on the very next page. Each case changes one input between two visits of the
plans list and expects the second visit to follow the change: with that input left out of the
key, the second visit would be answered from the first and the case would fail."""

from __future__ import annotations

import datetime
import re
import warnings
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from organizations.models import Designation, Membership, Role
from organizations.services import designation_assign
from planning.models import CampaignPlan
from planning.selectors import plans_visible_to
from runtime.request_memo import memo_scope
from security import capacity
from security.models import SecurityProfile
from tests.security.test_need_to_know_side_channels import marked, person

LIST = "/admin/planning/campaignplan/"


def titles(client) -> set[str]:
    html = client.get(LIST).content.decode()
    return set(re.findall(r"CAPACITY [A-Z ]+PLAN", html))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def plans(world):
    """An unclassified plan of EUCOM's, a SECRET one of EUCOM's, and one of CENTCOM's."""
    return {
        "eucom": marked(world.ready_plan(), title="CAPACITY EUCOM PLAN"),
        "secret": marked(world.ready_plan(), title="CAPACITY SECRET PLAN", level="S"),
        "centcom": marked(world.ready_plan(owner="CENTCOM", partners=("IL",)), title="CAPACITY CENTCOM PLAN"),
    }


def test_a_new_membership_is_a_new_capacity(world, plans):
    officer = person("capacity_officer", acronym="EUCOM", world=world)
    client = signed_in(officer)
    assert titles(client) == {"CAPACITY EUCOM PLAN"}
    Membership.objects.create(user=officer, organization=world.orgs["CENTCOM"], role=Role.ACTION_OFFICER,
                              start=datetime.date(2020, 1, 1))
    assert titles(client) == {"CAPACITY EUCOM PLAN", "CAPACITY CENTCOM PLAN"}


def test_a_clearance_raised_is_a_new_capacity(world, plans):
    officer = person("capacity_cleared", acronym="EUCOM", world=world)
    client = signed_in(officer)
    assert titles(client) == {"CAPACITY EUCOM PLAN"}
    SecurityProfile.objects.filter(user=officer).update(clearance="S")
    assert titles(client) == {"CAPACITY EUCOM PLAN", "CAPACITY SECRET PLAN"}


def test_a_designation_granted_to_the_persons_office_is_a_new_capacity(world, plans):
    """The policy office reviews every plan: moved to DLA, DLA's reviewer sees them all."""
    reviewer = person("capacity_dla", acronym="DLA", world=world, role=Role.REVIEWER, clearance="TS")
    client = signed_in(reviewer)
    assert titles(client) == set()
    designation_assign(organization=world.orgs["DLA"], designation=Designation.POLICY_OFFICE,
                       start=datetime.date(2020, 1, 1))
    assert titles(client) == {"CAPACITY EUCOM PLAN", "CAPACITY SECRET PLAN", "CAPACITY CENTCOM PLAN"}


def test_system_administration_granted_and_an_account_switched_off_are_new_capacities(world, plans):
    officer = person("capacity_admin", acronym="EUCOM", world=world, clearance="TS")
    client = signed_in(officer)
    assert titles(client) == {"CAPACITY EUCOM PLAN", "CAPACITY SECRET PLAN"}
    get_user_model().objects.filter(pk=officer.pk).update(is_superuser=True)
    assert titles(client) == {"CAPACITY EUCOM PLAN", "CAPACITY SECRET PLAN", "CAPACITY CENTCOM PLAN"}
    with memo_scope():
        switched_off = get_user_model().objects.get(pk=officer.pk)
        switched_off.is_active = False
        assert not plans_visible_to(switched_off, CampaignPlan).exists()


def test_two_people_of_one_capacity_each_have_their_own_answer(world, plans):
    """The key names the person too: nothing one person was answered is given to another."""
    eucom, centcom = (person("capacity_eucom", acronym="EUCOM", world=world),
                      person("capacity_centcom", acronym="CENTCOM", world=world))
    assert titles(signed_in(eucom)) == {"CAPACITY EUCOM PLAN"}
    assert titles(signed_in(centcom)) == {"CAPACITY CENTCOM PLAN"}
    assert titles(signed_in(eucom)) == {"CAPACITY EUCOM PLAN"}


def test_what_is_kept_is_given_as_a_fresh_copy_and_only_inside_a_request(world, plans):
    officer = person("capacity_copy", acronym="EUCOM", world=world)
    assert capacity.capacity_key(officer) is None  # outside a request: nothing is kept
    with memo_scope():
        first = plans_visible_to(officer, CampaignPlan)
        assert [p.title for p in first] == ["CAPACITY EUCOM PLAN"]  # its rows are read and cached on it
        CampaignPlan.objects.filter(pk=plans["eucom"].pk).update(title="CAPACITY EUCOM PLAN RENAMED")
        again = plans_visible_to(officer, CampaignPlan)
        assert again is not first and [p.title for p in again] == ["CAPACITY EUCOM PLAN RENAMED"]


def test_a_rule_that_reads_what_its_capacity_does_not_hold_fails_in_the_tests(world):
    """The test settings build each kept rule again and compare it with what was kept
    (``CAPACITY_CHECK``): a rule reading anything else is caught on its first reuse."""
    outside = {"owner": world.orgs["EUCOM"].pk}

    @capacity.per_capacity
    def leaky(user, model):
        return model.objects.filter(owner_id=outside["owner"])

    officer = person("capacity_leaky", acronym="EUCOM", world=world)
    with memo_scope():
        assert leaky(officer, CampaignPlan).query.where  # built and kept
        outside["owner"] = world.orgs["CENTCOM"].pk
        with pytest.raises(capacity.CapacityRuleError, match="leaky"):
            leaky(officer, CampaignPlan)


@override_settings(CAPACITY_CACHE_ENTRIES=2)
def test_at_most_the_configured_number_of_reads_are_kept_the_least_recently_used_going_first(world):
    capacity.forget()
    people = [person(f"capacity_lru_{n}", acronym="EUCOM", world=world) for n in range(3)]
    with memo_scope():
        for user in people:
            plans_visible_to(user, CampaignPlan)
        kept = [key[2][0] for key in capacity._kept]  # the person of each kept read
    assert kept == [people[1].pk, people[2].pk]


def test_a_kept_read_shares_no_leaf_with_a_copy_given_out(world, plans):
    """Resolving a query as another's subquery sets values on its WHERE leaves in place (Django
    shares the leaves between copies of a query): what is kept shares no leaf with any copy given
    out, so whatever a caller's query does to its copy, the next copy is as it was."""
    officer = person("capacity_leaves", acronym="EUCOM", world=world)
    with memo_scope():
        plans_visible_to(officer, CampaignPlan)  # built, and kept
        given = plans_visible_to(officer, CampaignPlan)
        before = str(plans_visible_to(officer, CampaignPlan).query)
        leaves = [child for child in given.query.where.children if hasattr(child, "rhs")]
        assert leaves
        for leaf in leaves:
            leaf.rhs = "CHANGED IN PLACE"
        assert str(plans_visible_to(officer, CampaignPlan).query) == before
        assert [plan.title for plan in plans_visible_to(officer, CampaignPlan)] == ["CAPACITY EUCOM PLAN"]


AUDIT_LIST = "/admin/security/auditevent/"


def test_the_menu_of_every_page_follows_a_role_granted_and_withdrawn(world, plans):
    """The admin's menu (the models a person may open) is built once per capacity: made an
    auditor, the officer finds the audit trail in the menu of the very next page, and loses it
    with the role; the menu handed out is the person's own copy (the admin sorts it in place)."""
    officer = person("capacity_menu", acronym="EUCOM", world=world)
    client = signed_in(officer)

    def menu() -> str:
        response = client.get("/admin/")
        return " ".join(model["admin_url"] or "" for app in response.context["app_list"] for model in app["models"])

    assert LIST in menu() and AUDIT_LIST not in menu()
    auditor = Membership.objects.create(user=officer, organization=world.orgs["EUCOM"], role=Role.AUDITOR,
                                        start=datetime.date(2020, 1, 1))
    assert AUDIT_LIST in menu() and client.get(AUDIT_LIST).status_code == 200
    auditor.delete()
    assert AUDIT_LIST not in menu() and client.get(AUDIT_LIST).status_code == 403
    # What a page changes in its menu stays on that page.
    first = client.get("/admin/").context["app_list"]
    first[0]["models"].clear()
    assert client.get("/admin/").context["app_list"][0]["models"]


def test_an_administrator_of_no_office_switched_off_is_a_new_capacity(world, plans):
    """A system administrator who acts for no organization sees every plan they are cleared for;
    the same account switched off sees none. Its offices (none), clearance and administration are
    unchanged: only whether the account is switched on tells the two apart, so it is part of the
    key in its own right (not only through the offices an account switched off no longer acts for)."""
    administrator = person("capacity_root", world=world, clearance="TS")
    get_user_model().objects.filter(pk=administrator.pk).update(is_superuser=True)

    def visible() -> set[str]:
        with memo_scope():
            user = get_user_model().objects.get(pk=administrator.pk)
            return set(plans_visible_to(user, CampaignPlan).filter(title__startswith="CAPACITY")
                       .values_list("title", flat=True))

    assert visible() == {"CAPACITY EUCOM PLAN", "CAPACITY SECRET PLAN", "CAPACITY CENTCOM PLAN"}
    get_user_model().objects.filter(pk=administrator.pk).update(is_active=False)
    assert visible() == set()


def test_a_new_day_is_a_new_capacity(world, plans):
    """The day is one of the inputs a rule may read (a suspense passed, a period ended): a read
    kept yesterday is not given today, though nothing else about the person changed."""

    @capacity.per_capacity
    def ended(user, model):
        return model.objects.filter(title__startswith="CAPACITY", period_end__lt=timezone.localdate())

    day = datetime.date(2030, 6, 1)
    CampaignPlan.objects.filter(pk=plans["eucom"].pk).update(period_end=day)
    officer = person("capacity_day", acronym="EUCOM", world=world)
    for today, expected in ((day, set()), (day + datetime.timedelta(days=1), {"CAPACITY EUCOM PLAN"})):
        with mock.patch("django.utils.timezone.localdate", return_value=today), memo_scope():
            assert set(ended(officer, CampaignPlan).values_list("title", flat=True)) == expected


@override_settings()
def test_without_the_check_as_in_production_a_kept_read_is_given_again_without_building_it(world, plans):
    """Production sets no ``CAPACITY_CHECK``: a page asked again answers from what was kept, the
    rule not built again (the point of keeping it)."""
    del settings.CAPACITY_CHECK
    officer = person("capacity_production", acronym="EUCOM", world=world)
    client = signed_in(officer)
    assert titles(client) == {"CAPACITY EUCOM PLAN"}
    assert titles(client) == {"CAPACITY EUCOM PLAN"}
    builds = []

    @capacity.per_capacity
    def counted(user, model):
        builds.append(user.pk)
        return model.objects.filter(title="CAPACITY EUCOM PLAN")

    with memo_scope():
        assert [plan.title for plan in counted(officer, CampaignPlan)] == ["CAPACITY EUCOM PLAN"]
        assert [plan.title for plan in counted(officer, CampaignPlan)] == ["CAPACITY EUCOM PLAN"]
    assert builds == [officer.pk]


def test_a_kept_read_that_excludes_is_given_again_excluding(world, plans):
    """A rule's exclusions (``exclude``, ``~Q``: a negated branch of its WHERE) are kept as
    exclusions: the copy given on the next page hides what the first one hid."""

    @capacity.per_capacity
    def unclassified(user, model):
        return model.objects.filter(title__startswith="CAPACITY").exclude(classification="S")

    officer = person("capacity_exclude", acronym="EUCOM", world=world)
    with memo_scope():
        for _visit in range(2):
            assert set(unclassified(officer, CampaignPlan).values_list("title", flat=True)) == {
                "CAPACITY EUCOM PLAN", "CAPACITY CENTCOM PLAN"}


@override_settings()
def test_a_value_built_by_one_process_is_given_by_another_from_the_installations_cache(world, plans):
    """Compiled SQL and the admin's menu (``per_capacity_value``) are plain data: kept in the
    installation's cache too, so a worker that never served the person (here: this process after
    dropping what it kept itself) finds them without building them; for another database, or
    another capacity, they are built afresh."""
    del settings.CAPACITY_CHECK
    from django.core.cache import cache

    cache.clear()
    officer = person("capacity_shared", acronym="EUCOM", world=world)
    other = person("capacity_shared_other", acronym="CENTCOM", world=world)
    builds = []

    def value(user):
        def build():
            builds.append(user.pk)
            return ("SELECT 1 -- built for", user.pk)
        with memo_scope():
            return capacity.per_capacity_value(("shared-test",), get_user_model().objects.get(pk=user.pk), build)

    assert value(officer) == ("SELECT 1 -- built for", officer.pk)
    capacity.forget()  # another worker: nothing kept in its own memory
    assert value(officer) == ("SELECT 1 -- built for", officer.pk) and builds == [officer.pk]
    assert value(other) == ("SELECT 1 -- built for", other.pk) and builds == [officer.pk, other.pk]
    capacity.forget()
    another = {"default": {**settings.DATABASES["default"], "NAME": "another_database"}}
    with warnings.catch_warnings():  # "Overriding setting DATABASES can lead to unexpected behavior": only its name is read
        warnings.simplefilter("ignore", UserWarning)
        with override_settings(DATABASES=another):
            assert value(officer) == ("SELECT 1 -- built for", officer.pk)
    assert builds == [officer.pk, other.pk, officer.pk]
