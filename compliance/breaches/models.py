"""Breach cases on the ANPD clock (LGPD Art. 48, Res. CD/ANPD 15/2024).

A ``BreachCase`` is one security incident, from awareness through the runbook's four phases
(containment, assessment, notification, recovery) to closing. Together the cases are the incident
register that Res. 15/2024 art. 10 asks to keep for at least 5 years, incidents not notified
included. Staff are named by e-mail, not by a foreign key: users live in every schema.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from compliance.breaches import deadlines
from tenants.models import Tenant

RETENTION_YEARS = 5


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Phase(models.TextChoices):
    """The runbook's phases in order; a case is in exactly one."""

    CONTAINMENT = "containment", "Containment"
    ASSESSMENT = "assessment", "Assessment"
    NOTIFICATION = "notification", "Notification"
    RECOVERY = "recovery", "Recovery"
    CLOSED = "closed", "Closed"


PHASE_ORDER: list[str] = [str(p) for p in Phase]

# Art. 48 §1: the minimum content of a notice, field name -> what the law calls it.
ART48_FIELDS: dict[str, str] = {
    "data_nature": "I - nature of the affected personal data",
    "subject_categories": "II - data subjects involved (categories)",
    "security_measures": "III - technical and security measures used to protect the data",
    "risks": "IV - risks related to the incident",
    "delay_reasons": "V - reasons for the delay (required when notifying late)",
    "mitigation_measures": "VI - measures adopted or to be adopted to reverse or mitigate",
}


class BreachCase(models.Model):
    """One security incident that (may have) affected personal data."""

    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What happened, as known so far.")
    awareness_at = models.DateTimeField(
        help_text="When Peepers became aware that personal data was affected; the clock starts."
    )
    detected_by = models.CharField(max_length=200, help_text="Who detected it (person, system).")
    detection_method = models.CharField(
        max_length=200, blank=True, help_text="How (alert, customer report, audit, ...)."
    )
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(
        max_length=16, choices=Phase.choices, default=Phase.CONTAINMENT, db_index=True
    )
    is_drill = models.BooleanField(
        default=False, db_index=True, help_text="A breach_drill exercise, not a real incident."
    )
    notification_due_at = models.DateTimeField(
        editable=False, help_text="3 business days after awareness (deadlines.py)."
    )

    # Phase timestamps and who acted (staff e-mail). A phase starts when the previous finishes.
    containment_started_at = models.DateTimeField()
    containment_started_by = models.CharField(max_length=254)
    containment_finished_at = models.DateTimeField(null=True, blank=True)
    containment_finished_by = models.CharField(max_length=254, blank=True)
    assessment_finished_at = models.DateTimeField(null=True, blank=True)
    assessment_finished_by = models.CharField(max_length=254, blank=True)
    notification_finished_at = models.DateTimeField(null=True, blank=True)
    notification_finished_by = models.CharField(max_length=254, blank=True)
    recovery_finished_at = models.DateTimeField(null=True, blank=True)
    recovery_finished_by = models.CharField(max_length=254, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=254, blank=True)

    # Containment and assessment notes.
    affected_systems = models.TextField(blank=True)
    containment_actions = models.TextField(blank=True)
    evidence_location = models.TextField(blank=True, help_text="Where forensic evidence is kept.")
    timeline = models.TextField(blank=True)

    # Art. 48 §1 minimum content (required before notification is recorded).
    data_nature = models.TextField(blank=True, verbose_name="nature of the affected data")
    subject_categories = models.TextField(
        blank=True, help_text="e.g. sellers (account owners), buyers in orders"
    )
    subjects_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Data subjects affected (best estimate)."
    )
    security_measures = models.TextField(
        blank=True, help_text="Technical and security measures protecting the data."
    )
    risks = models.TextField(blank=True, help_text="Risks to the data subjects.")
    delay_reasons = models.TextField(blank=True, help_text="Why notification was not immediate.")
    mitigation_measures = models.TextField(
        blank=True, help_text="Measures adopted or to be adopted to reverse or mitigate effects."
    )
    data_unintelligible = models.BooleanField(
        default=False, help_text="The data was rendered unintelligible (e.g. encrypted), §3."
    )

    # The decision to notify, and the notices.
    notification_required = models.BooleanField(
        null=True,
        blank=True,
        help_text="Relevant risk or harm (Res. 15/2024 art. 5)? Decided in assessment.",
    )
    not_notified_reason = models.TextField(
        blank=True, help_text="Why the ANPD and subjects were not notified (kept in the register)."
    )
    anpd_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    anpd_protocol = models.CharField(
        max_length=100, blank=True, help_text="ANPD's protocol number."
    )
    subjects_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    subjects_notice_channel = models.CharField(
        max_length=200, blank=True, help_text="e-mail, in-app notice, public notice for 90 days"
    )
    tenants_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Recovery.
    recovery_actions = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)

    affected_tenants: models.ManyToManyField[Tenant, AffectedTenant] = models.ManyToManyField(
        Tenant, through="AffectedTenant", related_name="breach_cases", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-awareness_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PHASE_ORDER), name="breachcase_status_valid"
            ),
        ]

    def __str__(self) -> str:
        prefix = "[drill] " if self.is_drill else ""
        return f"{prefix}#{self.pk} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.notification_due_at = deadlines.notification_deadline(self.awareness_at)
        update_fields = kwargs.get("update_fields")
        if isinstance(update_fields, list | tuple | set) and "awareness_at" in update_fields:
            kwargs["update_fields"] = {*update_fields, "notification_due_at"}
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        if self.awareness_at is not None and self.awareness_at > timezone.now():
            raise ValidationError({"awareness_at": "Awareness cannot be in the future."})

    @property
    def keep_until(self) -> date:
        """Kept at least 5 years (Res. 15/2024 art. 10), counted from closing when closed."""
        start: datetime = self.closed_at or self.awareness_at
        day = deadlines.local_date(start)
        try:
            return day.replace(year=day.year + RETENTION_YEARS)
        except ValueError:  # 29 February
            return day.replace(year=day.year + RETENTION_YEARS, day=28)

    @property
    def phase_deadlines(self) -> dict[str, datetime]:
        return deadlines.phase_deadlines(self.awareness_at)

    @property
    def notified(self) -> bool:
        return self.anpd_notified_at is not None and self.subjects_notified_at is not None

    def missing_art48_fields(self, *, at: datetime) -> list[str]:
        """The Art. 48 §1 items still empty for a notice sent at ``at``."""
        missing = [
            label
            for name, label in ART48_FIELDS.items()
            if name != "delay_reasons" and not str(getattr(self, name)).strip()
        ]
        if self.subjects_count is None:
            missing.insert(2, "II - number of data subjects")
        if at > self.notification_due_at and not self.delay_reasons.strip():
            missing.append(ART48_FIELDS["delay_reasons"])
        return missing


class AffectedTenant(models.Model):
    """A store affected by a case. Name and slug are copied so the register outlives the store."""

    case = models.ForeignKey(BreachCase, on_delete=models.CASCADE, related_name="affected")
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, blank=True)
    tenant_name = models.CharField(max_length=120, blank=True, editable=False)
    tenant_slug = models.CharField(max_length=63, blank=True, editable=False)
    subjects_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Data subjects of this store affected."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "tenant"], name="breach_affected_once"),
        ]

    def __str__(self) -> str:
        return self.tenant_name or self.tenant_slug or "(store removed)"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.tenant is not None:
            self.tenant_name, self.tenant_slug = self.tenant.name, self.tenant.schema_name
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class DrillOutcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class BreachDrill(models.Model):
    """One run of ``breach_drill``: evidence that the procedure was tested (runbook checklist)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    run_by = models.CharField(max_length=254)
    outcome = models.CharField(max_length=16, choices=DrillOutcome.choices)
    duration_ms = models.PositiveIntegerField()
    evidence = models.JSONField(default=dict, help_text="Each step, its result and details.")
    case = models.ForeignKey(
        BreachCase, on_delete=models.SET_NULL, null=True, blank=True, related_name="drills"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"drill {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class BreachAlert(models.Model):
    """An alert sent for a case's deadline; the unique key makes it once per case and threshold."""

    case = models.ForeignKey(BreachCase, on_delete=models.CASCADE, related_name="alerts")
    deadline = models.CharField(max_length=32, help_text="notification, or a phase name")
    threshold = models.CharField(max_length=16, help_text="near or overdue")
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "deadline", "threshold"], name="breach_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.deadline} {self.threshold}"
