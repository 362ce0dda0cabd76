"""A small world for reminders: a tasked organization with members in each role, a reviewing
authority (Joint Staff and USD(P)) named by the plan's route snapshot, a campaign plan to
task on, and a real SMTP server (aiosmtpd) that can refuse or be slow on demand."""

from __future__ import annotations

import datetime
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from organizations.models import Membership, Organization, OrganizationKind, Role
from planning.models import CampaignPlan
from workflow.models import Step, Tasker

TZ = datetime.timezone(datetime.timedelta(hours=-5))  # America/New_York in winter


def local(year, month, day, hour=8, minute=0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


@dataclass
class World:
    orgs: dict[str, Organization]
    users: dict[str, object]
    plan: CampaignPlan

    def tasker(self, *, suspense: datetime.date, organization="DA", assignee=None, step=Step.COORDINATION,
               plan=None) -> Tasker:
        plan = plan or self.plan
        return Tasker.objects.create(
            content_type=ContentType.objects.get_for_model(CampaignPlan), object_id=plan.pk, step=step,
            organization=self.orgs[organization], assignee=assignee, suspense=suspense,
            document_title=plan.title)

    def taskers_in_bulk(self, count: int, *, suspense: datetime.date, organization="DA") -> list[Tasker]:
        content_type = ContentType.objects.get_for_model(CampaignPlan)
        return Tasker.objects.bulk_create([
            Tasker(content_type=content_type, object_id=self.plan.pk, step=Step.COORDINATION,
                   organization=self.orgs[organization], suspense=suspense, document_title=self.plan.title)
            for _ in range(count)
        ], batch_size=2000)


def _member(username: str, organization: Organization, role: str):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.mil",
                                                password="training-only-password", is_staff=True)
    Membership.objects.create(user=user, organization=organization, role=role, start=datetime.date(2020, 1, 1))
    return user


@pytest.fixture
def world(db) -> World:
    """DA is tasked (action officer, reviewer, approver); JS and USD(P) review and approve; DLA
    only coordinates, so its members are never the reviewing authority."""
    kinds = {"EUCOM": OrganizationKind.GEOGRAPHIC_CCMD, "DA": OrganizationKind.MILITARY_DEPARTMENT,
             "DLA": OrganizationKind.DEFENSE_AGENCY, "JS": OrganizationKind.JOINT_STAFF,
             "USD(P)": OrganizationKind.OSD_PSA}
    orgs = {a: Organization.objects.create(acronym=a, name=f"{a} (test)", kind=k) for a, k in kinds.items()}
    users = {
        "da_ao": _member("da_ao", orgs["DA"], Role.ACTION_OFFICER),
        "da_reviewer": _member("da_reviewer", orgs["DA"], Role.REVIEWER),
        "da_approver": _member("da_approver", orgs["DA"], Role.APPROVER),
        "da_admin": _member("da_admin", orgs["DA"], Role.ORG_ADMIN),
        "dla_approver": _member("dla_approver", orgs["DLA"], Role.APPROVER),
        "js_reviewer": _member("js_reviewer", orgs["JS"], Role.REVIEWER),
        "usdp_approver": _member("usdp_approver", orgs["USD(P)"], Role.APPROVER),
        "eucom_ao": _member("eucom_ao", orgs["EUCOM"], Role.ACTION_OFFICER),
    }
    snapshot = {"route_id": None, "route_name": "test", "steps": [
        {"step": "coordination", "organization_id": orgs["DLA"].pk, "relation": "", "suspense_working_days": 10},
        {"step": "review", "organization_id": orgs["JS"].pk, "relation": "", "suspense_working_days": 10},
        {"step": "review", "organization_id": orgs["USD(P)"].pk, "relation": "", "suspense_working_days": 10},
        {"step": "approval", "organization_id": orgs["USD(P)"].pk, "relation": "", "suspense_working_days": 5},
    ]}
    plan = CampaignPlan.objects.create(title="EUCOM theater campaign plan (training data)", owner=orgs["EUCOM"],
                                       created_by=users["eucom_ao"], route_snapshot=snapshot)
    return World(orgs=orgs, users=users, plan=plan)


# --- a real SMTP server --------------------------------------------------------------------

@dataclass
class Received:
    to: list[str]
    subject: str
    body: str
    reminder_ids: list[int]
    at: datetime.datetime
    message_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    longest_line: int = 0    # octets, CRLF included, as the server read them


@dataclass
class RecordingHandler:
    """Takes every message it is given, unless told to refuse (451), to refuse an address for
    good (550), or to be slow. aiosmtpd itself answers "500 Line too long" to a line over 1,000
    octets, as real servers do."""

    refuse: int = 0          # refuse this many deliveries with a temporary error
    delay: float = 0.0       # seconds to wait before accepting MAIL FROM
    unknown: set[str] = field(default_factory=set)  # addresses refused for good: 550 user unknown
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    attempts: list[str] = field(default_factory=list)  # every RCPT TO, accepted or not
    conversations: int = 0   # MAIL FROM commands received
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.conversations += 1
        if self.delay:
            time.sleep(self.delay)  # blocks the server loop: one delivery at a time, like a slow relay
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.attempts.append(address)
            if address in self.unknown:
                return "550 5.1.1 user unknown"
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Mail system busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=email.policy.SMTP)
        ids = [int(i) for i in (message.get("X-Reminder-Ids") or "").split(",") if i.strip()]
        body = message.get_content()
        longest = max(len(line) + 2 for line in envelope.original_content.split(b"\r\n"))
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), str(message["Subject"]), body, ids,
                                          timezone.now(), str(message["Message-ID"]),
                                          {name: str(value) for name, value in message.items()}, longest))
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def reminder_ids(self) -> list[int]:
        with self.lock:
            return [pk for message in self.received for pk in message.reminder_ids]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 10
    handler.port = controller.port
    yield handler
    controller.stop()


def wait_until(condition, timeout: float = 30, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def purged_broker():
    """No task left in the Redis queue by an earlier run reaches this test's worker."""
    from config.celery_app import app

    app.control.purge()
    yield


@pytest.fixture(autouse=True)
def closures_read_afresh():
    """Each test sees the closures of its own database: none left cached by an earlier test."""
    from workflow.calendar import closures_forget

    closures_forget()
    yield
    closures_forget()
