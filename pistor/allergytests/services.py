"""Writes of allergy tests: placing test injections, and reading them (final once recorded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import formats, timezone

from pistor.allergytests.constants import TEXT_MAX, Result
from pistor.allergytests.models import AllergyTest, AllergyTestReading, RecordedAllergy
from pistor.allergytests.selectors import product_ingredients
from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.gates import MIN_READ_HOURS
from pistor.clinics.models import Clinic
from pistor.core.errors import Conflict, ValidationFailed
from pistor.patients.models import Patient
from pistor.records.models import Addendum
from pistor.records.services import record_add_addendum, record_sign

# A clock a few minutes fast on a tablet should not refuse a test placed "now".
CLOCK_SKEW = dt.timedelta(minutes=5)


def _aware(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationFailed(
            "Give a date and time with its time zone.", fields={name: ["Give a date and time."]}
        )
    return value


def _local(clinic: Clinic, moment: dt.datetime) -> str:
    import zoneinfo

    local = moment.astimezone(zoneinfo.ZoneInfo(clinic.time_zone))
    return formats.date_format(local, "j F Y, H:i")


def allergy_test_place(
    *,
    clinic: Clinic,
    patient: Patient,
    actor: Any,
    placed_at: dt.datetime,
    sites: str,
    products: Sequence[str],
    batches: str = "",
    notes: str = "",
    now: dt.datetime,
) -> AllergyTest:
    """Record test injections placed on the patient: where, with which products and lots."""
    errors: dict[str, list[str]] = {}
    placed_at = _aware(placed_at, "placed_at")
    if placed_at > now + CLOCK_SKEW:
        errors["placed_at"] = ["A test cannot be recorded as placed in the future."]
    sites = (sites or "").strip()
    if not sites:
        errors["sites"] = ["Say where the test injections were placed."]
    elif len(sites) > 200:
        errors["sites"] = ["At most 200 characters."]
    catalog = catalog_for_clinic(clinic=clinic)
    codes = list(dict.fromkeys(p.strip() for p in products if isinstance(p, str) and p.strip()))
    if not codes:
        errors["products"] = ["Choose at least one product tested."]
    unknown = [c for c in codes if c not in catalog.products]
    if unknown:
        errors["products"] = [f"'{c}' is not a product in this clinic's catalog." for c in unknown]
    if len(batches or "") > 500:
        errors["batches"] = ["At most 500 characters."]
    if len(notes or "") > TEXT_MAX:
        errors["notes"] = [f"At most {TEXT_MAX} characters."]
    if errors:
        raise ValidationFailed("The allergy test could not be recorded.", fields=errors)
    with transaction.atomic():
        test = AllergyTest(
            clinic=clinic,
            patient=patient,
            placed_at=placed_at,
            placed_by=actor,
            sites=sites,
            products=codes,
            batches=(batches or "").strip(),
            notes=(notes or "").strip(),
        )
        test.save(force_insert=True)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.ALLERGY_TEST_PLACED,
            subject_type="patient",
            subject_id=patient.pk,
            after={"test": test.pk, "products": codes, "placed_at": placed_at},
        )
    return test


def allergy_test_read(
    *,
    clinic: Clinic,
    test: AllergyTest,
    actor: Any,
    read_at: dt.datetime,
    result: str,
    notes: str = "",
    now: dt.datetime,
) -> AllergyTestReading:
    """Record the reading of a test; a positive one records the allergy on the patient.

    Refused before the clinic's observation window (never under 24 h, REFERENCE §5.5) has
    passed since placing, measured in elapsed time (aware datetimes subtract in UTC, so a
    clock change does not shorten it); refused before placement and in the future. A test
    is read once: the reading is final and never updated.
    """
    read_at = _aware(read_at, "read_at")
    hours = max(MIN_READ_HOURS, clinic.allergy_test_min_read_hours)
    window = dt.timedelta(hours=hours)
    errors: dict[str, list[str]] = {}
    if result not in Result.values:
        errors["result"] = [f"Choose one of: {', '.join(Result.values)}."]
    if read_at > now + CLOCK_SKEW:
        errors["read_at"] = ["A reading cannot be recorded in the future."]
    elif read_at < test.placed_at:
        errors["read_at"] = ["The reading is dated before the test was placed."]
    elif read_at - test.placed_at < window:
        errors["read_at"] = [
            f"Too early to read this test: it must be watched for at least {hours} hours "
            f"after it was placed, so a delayed reaction can show. It can be read from "
            f"{_local(clinic, test.placed_at + window)}."
        ]
    if len(notes or "") > TEXT_MAX:
        errors["notes"] = [f"At most {TEXT_MAX} characters."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)
    if AllergyTestReading.objects.filter(test=test).exists():
        raise Conflict("This test has already been read; a reading is final.")
    try:
        with transaction.atomic():
            reading = AllergyTestReading(
                clinic=clinic,
                test=test,
                read_at=read_at,
                read_by=actor,
                result=result,
                notes=(notes or "").strip(),
            )
            reading.save(force_insert=True)
            # Signed as it is recorded: the reading is the reader's signed observation, and
            # from here the database refuses any change to it; corrections are addenda.
            record_sign(
                record=reading,
                signer=actor,
                now=now,
                event_type=AuditEventType.ALLERGY_TEST_READING_SIGNED,
            )
            allergies: list[str] = []
            if result == Result.POSITIVE:
                allergies = _record_allergies(clinic, test, reading)
            audit_record(
                clinic=clinic,
                actor=actor,
                event_type=AuditEventType.ALLERGY_TEST_READ,
                subject_type="patient",
                subject_id=test.patient_id,
                after={
                    "test": test.pk,
                    "result": result,
                    "read_at": read_at,
                    "allergies": allergies,
                },
            )
    except IntegrityError:
        raise Conflict("This test has already been read; a reading is final.") from None
    return reading


def _record_allergies(clinic: Clinic, test: AllergyTest, reading: AllergyTestReading) -> list[str]:
    catalog = catalog_for_clinic(clinic=clinic)
    ingredients: set[str] = set()
    for code in test.products:
        ingredients |= product_ingredients(catalog, code)
    rows = []
    for code in sorted(ingredients):
        ingredient = catalog.ingredients.get(code)
        allergens = list(ingredient.allergens) if ingredient is not None else []
        rows.append(
            RecordedAllergy(
                clinic=clinic,
                patient_id=test.patient_id,
                ingredient=code,
                allergens=allergens,
                reading=reading,
            )
        )
    RecordedAllergy.objects.bulk_create(rows)
    return sorted(ingredients)


def allergy_reading_add_addendum(
    *, reading: AllergyTestReading, author: Any, text: str, reason: str
) -> Addendum:
    """A correction or note beside a signed reading; the reading itself never changes."""
    return record_add_addendum(record=reading, author=author, text=text, reason=reason)
