"""The statements every transition sends are compiled once (``runtime.compiled.Statement``) and
must stay what the ORM sends: the same SQL and parameters, the same objects (their columns,
what ``select_related`` joined, the annotations), the same errors, and the ORM itself whenever
the SQL would depend on a value rather than on the shape of the values."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.query import MAX_GET_RESULTS
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from organizations.models import Membership, Organization, Role
from runtime.compiled import Statement
from workflow.models import Tasker

from .helpers import AO, APP, answer, to_review

pytestmark = pytest.mark.postgres


def _sent(run) -> list[tuple[str, tuple]]:
    """What ``run()`` sent: each statement and its parameters, as the connection received them."""
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = run()
    return sent, result


def _memberships(user_id: int, org_ids: tuple, roles: tuple, day: datetime.date):
    return (Membership.objects.filter(user_id=user_id, organization_id__in=org_ids, role__in=roles, start__lte=day)
            .select_related("organization", "user").annotate(marked=Value("yes")).order_by("pk"))


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_compiled_read_sends_what_the_orm_sends_and_gives_the_same_objects(world):
    statement = Statement(_memberships)
    today = datetime.date.today()
    for acronym, role in (("EUCOM", AO), ("EUCOM", APP), ("DA", Role.REVIEWER)):  # the first compiles
        user = world.user(acronym, role)
        args = (user.pk, (world.orgs[acronym].pk, world.orgs["DON"].pk), (role, Role.AUDITOR), today)
        orm_sent, expected = _sent(lambda args=args: list(_memberships(*args)))
        compiled_sent, found = _sent(lambda args=args: statement.models(*args))
        assert [s for s, _ in compiled_sent] == [s for s, _ in orm_sent]
        assert [[str(p) for p in ps] for _, ps in compiled_sent] == [[str(p) for p in ps] for _, ps in orm_sent]
        assert found and [_columns(m) for m in found] == [_columns(m) for m in expected]
        assert [(_columns(m.organization), _columns(m.user), m.marked) for m in found] == \
            [(_columns(m.organization), _columns(m.user), m.marked) for m in expected]
        assert all(m.user.pk == user.pk for m in found)


def test_a_compiled_get_raises_as_get_does(world):
    statement = Statement(lambda pk: Organization.objects.filter(pk=pk).order_by()[:MAX_GET_RESULTS])
    assert statement.get(world.orgs["DA"].pk).acronym == "DA"
    assert statement.get(world.orgs["EUCOM"].pk).acronym == "EUCOM"  # the same statement, compiled
    with pytest.raises(Organization.DoesNotExist):
        statement.get(10**9)


def test_a_shape_whose_sql_depends_on_a_value_is_left_to_the_orm_every_time(world, caplog):
    """A slice's bound is written into the SQL, not sent as a parameter: the check made at the
    first compilation finds it, and every call then runs the ORM (with a warning)."""
    statement = Statement(lambda n: Organization.objects.order_by("pk")[:n], name="first organizations")
    with caplog.at_level(logging.WARNING, logger="runtime.compiled"):
        first = statement.models(1)
    assert "first organizations" in caplog.text
    assert [o.pk for o in statement.models(2)] == list(Organization.objects.order_by("pk")[:2].values_list("pk", flat=True))
    assert len(first) == 1


def test_a_compiled_update_sends_what_the_orm_sends_and_counts_the_rows(world):
    statement = Statement(lambda ids, name: (Organization.objects.filter(pk__in=ids), {"name": name}))
    da, don = world.orgs["DA"], world.orgs["DON"]
    orm_sent, _ = _sent(lambda: Organization.objects.filter(pk__in=(da.pk, don.pk)).update(name="Renamed"))
    statement.update((da.pk, don.pk), "First")  # compiles
    compiled_sent, count = _sent(lambda: statement.update((da.pk, don.pk), "Renamed"))
    assert count == 2
    assert [(s, [str(p) for p in ps]) for s, ps in compiled_sent] == \
        [(s, [str(p) for p in ps]) for s, ps in orm_sent]
    assert set(Organization.objects.filter(pk__in=(da.pk, don.pk)).values_list("name", flat=True)) == {"Renamed"}


@pytest.mark.django_db(transaction=True)
def test_a_compiled_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(world):
    statement = Statement(lambda pk: Organization.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert statement.models(world.orgs["DA"].pk)[0].acronym == "DA"
    with pytest.raises(TransactionManagementError):
        statement.models(world.orgs["DA"].pk)


def test_an_approval_sends_its_statements_compiled_and_none_is_left_to_the_orm(world, caplog):
    """Two approvals: the second sends the same statements as the first, compiled (no warning
    that one was left to the ORM), and the plan and its approval tasker end as before."""
    from workflow.models import Response, Step

    approver = world.user("EUCOM", APP)  # the owning combatant commander approves (Encl. 2, 10.a)
    plans = [to_review(world, world.ready_plan()) for _ in range(2)]
    for plan in plans:
        for acronym in ("J5", "USD(P)"):
            answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    with caplog.at_level(logging.WARNING, logger="runtime.compiled"):
        with CaptureQueriesContext(connection) as first:
            from workflow.services import transition_perform

            transition_perform(document=plans[0], name="approve", by=approver, expected_state="review")
        with CaptureQueriesContext(connection) as second:
            approved = transition_perform(document=plans[1], name="approve", by=approver, expected_state="review")
    assert "not cached" not in caplog.text
    def statements(captured):
        return [q["sql"][:80] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]

    assert statements(first) == statements(second)
    assert approved.state == "approved"
    approval = Tasker.objects.get(content_type__model="campaignplan", object_id=plans[1].pk, step="approval")
    assert (approval.state, approval.response, approval.answered_by_id) == ("answered", "approved", approver.pk)
