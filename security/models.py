"""Markings on documents and portions, each person's clearance and citizenship, and the
append-only audit trail."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connections, models, router, transaction
from django.utils import timezone
from django_countries.fields import CountryField

from .markings import RANK, ClassificationLevel, Marking
from .trail import chain_append, chain_extend, chain_insert


class CUICategory(models.Model):
    """A CUI category or subcategory from the CUI Registry (data, not code)."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = "CUI category"
        verbose_name_plural = "CUI categories"

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class DisseminationControl(models.Model):
    """A limited dissemination control (e.g. FEDCON, NOCON, DL ONLY), as data."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class MarkingFields(models.Model):
    """Classification and dissemination controls of a whole document or of one portion."""

    classification = models.CharField(max_length=5, choices=ClassificationLevel.choices,
                                      default=ClassificationLevel.UNCLASSIFIED)
    noforn = models.BooleanField("NOFORN", default=False, help_text="Not releasable to foreign nationals.")
    rel_to = models.ManyToManyField("organizations.Country", blank=True, related_name="+", verbose_name="REL TO",
                                    help_text="Countries (besides the USA) it is releasable to.")

    class Meta:
        abstract = True

    def marking(self, *, rel_to: list[str] | None = None) -> Marking:
        if rel_to is None:
            rel_to = [c.code.code for c in self.rel_to.all()] if self.pk else []
        return Marking(level=self.classification, noforn=self.noforn, rel_to=frozenset(rel_to))

    def clean(self) -> None:
        super().clean()

    @property
    def banner(self) -> str:
        """The marking at the top and bottom of the record's pages, exports and mail."""
        return self.marking().banner

    @property
    def mail_may_carry_title(self) -> bool:
        """Whether an e-mail may name the record by its title (``reminders.marking``): only an
        unclassified record releasable to all."""
        return self.classification == ClassificationLevel.UNCLASSIFIED and not self.noforn


class DocumentMarking(MarkingFields):
    """The banner fields of a document, plus the CUI designation indicator and the classification
    authority block. The stored banner is never lower than the highest portion."""

    cui_categories = models.ManyToManyField(CUICategory, blank=True, related_name="+", verbose_name="CUI categories")
    dissemination_controls = models.ManyToManyField(DisseminationControl, blank=True, related_name="+")
    cui_designation_indicator = models.CharField(
        "CUI designation indicator", max_length=300, blank=True,
        help_text="Controlled by: … / CUI category: … / Limited dissemination control: … / POC: …")
    classified_by = models.CharField(max_length=200, blank=True)
    derived_from = models.CharField(max_length=200, blank=True)
    declassify_on = models.CharField(max_length=100, blank=True, help_text="A date or an exemption.")

    class Meta:
        abstract = True

    def marking(self, *, rel_to: list[str] | None = None) -> Marking:
        base = super().marking(rel_to=rel_to)
        if not self.pk:
            return base
        return Marking(level=base.level, noforn=base.noforn, rel_to=base.rel_to,
                       cui_categories=frozenset(c.code for c in self.cui_categories.all()),
                       dissemination=frozenset(d.code for d in self.dissemination_controls.all()))

    def clean(self) -> None:
        super().clean()
        if self.classification in ("C", "S", "TS") and not (self.classified_by and self.derived_from
                                                             and self.declassify_on):
            raise ValidationError("A classified document needs its classification authority block: classified by, "
                                  "derived from and declassify on.")


class SecurityProfile(models.Model):
    """What a person may see: clearance level and citizenship."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_profile")
    clearance = models.CharField(max_length=5, choices=ClassificationLevel.choices,
                                 default=ClassificationLevel.UNCLASSIFIED)
    citizenship = CountryField(default="US")
    consent_acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Smart-card sign-in maps the certificate a trusted proxy presents to this account; set by
    # administrators, never by the header itself.
    certificate_subject = models.CharField(
        "smart card certificate subject", max_length=500, blank=True,
        help_text="The subject distinguished name of the person's CAC/PIV authentication certificate, as the "
                  "proxy sends it (e.g. CN=DOE.JOHN.Q.1234567890,OU=USA,OU=PKI,OU=DoD,O=U.S. Government,C=US).")
    edipi = models.CharField(
        "EDIPI", max_length=10, blank=True, validators=[RegexValidator(r"^\d{10}$", "An EDIPI is 10 digits.")],
        help_text="DoD ID number (10 digits, the end of the certificate's common name).")
    # OpenID Connect sign-in maps the identity provider's subject (unique per issuer) to this
    # account; set by administrators, never by the provider itself (security/oidc.py).
    oidc_issuer = models.CharField(
        "OpenID Connect issuer", max_length=300, blank=True,
        help_text="The identity provider's issuer, exactly as its tokens name it (the \"iss\" claim); "
                  "the sign-in refusal page shows it to the person.")
    oidc_subject = models.CharField(
        "OpenID Connect subject", max_length=255, blank=True,
        help_text="The person's subject at that provider (the \"sub\" claim), as the sign-in refusal page "
                  "showed it to them.")

    class Meta:
        verbose_name = "security profile"
        constraints = [
            models.UniqueConstraint(fields=["oidc_issuer", "oidc_subject"], condition=~models.Q(oidc_subject=""),
                                    name="security_profile_oidc_identity_unique",
                                    violation_error_message="Another account is already linked to this OpenID Connect "
                                                            "identity."),
            models.CheckConstraint(condition=models.Q(oidc_issuer="", oidc_subject="")
                                   | (~models.Q(oidc_issuer="") & ~models.Q(oidc_subject="")),
                                   name="security_profile_oidc_issuer_with_subject",
                                   violation_error_message="Give both the OpenID Connect issuer and subject, or "
                                                           "neither."),
            models.UniqueConstraint(fields=["certificate_subject"], condition=~models.Q(certificate_subject=""),
                                    name="security_profile_certificate_subject_unique"),
            models.UniqueConstraint(fields=["edipi"], condition=~models.Q(edipi=""),
                                    name="security_profile_edipi_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_clearance_display()}, {self.citizenship.code}"

    def may_see_level(self, level: str) -> bool:
        return RANK[self.clearance] >= RANK[level]


class OIDCLinkRequest(models.Model):
    """A person the OpenID Connect provider vouched for whose identity no account is linked to yet
    (recorded when they try to sign in). An administrator links it to an existing account
    (``security.services.oidc_link_approve``); nothing here creates an account."""

    issuer = models.CharField("OpenID Connect issuer", max_length=300)
    subject = models.CharField("OpenID Connect subject", max_length=255)
    name = models.CharField("name at the provider", max_length=150, blank=True,
                            help_text="What the provider called the person (preferred user name or e-mail), if "
                                      "it said; only a hint: the subject is what is linked.")
    requested_at = models.DateTimeField("last tried to sign in", default=timezone.now)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="The existing account this identity signs in to.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "OpenID Connect link request"
        ordering = ["decided_at", "-requested_at"]
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_link_request_identity_unique")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}" + (f" ({self.name})" if self.name else "")


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    WORKFLOW = "workflow", "Workflow action"
    EXPORT = "export", "Export or download"
    MEMBERSHIP = "membership", "Membership or delegation change"
    PERMISSION = "permission", "Permission change"
    ADMIN_CHANGE = "admin_change", "Record changed in the admin"


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are only ever added: no UPDATE or DELETE through the ORM (``AppendOnly``)."""

    def _refuse(self, *args, **kwargs):
        raise ValidationError(f"{self.model.append_only_name} is append-only: rows are added, never changed or "
                              "deleted.")

    update = delete = bulk_update = update_or_create = _refuse


class AppendOnly(models.Model):
    """The one rule of the append-only trails (the audit trail, ``security.AuditEvent``, and each
    document's history, ``workflow.HistoryEntry``): a row is added and never changed or deleted.
    The application refuses it here (``save`` of a stored row, ``delete``, and the queryset's
    ``update``, ``delete``, ``bulk_update``); on PostgreSQL the database refuses it too, whoever
    asks: the ``refuse_audit_rewrite`` triggers (security migrations 0002 and 0005) and the
    application's role, which may only read and insert on those tables (``manage.py db_roles``)."""

    append_only_name = "This trail"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(f"{self.append_only_name} is append-only: a row cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{self.append_only_name} is append-only: a row cannot be deleted.")


class AuditEventQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, batch_size=None, **kwargs):
        """Append ``objs`` on the chain, in their order, in one transaction: on PostgreSQL one
        statement whatever their number, which reads the chain's head under its lock and inserts
        (``security.trail.chain_insert``); elsewhere one read of the head and one INSERT
        (``security.trail.chain_extend``). No conflict options: an event is never skipped or
        merged."""
        if kwargs:
            raise ValidationError("Audit events are appended on the chain as they are: no conflict options.")
        objs = list(objs)
        if any(not obj._state.adding or obj.pk is not None for obj in objs):
            raise ValidationError("The audit trail is append-only: only new events are appended.")
        with transaction.atomic(using=self.db, savepoint=False):
            if connections[self.db].vendor == "postgresql":
                created = chain_insert(self.model, objs, using=self.db)  # one statement with the head's read
            else:
                chain_extend(objs, using=self.db)
                created = super().bulk_create(objs, batch_size=batch_size)
            keys = [obj.pk for obj in created]
            if None not in keys and keys != sorted(keys):
                # The chain is walked in key order: keys must follow the order of the chain.
                raise ValidationError("Audit events were given keys out of the order of their chain.")
        return created


class AuditEvent(AppendOnly):
    """Append-only and hash-chained. On PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE
    (migrations 0002 and 0005) and the application's role may only read and insert
    (``manage.py db_roles``); each event's ``hash`` covers its content and the previous event's
    hash (``security.trail``), which ``manage.py audit_verify`` checks."""

    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                             related_name="+", db_constraint=False)
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False,
                                     help_text="The hash of the event before this one (64 zeros for the first).")
    hash = models.CharField(max_length=64, editable=False,
                            help_text="SHA-256 of this event's content and the previous event's hash.")

    append_only_name = "The audit trail"

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        permissions = [("export_auditevent", "Can export the audit trail")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.description}"

    def save(self, *args, **kwargs):
        if not self._state.adding or self.pk is not None:
            raise ValidationError("The audit trail is append-only: an event cannot be changed.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # No savepoint of its own: a failed append fails the caller's transaction anyway.
        with transaction.atomic(using=using, savepoint=False):
            if connections[using].vendor == "postgresql" and not (args or set(kwargs) - {"using"}):
                chain_insert(type(self), [self], using=using)  # the head's read and the INSERT in one statement
                return
            chain_append(self, using=using)
            super().save(*args, **kwargs)
