"""Clinics (the tenants) and the staff memberships that give people a role in one."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pistor.clinical.gates import MIN_READ_HOURS
from pistor.clinical.safety import ScreeningSettings
from pistor.core.models import TimeStampedModel


class AllergyTestPolicy(models.TextChoices):
    """When a patient needs test injections before a product is used on them."""

    EVERY_NEW_PATIENT = "every-new-patient", "Every product, for every new patient"
    NEW_INGREDIENTS = "new-ingredients", "Only products bringing an ingredient not yet tested"


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    NURSE = "nurse", "Nurse"
    RECEPTION = "reception", "Reception"
    MANAGER = "manager", "Clinic manager"


#: The longest test in REFERENCE.md, Bellafill's skin test, is read at four weeks [S59c].
MAX_READ_HOURS = 30 * 24
#: The skin type from which the screen warns of pigmentation, unless the clinic chooses.
FITZPATRICK_THRESHOLD_DEFAULT = ScreeningSettings().fitzpatrick_threshold
FITZPATRICK_MIN, FITZPATRICK_MAX = 1, 6


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
            ),
            MaxValueValidator(
                MAX_READ_HOURS,
                message=f"At most {MAX_READ_HOURS} hours (30 days): longer than any test "
                "in the reference waits before it is read.",
            ),
        ],
        help_text="How long after placing the test injections they may be read, in hours "
        f"(at least {MIN_READ_HOURS}).",
    )
    allergy_test_policy = models.CharField(
        max_length=20,
        choices=AllergyTestPolicy.choices,
        default=AllergyTestPolicy.EVERY_NEW_PATIENT,
        help_text="Whether each product needs its own negative test on the patient, or only "
        "products that bring an ingredient the patient has not yet tested negative to.",
    )
    allergy_test_also_required = models.JSONField(
        default=list,
        blank=True,
        help_text="Product codes this clinic tests for even where the catalog marks them "
        "exempt. A clinic can add products here, never exempt one the catalog requires.",
    )
    # The two screening choices below exist because the sources disagree (REFERENCE.md
    # marks them unverified or conflicting); label limits are never settings.
    fitzpatrick_pigmentation_threshold = models.PositiveSmallIntegerField(
        default=FITZPATRICK_THRESHOLD_DEFAULT,
        validators=[
            MinValueValidator(FITZPATRICK_MIN, message="Fitzpatrick skin types run from 1 to 6."),
            MaxValueValidator(FITZPATRICK_MAX, message="Fitzpatrick skin types run from 1 to 6."),
        ],
        help_text="The lowest Fitzpatrick skin type (1 to 6) for which the safety screen warns "
        "that an ingredient may darken the skin.",
    )
    caution_severity_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text="Where the sources disagree, how firmly this clinic treats a caution: "
        "patient fact code → block, warn or info. Facts left out keep the catalog's severity.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allergy_test_min_read_hours__gte=MIN_READ_HOURS),
                name="clinic_allergy_read_at_least_24h",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    fitzpatrick_pigmentation_threshold__gte=FITZPATRICK_MIN,
                    fitzpatrick_pigmentation_threshold__lte=FITZPATRICK_MAX,
                ),
                name="clinic_fitzpatrick_threshold_1_to_6",
            ),
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
