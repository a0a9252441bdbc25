"""Demo data for the first-visit pathway: Harbour patients at each stage before treatment.

Written through the real services. A patient who already has any intake or intake link is
left alone, so loading the demo again changes nothing and keeps what was tried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from pistor.accounts.models import User
from pistor.allergytests.services import allergy_test_place, allergy_test_read
from pistor.clinical.catalog import load_catalog
from pistor.clinics.models import Clinic
from pistor.consultations.services import (
    ChecklistAnswer,
    ConsultationInput,
    consultation_record,
    screening_override_record,
)
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.intake.services import IntakeAnswers, intake_link_create, intake_submit
from pistor.patients.models import Patient

HARBOUR = "harbour-skin-clinic"


def _answers(**change: Any) -> IntakeAnswers:
    values: dict[str, Any] = {
        "pregnant": False,
        "breastfeeding": False,
        "smoking": "never",
        "sun_exposure": "moderate",
        "activity": "moderate",
        "weight_kg": "68",
        "fitzpatrick": 2,
    }
    values.update(change)
    return IntakeAnswers(**values)


def _consultation(**change: Any) -> ConsultationInput:
    checklist = {item.code: ChecklistAnswer(done=True) for item in load_catalog().checklist}
    values: dict[str, Any] = {
        "indications": ["localised-fat"],
        "areas": ["abdomen"],
        "products": ["lipostabil"],
        "checklist": checklist,
        "expectations_discussed": True,
        "alternatives_discussed": True,
        "discussion_notes": "Talked through the modest evidence and diet and exercise first.",
    }
    values.update(change)
    return ConsultationInput(**values)


def _patient(clinic: Clinic, given: str, family: str) -> Patient | None:
    return Patient.objects.for_clinic(clinic).filter(given_name=given, family_name=family).first()


def _untouched(patient: Patient) -> bool:
    return not (
        IntakeForm.objects.for_clinic(patient.clinic_id).filter(patient=patient).exists()
        or IntakeLink.objects.for_clinic(patient.clinic_id).filter(patient=patient).exists()
    )


def pathway_demo_load(*, clinic: Clinic) -> int:
    """Give Harbour's patients the stages of the first visit; returns how many were set up."""
    if clinic.slug != HARBOUR:
        return 0
    practitioner = User.objects.filter(email__iexact="practitioner@harbour.example").first()
    reception = User.objects.filter(email__iexact="reception@harbour.example").first()
    nurse = User.objects.filter(email__iexact="nurse@harbour.example").first()
    if practitioner is None or reception is None or nurse is None:
        return 0
    now = timezone.now()
    hours = max(24, clinic.allergy_test_min_read_hours)
    created = 0

    def stage(given: str, family: str) -> Patient | None:
        patient = _patient(clinic, given, family)
        return patient if patient is not None and _untouched(patient) else None

    # Intake link sent, not completed yet.
    if patient := stage("Zoë", "Clarke"):
        intake_link_create(clinic=clinic, patient=patient, actor=reception, now=now)
        created += 1
    # Intake complete, filled in at the desk.
    if patient := stage("José", "Álvarez"):
        intake_submit(
            clinic=clinic,
            patient=patient,
            actor=reception,
            complete=True,
            answers=_answers(weight_kg="82", fitzpatrick=3, medications=["fish-oil"]),
        )
        created += 1
    # On warfarin: the anticoagulant warning, gone ahead with a recorded reason.
    if patient := stage("Siobhán", "O'Brien"):
        intake_submit(
            clinic=clinic,
            patient=patient,
            actor=nurse,
            complete=True,
            answers=_answers(medications=["coumarin"], weight_kg="64", fitzpatrick=1),
        )
        consultation = consultation_record(
            clinic=clinic, patient=patient, actor=practitioner, data=_consultation(), now=now
        )
        warnings = [f["code"] for f in consultation.screening if f["severity"] == "warn"]
        bleeding = [c for c in warnings if c.startswith("bleeding")]
        if bleeding:
            screening_override_record(
                clinic=clinic,
                consultation=consultation,
                actor=practitioner,
                finding_codes=bleeding,
                reason="INR stable at 2.3 last week; GP agrees. Fine needles, firm pressure "
                "after each injection, and the patient knows to expect bruising.",
                now=now,
            )
        created += 1
    # Allergy test placed and waiting to be read.
    if patient := stage("Ngozi", "Adeyemi"):
        intake_submit(
            clinic=clinic,
            patient=patient,
            actor=nurse,
            complete=True,
            answers=_answers(weight_kg="71", fitzpatrick=5),
        )
        allergy_test_place(
            clinic=clinic,
            patient=patient,
            actor=nurse,
            placed_at=now - dt.timedelta(hours=3),
            sites="left forearm, inner",
            products=["lipostabil"],
            batches="LPS-24117",
            now=now,
        )
        created += 1
    # Allergy test read negative, in time.
    if patient := stage("Björn", "Lindqvist"):
        intake_submit(
            clinic=clinic,
            patient=patient,
            actor=nurse,
            complete=True,
            answers=_answers(weight_kg="88", fitzpatrick=2, smoking="former"),
        )
        placed = now - dt.timedelta(hours=hours + 26)
        test = allergy_test_place(
            clinic=clinic,
            patient=patient,
            actor=nurse,
            placed_at=placed,
            sites="right forearm, inner",
            products=["lipostabil"],
            batches="LPS-24117",
            now=now,
        )
        allergy_test_read(
            clinic=clinic,
            test=test,
            actor=practitioner,
            read_at=placed + dt.timedelta(hours=hours + 1),
            result="negative",
            notes="No redness or swelling at either site.",
            now=now,
        )
        created += 1
    # Allergic to soya: a phosphatidylcholine plan is blocked, and the screen says why.
    if patient := stage("Chloé", "Dubois"):
        intake_submit(
            clinic=clinic,
            patient=patient,
            actor=reception,
            complete=True,
            answers=_answers(allergens=["soy"], weight_kg="59"),
        )
        consultation_record(
            clinic=clinic, patient=patient, actor=practitioner, data=_consultation(), now=now
        )
        created += 1
    return created
