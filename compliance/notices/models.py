"""Versioned privacy notices and terms, and the purposes of processing with their legal basis.

Public schema: one set for every store. A notice is never edited once published; a change is a
new version (a new row). A notice names the purposes it changes materially, and consent given
under an earlier version no longer counts for those (LGPD Art. 8 §6, Art. 9 §2).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compliance.notices.errors import NoticePublished


class LegalBasis(models.TextChoices):
    """The hypotheses of LGPD Art. 7 that apply to a SaaS (III, IV, VII and VIII do not)."""

    CONSENT = "consent", _("Consent (Art. 7 I)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal or regulatory obligation (Art. 7 II)")
    CONTRACT = "contract", _("Performance of a contract (Art. 7 V)")
    LEGAL_CLAIMS = "legal_claims", _("Exercise of rights in proceedings (Art. 7 VI)")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (Art. 7 IX)")
    CREDIT_PROTECTION = "credit_protection", _("Credit protection (Art. 7 X)")


class Purpose(models.Model):
    """Why we process personal data. ``code`` is what the consent ledger stores: never renamed."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField()
    legal_basis = models.CharField(max_length=24, choices=LegalBasis.choices)
    needs_consent = models.BooleanField(
        default=False, help_text="Nothing for this purpose runs without a current consent."
    )
    data_categories = models.TextField(help_text="Which personal data the purpose uses.")
    recipients = models.TextField(blank=True, help_text="Who receives it (Stripe, ML, …).")
    retention = models.TextField(help_text="How long it is kept, and why.")
    active = models.BooleanField(default=True, help_text="Retired purposes stay for the record.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            # Consent is the basis exactly when consent is needed (Art. 8 §4: specific purposes).
            models.CheckConstraint(
                condition=Q(needs_consent=True, legal_basis="consent")
                | (Q(needs_consent=False) & ~Q(legal_basis="consent")),
                name="purpose_consent_basis_matches",
            )
        ]

    def __str__(self) -> str:
        return self.name


class NoticeKind(models.TextChoices):
    PRIVACY = "privacy", "Privacy notice"
    TERMS = "terms", "Terms of service"


class Notice(models.Model):
    """One version of the privacy notice or the terms. Published versions are read-only."""

    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    version = models.CharField(max_length=32, help_text="e.g. 2026-12-01; unique per kind.")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown: headings (#), lists (-), **bold**, [links](…).")
    summary_of_changes = models.TextField(blank=True)
    effective_at = models.DateTimeField(help_text="When this version starts to apply.")
    reconsent_purposes = models.ManyToManyField(
        Purpose,
        blank=True,
        related_name="+",
        help_text="Purposes this version changes materially: consent given before it lapses.",
    )
    published = models.BooleanField(default=False, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-effective_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="notice_kind_version"),
            models.CheckConstraint(
                condition=Q(published=False) | Q(published_at__isnull=False),
                name="notice_published_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "published", "-effective_at"], name="notice_current")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            stored = Notice.objects.filter(pk=self.pk, published=True).exists()
            if stored:
                raise NoticePublished("A published notice cannot change; create a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if Notice.objects.filter(pk=self.pk, published=True).exists():
            raise NoticePublished("A published notice cannot be deleted; it is the record.")
        return super().delete(*args, **kwargs)
