"""Allergy tests: test injections placed, their reading, and allergies they revealed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from pistor.allergytests.constants import Result
from pistor.core.models import ClinicScopedModel
from pistor.records.models import SignedRecord


class AllergyTest(ClinicScopedModel):
    """Small test injections of the products to be used, placed before a first session and
    watched for a delayed reaction (REFERENCE §5.5; seed 001)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="allergy_tests"
    )
    placed_at = models.DateTimeField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sites = models.CharField(max_length=200, help_text="Where, e.g. 'left forearm, inner'.")
    products = models.JSONField(help_text="Catalog product codes tested.")
    batches = models.CharField(
        max_length=500, blank=True, help_text="Lot numbers of the products, as printed."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-placed_at"])]

    def __str__(self) -> str:
        return f"allergy test {self.pk}"


class AllergyTestReading(SignedRecord):
    """The reading of a test: when, by whom, and the result. Signed by the reader as it is
    recorded, so the database refuses any later change; a correction is an addendum shown
    beside it."""

    test = models.OneToOneField(AllergyTest, on_delete=models.PROTECT, related_name="reading")
    read_at = models.DateTimeField()
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(max_length=15, choices=Result.choices)
    notes = models.TextField(blank=True)

    class Meta(SignedRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"reading of test {self.test_id}: {self.result}"

    def signable_content(self) -> dict[str, Any]:
        return {
            "reading": self.pk,
            "clinic": self.clinic_id,
            "test": self.test_id,
            "patient": self.test.patient_id,
            "placed_at": self.test.placed_at,
            "products": list(self.test.products),
            "read_at": self.read_at,
            "read_by": self.read_by_id,
            "result": self.result,
            "notes": self.notes,
        }


class RecordedAllergy(ClinicScopedModel):
    """An allergy the clinic recorded on the patient: an ingredient they reacted to, with the
    catalog allergen codes that ingredient carries, so the screen refuses it from then on."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="recorded_allergies"
    )
    ingredient = models.CharField(max_length=80, help_text="Catalog ingredient code.")
    allergens = models.JSONField(default=list, blank=True, help_text="Allergen fact codes.")
    reading = models.ForeignKey(
        AllergyTestReading, on_delete=models.PROTECT, null=True, related_name="allergies"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"allergy to {self.ingredient}"
