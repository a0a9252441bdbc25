"""Reads of the intake, and THE one place a patient's clinical facts are assembled.

``patient_facts_get`` is what every screen, suggestion, plan and session gate reads: the
latest complete intake, plus the allergies the clinic recorded (positive allergy tests).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pistor.allergytests.models import RecordedAllergy
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Catalog, FactKind
from pistor.clinical.safety import PatientFacts
from pistor.core.errors import NotFound
from pistor.intake.constants import IntakeStatus
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.patients.constants import Sex
from pistor.patients.models import Patient

# Enough for any real history on a page; older versions are reached by their number.
HISTORY_LIMIT = 50


def intake_latest_complete(*, patient: Patient) -> IntakeForm | None:
    """The newest complete intake of the patient (one query), or None."""
    return (
        IntakeForm.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient, status=IntakeStatus.COMPLETE)
        .order_by("-version")
        .first()
    )


def intake_list(*, patient: Patient, limit: int = HISTORY_LIMIT) -> list[IntakeForm]:
    """The patient's intake versions, newest first (one query, at most ``limit``)."""
    return list(
        IntakeForm.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .select_related("submitted_by")
        .order_by("-version")[:limit]
    )


def intake_get(*, patient: Patient, version: int) -> IntakeForm:
    form = (
        IntakeForm.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient, version=version)
        .select_related("submitted_by")
        .first()
    )
    if form is None:
        raise NotFound("No such intake version for this patient.")
    return form


def intake_link_list(*, patient: Patient, limit: int = HISTORY_LIMIT) -> list[IntakeLink]:
    return list(
        IntakeLink.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .order_by("-created_at")[:limit]
    )


def _known(catalog: Catalog, codes: object, kind: FactKind) -> frozenset[str]:
    # A code the catalog no longer knows would make the screen refuse to run; the intake
    # validated it when it was written, so a later catalog is the only way to get here.
    if not isinstance(codes, list):
        return frozenset()
    return frozenset(
        c
        for c in codes
        if isinstance(c, str) and c in catalog.facts and catalog.facts[c].kind is kind
    )


def recorded_allergen_codes(*, patient: Patient) -> frozenset[str]:
    """Allergen codes the clinic recorded from positive allergy tests (one query)."""
    rows = (
        RecordedAllergy.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .values_list("allergens", flat=True)
    )
    return frozenset(code for codes in rows for code in (codes or []))


def patient_facts_get(*, patient: Patient, now: dt.datetime) -> PatientFacts:
    """The patient's facts for the clinical core, from the record (two queries).

    Latest complete intake (conditions, medicines, allergies, pregnancy, breastfeeding,
    weight, skin type) and the allergies recorded from positive allergy tests; birth date and
    sex from the registry. Without a complete intake only the registry and recorded allergies
    are known, and the screen says what it cannot check (e.g. no weight for lidocaine).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    catalog = load_catalog()
    intake = intake_latest_complete(patient=patient)
    allergens = recorded_allergen_codes(patient=patient) & frozenset(catalog.facts)
    fitzpatrick = patient.fitzpatrick_type
    sex = None if patient.sex == Sex.UNKNOWN else str(patient.sex)
    if intake is None:
        return PatientFacts(
            birth_date=patient.date_of_birth,
            sex=sex,
            allergens=allergens,
            fitzpatrick=fitzpatrick,
        )
    return PatientFacts(
        birth_date=patient.date_of_birth,
        sex=sex,
        weight_kg=Decimal(intake.weight_kg) if intake.weight_kg is not None else None,
        pregnant=bool(intake.pregnant),
        breastfeeding=bool(intake.breastfeeding),
        conditions=_known(catalog, intake.conditions, FactKind.CONDITION),
        medications=_known(catalog, intake.medications, FactKind.MEDICATION),
        allergens=_known(catalog, intake.allergens, FactKind.ALLERGEN) | allergens,
        fitzpatrick=intake.fitzpatrick or fitzpatrick,
    )


def tool_prefill(*, patient: Patient, now: dt.datetime) -> dict[str, object]:
    """The clinical tools' patient fields, filled from ``patient_facts_get``.

    ``pistor.tools`` uses it when a tool is opened from a patient, so the check starts from
    the record rather than from blank fields.
    """
    facts = patient_facts_get(patient=patient, now=now)
    return {
        "chosen": {
            "conditions": set(facts.conditions),
            "medications": set(facts.medications),
            "allergens": set(facts.allergens),
        },
        "weight_kg": "" if facts.weight_kg is None else str(facts.weight_kg),
        "pregnant": facts.pregnant,
        "breastfeeding": facts.breastfeeding,
    }
