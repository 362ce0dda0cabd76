"""Hostile query strings on every admin change list the site registers: each list filter's
parameters, the search, the pager, the ordering and the date drill-down, with the null byte,
huge numbers, negative years and ids that are not numbers. The answer is a page saying the
parameters are wrong (the admin's own redirect to ``?e=1``, then its error page) or the list,
never a server error; as a superuser and as a staff member in an ordinary role."""

from __future__ import annotations

import datetime
import os

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organizations.models import Role
from workflow.models import Response
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

HUGE = str(10**30)
# The four kinds the issue names, for every parameter: the null byte, a huge number, a negative
# number, an id that is not a number.
HOSTILE = ["\x00", HUGE, "-1", "abc"]
# And for the search, the pager and the ordering, what each reads in its own way.
EXTRA = {SEARCH_VAR: ["%'\\", "9" * 400], PAGE_VAR: ["0", "9" * 400], ORDER_VAR: ["-1.-2.99." + HUGE]}
DATE_DRILLS = [  # (year, month, day), None for "not given"
    (HUGE, None, None), ("-1", None, None), ("0", None, None), ("9999", None, None), ("9999", "12", "31"),
    ("2026", "13", None), ("2026", "2", "30"), ("2026", "1", HUGE), ("abc", None, None), (None, "13", "-1"),
]


def changelists() -> list[tuple[str, object]]:
    return [(f"{model._meta.app_label}.{model._meta.model_name}", model_admin)
            for model, model_admin in admin.site._registry.items()]


def filter_parameters(model_admin, request) -> list[str]:
    """The query parameters each of the list's filters reads, whether or not it shows today."""
    names = []
    for list_filter in model_admin.get_list_filter(request):
        if isinstance(list_filter, (tuple, list)):
            field_path, filter_class = list_filter
        elif callable(list_filter):
            names += list_filter(request, {}, model_admin.model, model_admin).expected_parameters()
            continue
        else:
            field_path, filter_class = list_filter, FieldListFilter.create
        field = get_fields_from_path(model_admin.model, field_path)[-1]
        spec = filter_class(field, request, {}, model_admin.model, model_admin, field_path=field_path)
        names += spec.expected_parameters()
    return names


def hostile_queries(model_admin, request) -> list[dict]:
    names = [*filter_parameters(model_admin, request), SEARCH_VAR, PAGE_VAR, ORDER_VAR]
    queries = [{name: value} for name in names for value in [*HOSTILE, *EXTRA.get(name, [])]]
    queries.append({IS_POPUP_VAR: "1", TO_FIELD_VAR: "\x00"})
    if model_admin.date_hierarchy:
        for drill in DATE_DRILLS:
            queries.append({f"{model_admin.date_hierarchy}__{part}": value
                            for part, value in zip(("year", "month", "day"), drill, strict=True) if value is not None})
    return queries


@pytest.fixture
def populated(world):
    """Something in each list, so filters and the date drill-down have rows and choices to show."""
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", Role.ACTION_OFFICER))
    tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs["DON"]), by=world.user("DON", Role.REVIEWER),
                   response=Response.NONCONCUR, rationale="Double-counted",
                   comments=[{"category": "critical", "section": "3.a", "text": "Remove 3.a"}])
    return world


@pytest.fixture
def people(populated):
    superuser = get_user_model().objects.create_superuser("fuzz_administrator", password="x" * 16)
    staff = populated.user("EUCOM", Role.ACTION_OFFICER)  # what opens to them follows from the membership
    return {"superuser": superuser, "action officer": staff}


def clients(people) -> dict[str, Client]:
    result = {}
    for name, user in people.items():
        client = Client()
        client.force_login(user)
        result[name] = client
    return result


@pytest.fixture
def quick_pages(monkeypatch):
    # The navigation sidebar repeats the index on every page and reads no parameter; without it
    # the sweep of every list takes a third of the time.
    monkeypatch.setattr(admin.site, "enable_nav_sidebar", False)


def sweep(client, url, queries, who) -> dict[int, int]:
    """Each query once; each page a redirect leads to, once. Returns how many answers of each status."""
    statuses: dict[int, int] = {}
    followed = set()
    for query in queries:
        response = client.get(url, query)
        assert response.status_code < 500, (who, url, query, response.status_code)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        location = response.get("Location") if response.status_code == 302 else None
        if location and location not in followed:
            followed.add(location)
            after = client.get(location)
            assert after.status_code < 500, (who, url, query, location, after.status_code)
    return statuses


@pytest.mark.postgres
@pytest.mark.parametrize("label", [label for label, _ in changelists()])
def test_hostile_query_parameters_never_make_a_change_list_fail(people, quick_pages, label):
    model_admin = dict(changelists())[label]
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    for who, client in clients(people).items():
        request = RequestFactory().get(url)
        request.user = people[who]
        if not model_admin.has_view_or_change_permission(request):
            # A list the user may not open is refused whatever the parameters.
            assert sweep(client, url, [{"q": "\x00"}, {PAGE_VAR: HUGE}], who) == {403: 2}
            continue
        statuses = sweep(client, url, hostile_queries(model_admin, request), who)
        # A null byte is refused with a 400 on every list: the sweep reached the check.
        assert statuses.get(400, 0) >= 1, (who, statuses)


@pytest.mark.postgres
@pytest.mark.parametrize("query", [{"state__exact": "\x00"}, {"classification__exact": "\x00"},
                                   {"owner__kind__exact": "S\x00"}, {"q": "\x00"}, {"noforn__exact": "\x00"}])
def test_a_null_byte_in_a_filter_or_search_is_a_400_saying_so_and_the_list_still_opens(people, query):
    client = clients(people)["action officer"]
    url = reverse("admin:planning_campaignplan_changelist")
    response = client.get(url, query)
    assert response.status_code == 400
    assert "contains a null character" in response.content.decode()
    assert f'href="{url}"' in response.content.decode()
    assert client.get(url).status_code == 200


@pytest.mark.postgres
def test_a_null_byte_in_the_audit_trails_action_filter_is_a_400(people):
    response = clients(people)["superuser"].get(reverse("admin:security_auditevent_changelist"), {"action": "\x00"})
    assert response.status_code == 400


@pytest.mark.postgres
@pytest.mark.parametrize(("drill", "shown"), [({"suspense__year": HUGE}, HUGE), ({"suspense__year": "-1"}, "-1"),
                                              ({"suspense__year": "9999", "suspense__month": "12"}, "9999-12"),
                                              ({"suspense__year": "2026", "suspense__month": "2",
                                                "suspense__day": "30"}, "2026-2-30")])
def test_a_date_drill_down_to_a_day_no_calendar_has_is_a_400_naming_it(people, drill, shown):
    response = clients(people)["superuser"].get(reverse("admin:workflow_tasker_changelist"), drill)
    assert response.status_code == 400
    assert f"There is no date {shown[:40]}" in response.content.decode()


@pytest.mark.postgres
def test_a_date_drill_down_to_a_real_day_still_shows_the_list(people):
    response = clients(people)["superuser"].get(reverse("admin:workflow_tasker_changelist"),
                                                {"suspense__year": "2027", "suspense__month": "1"})
    assert response.status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["planning_campaignplan", "workflow_tasker", "security_auditevent", "auth_user"])
def test_a_page_number_past_any_list_is_a_400(people, name):
    response = clients(people)["superuser"].get(reverse(f"admin:{name}_changelist"), {PAGE_VAR: HUGE})
    assert response.status_code == 400
    assert "There is no page" in response.content.decode()


@pytest.mark.postgres
def test_a_filter_django_cannot_use_leads_to_the_whole_list_with_a_warning(people):
    client = clients(people)["superuser"]
    url = reverse("admin:planning_campaignplan_changelist")
    response = client.get(url, {"no_such_field": "1"})
    assert response.status_code == 302 and response["Location"] == f"{url}?e=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "The filters in the address could not be used" in page.content.decode()


@pytest.mark.postgres
def test_a_null_byte_in_an_autocomplete_search_is_a_400(people):
    response = clients(people)["superuser"].get(reverse("admin:autocomplete"), {
        "app_label": "security", "model_name": "securityprofile", "field_name": "user", "term": "\x00"})
    assert response.status_code == 400


@pytest.mark.postgres
def test_a_key_with_a_null_byte_names_no_object(people):
    client = clients(people)["superuser"]
    response = client.get(reverse("admin:organizations_country_change", args=["P\x00L"]))
    assert response.status_code == 302
    assert client.get(reverse("admin:organizations_country_changelist")).status_code == 200


# Beyond the list above, random parameters and values: CI replays the same draws every run (a
# landing must not depend on luck); a developer's run draws new ones.
@pytest.mark.postgres
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck),
          derandomize=os.environ.get("CI", "") == "true")
@given(data=st.data())
def test_random_query_strings_never_make_a_change_list_fail(people, quick_pages, data):
    label, model_admin = data.draw(st.sampled_from(changelists()))
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    request = RequestFactory().get(url)
    request.user = people["superuser"]
    names = [*filter_parameters(model_admin, request), SEARCH_VAR, PAGE_VAR, ORDER_VAR]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    values = st.one_of(st.text(max_size=12), st.integers(min_value=-10**40, max_value=10**40).map(str),
                       st.sampled_from(HOSTILE), st.dates(datetime.date(1, 1, 1)).map(str))
    query = data.draw(st.dictionaries(st.sampled_from(names), values, min_size=1, max_size=3))
    who = data.draw(st.sampled_from(sorted(people)))
    client = Client()
    client.force_login(people[who])
    sweep(client, url, [query], who)

