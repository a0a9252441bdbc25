"""Clinics (the tenants) and the staff memberships that give people a role in one."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from pistor.clinical.gates import MIN_READ_HOURS
from pistor.core.models import TimeStampedModel


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    NURSE = "nurse", "Nurse"
    RECEPTION = "reception", "Reception"
    MANAGER = "manager", "Clinic manager"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a time zone name such as Europe/London.")


class Clinic(TimeStampedModel):
    """A mesotherapy practice: the unit that owns patients, records and staff roles."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    address = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    currency = models.CharField(
        max_length=3, default="GBP", help_text="ISO 4217 code used for prices and invoices."
    )
    registration_numbers = models.TextField(
        blank=True,
        help_text="Regulator and company registrations shown on documents, one per line.",
    )
    allergy_test_min_read_hours = models.PositiveSmallIntegerField(
        default=MIN_READ_HOURS,
        validators=[
            MinValueValidator(
                MIN_READ_HOURS,
                message=f"A test injection is read at least {MIN_READ_HOURS} hours after it "
                "is placed; a clinic may wait longer, never less.",
            )
        ],
        help_text="How long after placing the test injections they may be read, in hours "
        f"(at least {MIN_READ_HOURS}).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allergy_test_min_read_hours__gte=MIN_READ_HOURS),
                name="clinic_allergy_read_at_least_24h",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A person's role at one clinic; a person may work at several clinics."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic"], name="membership_unique_user_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.clinic} ({self.get_role_display()})"
