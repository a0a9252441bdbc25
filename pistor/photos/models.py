"""Clinical photographs: standard views of the treated areas, taken at a visit.

The image bytes are not in the database: each photograph keeps three files in the
photographs storage (the original with every metadata removed, a screen-size rendition
and a thumbnail), made once at upload and only ever streamed by an audited view.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.photos.constants import NOTE_MAX, PhotoView, Rendition


class Photo(ClinicScopedModel):
    """One standard-view photograph of a patient, optionally from a treatment session,
    resting on the photograph consent in force when it was taken. A withdrawn photograph
    keeps its row (who, when, why) but its files are deleted."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The treatment session the photograph was taken at, if any.",
    )
    view = models.CharField(
        max_length=30,
        choices=PhotoView.choices,
        help_text="The standard view: photographs of the same view are compared.",
    )
    taken_at = models.DateTimeField()
    consent = models.ForeignKey(
        "consents.Consent",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The patient's signed photograph consent this photograph was taken under.",
    )
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    image_format = models.CharField(max_length=10, help_text="JPEG, PNG or WEBP.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_key = models.CharField(max_length=300)
    display_key = models.CharField(max_length=300)
    thumb_key = models.CharField(max_length=300)
    original_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the stored original (metadata removed)."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-taken_at", "-pk"]
        indexes = [
            models.Index(fields=["clinic", "patient", "view", "taken_at"]),
            models.Index(fields=["clinic", "session"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(view__in=PhotoView.values), name="photos_photo_view_known"
            ),
            models.CheckConstraint(
                condition=models.Q(width__gt=0) & models.Q(height__gt=0),
                name="photos_photo_has_pixels",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdraw_reason=""),
                name="photos_photo_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Photograph {self.pk} ({self.view})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def key_for(self, rendition: str) -> str:
        return {
            Rendition.ORIGINAL: self.original_key,
            Rendition.DISPLAY: self.display_key,
            Rendition.THUMB: self.thumb_key,
        }[Rendition(rendition)]
