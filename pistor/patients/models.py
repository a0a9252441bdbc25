"""The patient registry: who the clinic's patients are and how to reach them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from pistor.core.models import ClinicScopedModel
from pistor.patients.constants import (
    MAX_AGE_YEARS,
    PHONE_MAX_DIGITS,
    PHONE_MIN_DIGITS,
    FitzpatrickType,
    Sex,
)

_PHONE_CHARS = re.compile(r"^[0-9+()\-\s]+$")
# The database refuses dates before this whatever the day; clean() applies the rolling limit.
EARLIEST_BIRTH_DATE = dt.date(1890, 1, 1)


def validate_phone(value: str) -> None:
    if not _PHONE_CHARS.match(value):
        raise ValidationError(
            "Use digits, spaces, +, brackets and dashes only, e.g. +44 7700 900123.",
            code="phone_characters",
        )
    count = sum(ch.isdigit() for ch in value)
    if not PHONE_MIN_DIGITS <= count <= PHONE_MAX_DIGITS:
        raise ValidationError(
            f"A phone number has {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits; "
            f"this one has {count}.",
            code="phone_length",
        )


def validate_date_of_birth(value: dt.date) -> None:
    today = timezone.localdate()
    if value > today:
        raise ValidationError("The date of birth cannot be in the future.", code="dob_future")
    oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=min(today.day, 28))
    if value < oldest or value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            f"That would make the patient older than {MAX_AGE_YEARS}; please check the year.",
            code="dob_too_old",
        )


class PatientNumberSequence(ClinicScopedModel):
    """The last record number a clinic gave out; its row is locked while the next is taken."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic"], name="patient_number_sequence_one_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"clinic {self.clinic_id}: {self.last_number}"


class Patient(ClinicScopedModel):
    """A person the clinic assesses or treats: identity, contacts, GP and skin phototype.

    Clinical history lives in the consultation and treatment records that point here. A
    patient with history is archived, never deleted, so the record stays complete.
    """

    record_number = models.CharField(
        max_length=20,
        editable=False,
        help_text="The clinic's reference for this patient, given automatically.",
    )
    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    date_of_birth = models.DateField(validators=[validate_date_of_birth])
    sex = models.CharField(
        max_length=10,
        choices=Sex.choices,
        default=Sex.UNKNOWN,
        help_text="Sex as recorded for administration; gender identity can go in the notes.",
    )
    phone = models.CharField(
        max_length=32, blank=True, validators=[validate_phone], help_text="Mobile preferred."
    )
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    preferred_language = models.CharField(
        max_length=60, blank=True, help_text="The language to speak and write to them in."
    )
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(
        max_length=32, blank=True, validators=[validate_phone]
    )
    gp_name = models.CharField("GP name", max_length=200, blank=True)
    gp_contact = models.TextField(
        "GP practice and contact", blank=True, help_text="Practice name, address or phone."
    )
    fitzpatrick_type = models.PositiveSmallIntegerField(
        "Fitzpatrick skin type",
        choices=FitzpatrickType.choices,
        null=True,
        blank=True,
        help_text="Skin phototype I–VI; higher types scar and pigment more easily.",
    )
    notes = models.TextField(blank=True, help_text="Administrative notes, not clinical findings.")

    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    archive_reason = models.TextField(blank=True, editable=False)

    # Maintained by the services (not save()) from names, record number, email and phones.
    search_text = models.CharField(max_length=1000, blank=True, editable=False)
    # "alvarez jose": lists sort Álvarez with the A's, whatever the database's collation.
    sort_name = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["sort_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="patient_unique_record_number"
            ),
            models.CheckConstraint(
                condition=models.Q(fitzpatrick_type__isnull=True)
                | models.Q(fitzpatrick_type__gte=1, fitzpatrick_type__lte=6),
                name="patient_fitzpatrick_1_to_6",
            ),
            models.CheckConstraint(
                condition=models.Q(sex__in=[s.value for s in Sex]), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(date_of_birth__gte=EARLIEST_BIRTH_DATE),
                name="patient_dob_plausible",
            ),
            models.CheckConstraint(
                condition=~models.Q(given_name="") & ~models.Q(family_name=""),
                name="patient_names_present",
            ),
            # An archived patient always says why.
            models.CheckConstraint(
                condition=models.Q(archived_at__isnull=True) | ~models.Q(archive_reason=""),
                name="patient_archive_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "sort_name"]),
            models.Index(fields=["clinic", "date_of_birth"]),
            models.Index(fields=["clinic", "search_text"]),
            models.Index(fields=["clinic", "archived_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.record_number})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, day: dt.date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    def validate_constraints(self, exclude: Any = None) -> None:
        """Skipped: the database enforces every constraint above on write, and Django's
        check would send one more query per constraint first (issue 7 §5). The services
        turn the database's refusal into a field message (refusal_from_integrity_error)."""

    def clean(self) -> None:
        if self.archived_at is not None and not self.archive_reason.strip():
            raise ValidationError({"archive_reason": "Say why the patient is being archived."})
