"""Demo data for outcomes: Harbour's mid-course patient (Hannah Whitaker, three signed
skin-rejuvenation sessions from the treatments demo) gets Glogau and GAIS scores over her
course and side effects of several grades, one (swelling for 7 days) beyond its expected
duration and so flagged for review; Björn Lindqvist, whose fat course starts next week, has
his baseline girth; Łucja Kowalczyk finished a short cellulite course five weeks ago, with
Hexsel scores before and after, and her first safety-net call is due.

Written through the real services. A patient with scores already is left alone, so loading
the demo again changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pistor.accounts.models import User
from pistor.clinics.models import Clinic
from pistor.outcomes.models import Measurement
from pistor.outcomes.services import measurement_record, side_effect_record
from pistor.patients.models import Patient
from pistor.records.constants import RecordStatus
from pistor.treatments.models import TreatmentSession

HARBOUR = "harbour-skin-clinic"

# (scale, timepoint, session index or None, days before the first session, answers)
SCORES = [
    ("glogau", "baseline", None, 1, {"type": 3}),
    ("gais", "during", 1, None, {"gais": 3}),
    ("glogau", "during", 2, None, {"type": 2}),
    ("gais", "during", 2, None, {"gais": 2}),
]
# (event, session index, days from that session to onset, days it lasted, grade, local)
EFFECTS = [
    ("bruising", 0, 0, 4, 1, ("", None), "left cheek"),
    ("swelling", 1, 0, 7, 2, ("", None), "both cheeks"),  # beyond 5 days: flagged
    ("erythema", 2, 0, 1, 1, ("erythema-induration", 1), "forehead"),
    ("pain", 2, 0, 2, 2, ("pain", 2), "scalp"),
]


def outcomes_demo_load(*, clinic: Clinic) -> int:
    """Scores and side effects for Harbour's demo patients; returns rows made."""
    if clinic.slug != HARBOUR:
        return 0
    practitioner = User.objects.filter(email__iexact="practitioner@harbour.example").first()
    if practitioner is None:
        return 0
    created = 0
    today = timezone.localdate()
    hannah = (
        Patient.objects.for_clinic(clinic)
        .filter(given_name="Hannah", family_name="Whitaker")
        .first()
    )
    sessions = (
        list(
            TreatmentSession.objects.for_clinic(clinic)
            .filter(patient=hannah, status=RecordStatus.SIGNED)
            .order_by("started_at")
        )
        if hannah is not None
        else []
    )
    if hannah is not None and len(sessions) >= 3 and not _has_scores(clinic, hannah):
        first = sessions[0].started_at.date()
        for scale, timepoint, index, before, answers in SCORES:
            measurement_record(
                clinic=clinic, patient=hannah, by=practitioner, scale_code=scale,
                indication_code="skin-rejuvenation", answers=answers, timepoint=timepoint,
                session_id=sessions[index].pk if index is not None else None,
                measured_on=(
                    sessions[index].started_at.date() if index is not None
                    else first - dt.timedelta(days=before or 0)
                ),
            )  # fmt: skip
            created += 1
        for event, index, delay, lasted, grade, (kind, local), areas in EFFECTS:
            onset = sessions[index].started_at.date() + dt.timedelta(days=delay)
            resolved = onset + dt.timedelta(days=lasted)
            side_effect_record(
                clinic=clinic, patient=hannah, by=practitioner, event_code=event, onset=onset,
                resolved_on=resolved if resolved <= today else None, grade=grade,
                local_kind=kind, local_grade=local, areas=areas,
                session_id=sessions[index].pk, action_taken="advice",
                action_note="Cold compress and reassurance; told to call if it grows.",
            )  # fmt: skip
            created += 1
    bjorn = (
        Patient.objects.for_clinic(clinic)
        .filter(given_name="Björn", family_name="Lindqvist")
        .first()
    )
    if bjorn is not None and not _has_scores(clinic, bjorn):
        measurement_record(
            clinic=clinic, patient=bjorn, by=practitioner, scale_code="circumference",
            indication_code="localised-fat", answers={"girth": "96.5"}, timepoint="baseline",
        )  # fmt: skip
        created += 1
    created += _finished_body_course(clinic, practitioner, today)
    return created


def _finished_body_course(clinic: Clinic, practitioner: User, today: dt.date) -> int:
    """Łucja's two weekly cellulite sessions, signed five and six weeks ago: signing them
    scheduled the catalog's safety-net calls (the first now due)."""
    from pistor.plans.services import plan_create
    from pistor.treatments.demo import course_ready
    from pistor.treatments.services import (
        chart_area_add,
        cocktail_line_add,
        session_sign,
        session_start,
    )

    patient = (
        Patient.objects.for_clinic(clinic)
        .filter(given_name="Łucja", family_name="Kowalczyk")
        .first()
    )
    if patient is None or TreatmentSession.objects.for_clinic(clinic).filter(patient=patient):
        return 0
    now = timezone.now()
    start = now - dt.timedelta(days=42)
    # A lot of its own, so the stock room's demo batches keep the quantities they show.
    batch = course_ready(
        clinic=clinic, patient=patient, practitioner=practitioner, start=start, now=now,
        lot="NC-DEMO-2", ml="9", weight_kg="68", indication_code="cellulite",
    )  # fmt: skip
    plan = plan_create(
        clinic=clinic, patient=patient, by=practitioner, indication_code="cellulite",
        protocol_code="seed-body-short", first_session=start.date(), areas=["thighs"],
        technique_code="nappage", product_codes=["nctf-135ha"],
    )  # fmt: skip
    plan.patient = patient
    measurement_record(
        clinic=clinic, patient=patient, by=practitioner, scale_code="hexsel-css",
        indication_code="cellulite", answers={"A": 2, "B": 2, "C": 2, "D": 1, "E": 2},
        timepoint="baseline", measured_on=start.date() - dt.timedelta(days=1),
    )  # fmt: skip
    for week in range(2):
        at = start + dt.timedelta(days=7 * week)
        session = session_start(clinic=clinic, patient=patient, plan=plan, by=practitioner, now=at)
        cocktail_line_add(
            session=session, by=practitioner, code="nctf-135ha", volume="3", now=at,
            batch_id=batch.pk,
        )  # fmt: skip
        for region in ("thigh-back-left", "thigh-back-right"):
            chart_area_add(
                session=session, by=practitioner, region=region, technique_code="nappage",
                depth="3", needle_gauge=30, needle_length="4", injections=30, volume="1.5",
            )  # fmt: skip
        session = TreatmentSession.objects.get(pk=session.pk)
        session_sign(session=session, signer=practitioner, notes="Well tolerated.",
                     now=at + dt.timedelta(minutes=30))  # fmt: skip
    measurement_record(
        clinic=clinic, patient=patient, by=practitioner, scale_code="hexsel-css",
        indication_code="cellulite", answers={"A": 2, "B": 1, "C": 1, "D": 1, "E": 2},
        timepoint="follow_up", measured_on=today - dt.timedelta(days=7),
    )  # fmt: skip
    return 9


def _has_scores(clinic: Clinic, patient: Patient) -> bool:
    return Measurement.objects.for_clinic(clinic).filter(patient=patient).exists()
