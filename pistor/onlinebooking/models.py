"""Online booking: whether a clinic takes bookings on its public page, and each booking
made there (which patient record it went to, and whether reception should check it)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.onlinebooking.constants import (
    DEFAULT_CHANGE_CUTOFF_HOURS,
    DEFAULT_DAYS_AHEAD,
    DEFAULT_MIN_NOTICE_HOURS,
    MAX_DAYS_AHEAD,
    ReviewReason,
)


class OnlineBookingSettings(ClinicScopedModel):
    """A clinic's public booking page: on or off, how far ahead it shows free times, and
    until when a patient may cancel or move a visit themselves. Which visit types are
    offered is the types' own "online bookable" flag."""

    enabled = models.BooleanField(
        default=False, help_text="Patients may book on the clinic's public page."
    )
    days_ahead = models.PositiveSmallIntegerField(
        default=DEFAULT_DAYS_AHEAD,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS_AHEAD)],
        help_text="How many days of free times the page shows.",
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_MIN_NOTICE_HOURS,
        validators=[MaxValueValidator(14 * 24)],
        help_text="The earliest a visit may start after it is booked online.",
    )
    change_cutoff_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_CHANGE_CUTOFF_HOURS,
        validators=[MaxValueValidator(14 * 24)],
        help_text="Patients may cancel or move online until this many hours before the visit.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="online_booking_settings_once"),
        ]


class OnlineBooking(ClinicScopedModel):
    """A visit a patient booked on the public page. ``needs_review`` marks a registration
    reception should check (the email or the name and birth date match another record)."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    new_patient = models.BooleanField(
        default=False, help_text="The booking registered a new patient."
    )
    needs_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=30, choices=ReviewReason.choices, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "needs_review"], name="onlinebooking_review")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(needs_review=False) | ~models.Q(review_reason=""),
                name="online_booking_review_has_reason",
            ),
        ]
