"""The consultation: assessment, checklist, baseline and screen, and overrides of warnings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pistor.consultations.constants import Anaesthesia
from pistor.core.models import ClinicScopedModel


class Consultation(ClinicScopedModel):
    """A practitioner's assessment before treatment: indications and areas, what is seen at
    each area, the catalog's consultation checklist, expectations and alternatives discussed,
    the anaesthesia plan, baseline scale scores and the contraindication screen as it stood.

    Each consultation is a new record; the latest is what the gate screens the plan against.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consultations"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    consulted_at = models.DateTimeField()
    indications = models.JSONField(help_text="Indication codes of the catalog.")
    areas = models.JSONField(help_text="The areas to treat, e.g. 'abdomen'.")
    area_findings = models.JSONField(
        default=dict, blank=True, help_text="Area → what is seen there (infection, herpes …)."
    )
    products = models.JSONField(
        default=list, blank=True, help_text="Products or ingredients discussed (catalog codes)."
    )
    checklist = models.JSONField(
        default=dict, help_text="Checklist point → {'done': bool, 'note': text}."
    )
    expectations_discussed = models.BooleanField(default=False)
    alternatives_discussed = models.BooleanField(default=False)
    discussion_notes = models.TextField(blank=True)
    anaesthesia = models.CharField(
        max_length=20, choices=Anaesthesia.choices, default=Anaesthesia.TOPICAL_CREAM
    )
    baseline_scores = models.JSONField(
        default=dict,
        blank=True,
        help_text="Scale code → {'answers': {...}, 'total': text, 'band': text}.",
    )
    screening = models.JSONField(
        default=list, blank=True, help_text="The screen's findings when it was recorded."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-consulted_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-consulted_at"])]

    def __str__(self) -> str:
        return f"consultation {self.pk}"


class ScreeningOverride(ClinicScopedModel):
    """A practitioner's written decision to go ahead despite named screening warnings.

    Kept as written, never edited; a block can never be overridden (REFERENCE §3–§4).
    """

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="overrides"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screening_overrides"
    )
    finding_codes = models.JSONField(help_text="The warnings gone ahead despite.")
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"override on consultation {self.consultation_id}"
