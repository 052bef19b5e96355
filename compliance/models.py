"""Data-subject requests (LGPD Arts. 18-19) and the erasure ledger (public schema).

A request about a buyer belongs to the store whose seller is the controller; a request from a
seller's user is about Peepers' own processing. Both carry the store, the subject and the legal
clock. The erasure ledger records what each erasure changed, by model, so the same erasure can
be replayed after a backup is restored.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


class RequestKind(models.TextChoices):
    # Shown to sellers in the privacy center's open requests.
    CONFIRMATION = "confirmation", _("Confirmation of processing")
    ACCESS = "access", _("Access to the data")
    CORRECTION = "correction", _("Correction")
    ERASURE = "erasure", _("Anonymization, blocking or deletion")
    PORTABILITY = "portability", _("Portability")
    SHARING = "sharing", _("Information about sharing")
    CONSENT_REVOCATION = "consent_revocation", _("Consent revocation")


class RequestScope(models.TextChoices):
    SELLER_USER = "seller_user", "A user of Peepers (Peepers is the controller)"
    BUYER = "buyer", "A buyer in a store (the seller is the controller)"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"


class IdentityState(models.TextChoices):
    PENDING = "pending", "Not verified yet"
    VERIFIED = "verified", "Verified"
    FAILED = "failed", "Could not be verified"


class VerificationMethod(models.TextChoices):
    """How the person handling a request confirmed that the requester is the subject."""

    LOGIN = "login", _("Signed in to their own account")
    ML_MESSAGE = "ml_message", _("Mercado Livre message from the buyer's account")
    EMAIL_REPLY = "email_reply", _("Reply from the e-mail address on record")
    DOCUMENT = "document", _("Identity document checked")
    OTHER = "other", _("Other (described in the note)")


class ConfirmationState(models.TextChoices):
    """The confirmation sent to the subject once their data is erased (Art. 19 I, Art. 18 §6)."""

    NONE = "", "—"
    PENDING = "pending", _("To be sent")
    SENT = "sent", _("Sent")


class RequestChannel(models.TextChoices):
    """Where a request came in; the answer goes back the same way."""

    EMAIL = "e-mail", _("E-mail")
    ML_MESSAGE = "ML message", _("Mercado Livre message")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in person", _("In person")
    PRIVACY_CENTER = "privacy center", _("Privacy center")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class DataSubjectRequest(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="subject_requests")
    scope = models.CharField(max_length=16, choices=RequestScope.choices)
    kind = models.CharField(max_length=24, choices=RequestKind.choices)
    subject_email = models.EmailField(max_length=254, blank=True)
    subject_ml_user_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=32, help_text="e-mail, privacy page, admin, ML message…")
    identity = models.CharField(
        max_length=12, choices=IdentityState.choices, default=IdentityState.PENDING
    )
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    received_at = models.DateTimeField()
    simplified_answer_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(help_text="Complete answer due (Art. 19 II).")
    completed_at = models.DateTimeField(null=True, blank=True)
    export_path = models.CharField(max_length=500, blank=True)
    outcome = models.TextField(blank=True)
    handled_by = models.CharField(max_length=254, blank=True)
    filed_by = models.CharField(max_length=254, blank=True, help_text="Who recorded it.")
    contact_email = models.EmailField(
        max_length=254, blank=True, help_text="Where answers by e-mail go (a buyer's address)."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=254, blank=True)
    verification_method = models.CharField(
        max_length=16, choices=VerificationMethod.choices, blank=True
    )
    verification_note = models.TextField(blank=True)
    export_withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="The subject's exports were deleted after an erasure."
    )
    confirmation_state = models.CharField(
        max_length=8, choices=ConfirmationState.choices, blank=True, default=""
    )
    confirmation_to = models.CharField(max_length=254, blank=True)
    confirmation_text = models.TextField(blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="dsr_status_due")]
        constraints = [
            # One open request per store, subject and kind: a duplicate joins the open one.
            models.UniqueConstraint(
                "tenant",
                "scope",
                "kind",
                "subject_email",
                "subject_ml_user_id",
                condition=Q(status__in=["received", "in_progress"]),
                name="dsr_one_open_per_subject_kind",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(Q(scope="buyer") & Q(subject_ml_user_id__isnull=False))
                | (Q(scope="seller_user") & ~Q(subject_email="")),
                name="dsr_subject_identified",
            ),
        ]

    def __str__(self) -> str:
        who = self.subject_email or f"ML {self.subject_ml_user_id}"
        return f"{self.get_kind_display()} for {who} ({self.tenant_id})"


class ErasureStep(models.Model):
    """One model's part of one erasure: done once, replayable after a restore."""

    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.PROTECT, related_name="erasure_steps"
    )
    model_label = models.CharField(max_length=100)
    action = models.CharField(max_length=12)
    rows = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_at"]
        constraints = [
            models.UniqueConstraint("request", "model_label", name="erasure_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.model_label}: {self.action} {self.rows}"


class DataProtectionOfficer(models.Model):
    """The encarregado (LGPD Art. 41): published on the privacy pages, kept current by staff."""

    name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "data protection officer (encarregado)"

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ComplianceReport(models.Model):
    """One run of the live checklists: each item's result and evidence."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254)
    passed = models.PositiveSmallIntegerField()
    failed = models.PositiveSmallIntegerField()
    unknown = models.PositiveSmallIntegerField()
    results = models.JSONField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}: {self.passed} pass, {self.failed} fail"


class ChecklistAttestation(models.Model):
    """A named person's statement that a checklist item holds where no check can see it (a
    review, a self-assessment questionnaire). Rows are only added: the latest one still valid
    is the item's attestation."""

    item = models.CharField(max_length=200)
    statement = models.TextField()
    attested_by = models.EmailField(max_length=254)
    attested_at = models.DateTimeField()
    valid_until = models.DateTimeField()

    class Meta:
        ordering = ["-attested_at"]
        indexes = [models.Index(fields=["item", "-attested_at"], name="attestation_item_at")]

    def __str__(self) -> str:
        return f"{self.item}: {self.attested_by} on {self.attested_at:%Y-%m-%d}"


class ErasedSubject(models.Model):
    """The suppression list: a subject whose erasure was carried out in a store.

    Every writer of Mercado Livre data consults it before writing (``compliance.dsr.
    suppression``), so the next sync or notification does not bring the subject back. A buyer
    is recognised by their ML user id, which every order and question ML sends carries; no
    nickname or e-mail is kept here (the request records whom it was about).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="erased_subjects")
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.PROTECT, related_name="erased_subjects"
    )
    ml_user_id = models.BigIntegerField(null=True, blank=True, help_text="Buyers only.")
    erased_at = models.DateTimeField()

    class Meta:
        ordering = ["erased_at"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "ml_user_id",
                condition=Q(ml_user_id__isnull=False),
                name="erased_buyer_once_per_store",
            ),
            models.UniqueConstraint("request", name="erased_subject_once_per_request"),
        ]

    def __str__(self) -> str:
        return f"{self.request} erased {self.erased_at:%Y-%m-%d}"
