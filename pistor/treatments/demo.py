"""Demo data for treatment sessions: Harbour's mid-course patient, three signed weekly
skin-rejuvenation sessions (charts on face, scalp and thighs), an addendum on the first.

Written through the real services with dates in the past, in the order they happened:
intake, allergy test, consent, stock, plan, then each session started, charted and signed.
A patient with any intake or session already is left alone, so loading the demo again
changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pistor.accounts.models import User
from pistor.allergytests.services import allergy_test_place, allergy_test_read
from pistor.clinical.units import Quantity
from pistor.clinics.models import Clinic
from pistor.consents.constants import ConsentKind
from pistor.consents.services import consent_countersign, consent_create, consent_patient_sign
from pistor.intake.demo import _answers
from pistor.intake.models import IntakeForm
from pistor.intake.services import intake_submit
from pistor.inventory.models import Batch, StockProduct
from pistor.inventory.services import batch_receive, product_create
from pistor.patients.models import Patient
from pistor.plans.demo import demo_signature
from pistor.plans.services import plan_create
from pistor.treatments.models import TreatmentSession
from pistor.treatments.services import (
    PointIn,
    ReactionIn,
    chart_area_add,
    cocktail_line_add,
    session_add_addendum,
    session_details_set,
    session_sign,
    session_start,
)

HARBOUR = "harbour-skin-clinic"
GIVEN, FAMILY = "Hannah", "Whitaker"  # a demo patient no other stage uses

# (region, technique, depth mm, points as fractions of the drawing)
CHARTS = [
    [("face-front", "nappage", "2.5", [(0.22, 0.14), (0.28, 0.14), (0.25, 0.18)])],
    [("scalp", "nappage", "3", [(0.22, 0.07), (0.28, 0.07)])],
    [
        ("thigh-front-left", "nappage", "3", [(0.30, 0.58), (0.30, 0.64)]),
        ("thigh-front-right", "nappage", "3", [(0.19, 0.58), (0.19, 0.64)]),
    ],
]


# The immediate reactions seen at each session, with their severity.
REACTIONS = [
    [("papules", "mild"), ("bleeding", "mild")],
    [("burning", "mild")],
    [("papules", "mild"), ("bruising", "moderate")],
]


def course_ready(
    *,
    clinic: Clinic,
    patient: Patient,
    practitioner: User,
    start: dt.datetime,
    now: dt.datetime,
    lot: str,
    ml: str,
    weight_kg: str,
    indication_code: str = "skin-rejuvenation",
) -> Batch:
    """What a demo patient needs before an NCTF course for ``indication_code`` starting at
    ``start``: intake, a negative NCTF allergy test read two days later, a signed consent,
    and a batch of NCTF in stock (returned). Dates in the past, in the order they happened."""
    intake_submit(
        clinic=clinic, patient=patient, actor=practitioner, complete=True,
        answers=_answers(weight_kg=weight_kg),
    )  # fmt: skip
    placed = start - dt.timedelta(days=4)
    test = allergy_test_place(
        clinic=clinic, patient=patient, actor=practitioner, placed_at=placed,
        sites="left forearm, inner", products=["nctf-135ha"], batches=lot, now=now,
    )  # fmt: skip
    allergy_test_read(
        clinic=clinic, test=test, actor=practitioner, read_at=placed + dt.timedelta(hours=50),
        result="negative", notes="No reaction.", now=now,
    )  # fmt: skip
    consent = consent_create(
        clinic=clinic, patient=patient, by=practitioner, kind=ConsentKind.TREATMENT,
        indication_code=indication_code, product_codes=["nctf-135ha"],
    )  # fmt: skip
    signed_at = start - dt.timedelta(days=1)
    consent_patient_sign(
        consent=consent, signature=demo_signature(patient.full_name),
        signed_name=patient.full_name, actor=practitioner, now=signed_at,
    )  # fmt: skip
    consent_countersign(
        consent=consent, practitioner=practitioner,
        signature=demo_signature(practitioner.full_name), now=signed_at,
    )  # fmt: skip
    if not StockProduct.objects.for_clinic(clinic).filter(code="nctf-135ha").exists():
        product_create(
            clinic=clinic, actor=practitioner, code="nctf-135ha", name="NCTF 135 HA",
            manufacturer="Filorga", form="vial", unit_volume_ml="3",
        )  # fmt: skip
    return batch_receive(
        clinic=clinic, actor=practitioner, product_code="nctf-135ha", lot=lot,
        expires_on=now.date() + dt.timedelta(days=300), quantity=Quantity.of(ml, "mL"),
        at=start - dt.timedelta(days=5),
    )  # fmt: skip


def treatments_demo_load(*, clinic: Clinic) -> int:
    """A patient mid-course with signed sessions and an addendum; returns rows made."""
    if clinic.slug != HARBOUR:
        return 0
    practitioner = User.objects.filter(email__iexact="practitioner@harbour.example").first()
    if practitioner is None:
        return 0
    patient = (
        Patient.objects.for_clinic(clinic).filter(given_name=GIVEN, family_name=FAMILY).first()
    )
    if (
        patient is None
        or IntakeForm.objects.for_clinic(clinic).filter(patient=patient).exists()
        or TreatmentSession.objects.for_clinic(clinic).filter(patient=patient).exists()
    ):
        return 0
    now = timezone.now()
    start = now - dt.timedelta(days=22)
    course_ready(
        clinic=clinic, patient=patient, practitioner=practitioner, start=start, now=now,
        lot="NC-DEMO-1", ml="60", weight_kg="61",
    )  # fmt: skip
    plan = plan_create(
        clinic=clinic, patient=patient, by=practitioner, indication_code="skin-rejuvenation",
        protocol_code="seed-course-10-weekly", first_session=start.date(),
        areas=["face"], technique_code="nappage", product_codes=["nctf-135ha"],
    )  # fmt: skip
    plan.patient = patient
    created = 4
    first: TreatmentSession | None = None
    for week, areas in enumerate(CHARTS):
        at = start + dt.timedelta(days=7 * week)
        session = session_start(clinic=clinic, patient=patient, plan=plan, by=practitioner, now=at)
        cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="3", now=at)
        for region, technique, depth, points in areas:
            chart_area_add(
                session=session, by=practitioner, region=region, technique_code=technique,
                depth=depth, needle_gauge=30, needle_length="4", injections=40,
                volume=str(round(3 / len(areas), 2)),
                points=[PointIn(str(x), str(y)) for x, y in points],
            )  # fmt: skip
        session = TreatmentSession.objects.get(pk=session.pk)
        session_details_set(
            session=session, by=practitioner, anaesthetic_product="Lidocaine 5 % cream",
            anaesthetic_applied_at=at - dt.timedelta(minutes=25),
            treatment_start=at + dt.timedelta(minutes=5),
            treatment_end=at + dt.timedelta(minutes=25),
            reactions=[ReactionIn(kind, severity) for kind, severity in REACTIONS[week]],
            notes="Mild redness, settled.", now=at + dt.timedelta(minutes=30),
        )  # fmt: skip
        session_sign(
            session=session, signer=practitioner, notes="Mild redness, settled.",
            now=at + dt.timedelta(minutes=30),
        )  # fmt: skip
        first = first or session
        created += 1
    if first is not None:
        session_add_addendum(
            session=first, author=practitioner,
            text="A small bruise on the left cheek, reported by phone the next day; settled.",
            reason="Reported after the session was signed.",
        )  # fmt: skip
        created += 1
    return created
