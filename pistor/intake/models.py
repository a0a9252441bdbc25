"""The intake: a patient's medical history, versioned, and the links to fill it in."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.intake.constants import (
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    Activity,
    IntakeSource,
    IntakeStatus,
    Smoking,
    SunExposure,
)


class IntakeForm(ClinicScopedModel):
    """One submission of a patient's medical history: conditions, medicines, allergies,
    pregnancy, lifestyle, weight and skin type, as the catalog's screening codes.

    Never edited: every submission is a new version, and the latest complete one is what the
    safety screen, suggestions, plans and the session gate read. Earlier versions stay as
    they were written.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="intake_forms"
    )
    version = models.PositiveIntegerField(help_text="1 for the first submission, then 2, 3 …")
    status = models.CharField(max_length=10, choices=IntakeStatus.choices)
    source = models.CharField(max_length=10, choices=IntakeSource.choices)
    conditions = models.JSONField(default=list, blank=True, help_text="Condition codes.")
    medications = models.JSONField(
        default=list, blank=True, help_text="Medicine and supplement codes."
    )
    allergens = models.JSONField(default=list, blank=True, help_text="Allergen codes.")
    other_history = models.TextField(
        blank=True, help_text="Anything else the patient wants us to know, in their words."
    )
    pregnant = models.BooleanField(null=True, blank=True)
    breastfeeding = models.BooleanField(null=True, blank=True)
    previous_treatments = models.TextField(
        blank=True, help_text="Earlier aesthetic treatments at the areas, with rough dates."
    )
    smoking = models.CharField(max_length=10, choices=Smoking.choices, blank=True)
    sun_exposure = models.CharField(max_length=10, choices=SunExposure.choices, blank=True)
    activity = models.CharField(max_length=10, choices=Activity.choices, blank=True)
    diet = models.TextField(blank=True, help_text="Diet, in the patient's words.")
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(WEIGHT_MIN_KG), MaxValueValidator(WEIGHT_MAX_KG)],
        help_text=f"Kilograms, {WEIGHT_MIN_KG} to {WEIGHT_MAX_KG}.",
    )
    fitzpatrick = models.PositiveSmallIntegerField(
        "Fitzpatrick skin type",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member of staff who recorded it; empty when the patient did.",
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="intake_version_unique"),
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=True)
                | models.Q(weight_kg__gte=WEIGHT_MIN_KG, weight_kg__lte=WEIGHT_MAX_KG),
                name="intake_weight_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(fitzpatrick__isnull=True)
                | models.Q(fitzpatrick__gte=1, fitzpatrick__lte=6),
                name="intake_fitzpatrick_1_to_6",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status", "-version"])]

    def __str__(self) -> str:
        return f"intake v{self.version} ({self.status})"


class IntakeLink(ClinicScopedModel):
    """A single-use, expiring link sent to a patient to fill in their intake on a phone.

    Only the SHA-256 of the token is stored: a copy of the database cannot open a link.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="intake_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    intake = models.ForeignKey(
        IntakeForm, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"intake link for patient {self.patient_id}"
