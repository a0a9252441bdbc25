"""Rows of the intake, consultation and allergy-test apps, built directly for tests.

Built without the services so selector tests can set any history cheaply (bulk inserts for
query caps); service tests go through the services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from pistor.allergytests.models import AllergyTest, AllergyTestReading, RecordedAllergy
from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.intake.models import IntakeForm

COMPLETE_ANSWERS: dict[str, Any] = {
    "conditions": [],
    "medications": [],
    "allergens": [],
    "pregnant": False,
    "breastfeeding": False,
    "smoking": "never",
    "sun_exposure": "moderate",
    "activity": "moderate",
    "weight_kg": Decimal("68.0"),
    "fitzpatrick": 2,
}


def make_intake(
    patient: Any, *, version: int = 1, status: str = "complete", **fields: Any
) -> IntakeForm:
    values = {**COMPLETE_ANSWERS, **fields}
    return IntakeForm.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        version=version,
        status=status,
        source="desk",
        **values,
    )


def bulk_intakes(patient: Any, count: int, *, start: int, status: str = "complete") -> None:
    IntakeForm.objects.bulk_create(
        IntakeForm(
            clinic_id=patient.clinic_id,
            patient=patient,
            version=start + i,
            status=status,
            source="desk",
            **COMPLETE_ANSWERS,
        )
        for i in range(count)
    )


def make_test(
    patient: Any,
    by: Any,
    *,
    products: tuple[str, ...] = ("dermaheal-ll",),
    placed_at: dt.datetime | None = None,
    result: str | None = None,
    read_after: dt.timedelta = dt.timedelta(hours=25),
) -> AllergyTest:
    placed = placed_at or timezone.now() - dt.timedelta(days=3)
    test = AllergyTest.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        placed_at=placed,
        placed_by=by,
        sites="left forearm",
        products=list(products),
        batches="LOT1",
    )
    if result is not None:
        from pistor.audit.events import AuditEventType
        from pistor.records.services import record_sign

        reading = AllergyTestReading.objects.create(
            clinic_id=patient.clinic_id,
            test=test,
            read_at=placed + read_after,
            read_by=by,
            result=result,
        )
        # Readings are signed as they are recorded, as the service does.
        record_sign(
            record=reading,
            signer=by,
            now=reading.read_at,
            event_type=AuditEventType.ALLERGY_TEST_READING_SIGNED,
        )
    return test


def make_allergy(patient: Any, ingredient: str, allergens: list[str]) -> RecordedAllergy:
    return RecordedAllergy.objects.create(
        clinic_id=patient.clinic_id, patient=patient, ingredient=ingredient, allergens=allergens
    )


def make_consultation(patient: Any, by: Any, **fields: Any) -> Consultation:
    values: dict[str, Any] = {
        "consulted_at": timezone.now(),
        "indications": ["localised-fat"],
        "areas": ["abdomen"],
        "area_findings": {},
        "products": [],
        "checklist": {},
        **fields,
    }
    return Consultation.objects.create(
        clinic_id=patient.clinic_id, patient=patient, practitioner=by, **values
    )


def make_override(
    consultation: Consultation, by: Any, codes: list[str], reason: str
) -> ScreeningOverride:
    return ScreeningOverride.objects.create(
        clinic_id=consultation.clinic_id,
        consultation=consultation,
        patient_id=consultation.patient_id,
        finding_codes=codes,
        reason=reason,
        by=by,
    )


def full_checklist() -> dict[str, Any]:
    """Every point of the catalog's consultation checklist ticked (for service inputs)."""
    from pistor.clinical.catalog import load_catalog
    from pistor.consultations.services import ChecklistAnswer

    return {item.code: ChecklistAnswer(done=True) for item in load_catalog().checklist}


@pytest.fixture
def moving_clock():
    """The services' clock (``pistor.core.clock``), moved forward by the test, then reset."""
    from pistor.core import clock

    clock.reset()
    yield clock
    clock.reset()
