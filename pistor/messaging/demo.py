"""Demo data for messages: a patient whose six-session course ended seven months ago, so her
maintenance top-up is due and on the recalls worklist; contact preferences; and the
reminders the jobs send on loading (tomorrow's appointments, the recall).

Written through the real services, in the order things happened (intake, allergy test,
consent, stock, plan, each session started, charted and signed); a clinic that already
has the patient is left alone, so loading the demo again changes nothing.
"""

from __future__ import annotations

import datetime as dt

from pistor.accounts.models import User
from pistor.clinics.models import Clinic
from pistor.core import clock
from pistor.messaging.constants import Channel
from pistor.messaging.jobs import appointment_reminders_send, course_reminders_send
from pistor.messaging.services import preference_set
from pistor.patients.models import Patient
from pistor.patients.services import patient_create
from pistor.plans.services import plan_create
from pistor.treatments.demo import course_ready
from pistor.treatments.models import TreatmentSession
from pistor.treatments.services import (
    PointIn,
    chart_area_add,
    cocktail_line_add,
    session_sign,
    session_start,
)

HARBOUR = "harbour-skin-clinic"
GIVEN, FAMILY = "Margaret", "Ellison"
COURSE_SESSIONS = 6
# The course ended about seven months ago: inside seed 000's six-to-eight-month top-up window.
LAST_SESSION_DAYS_AGO = 200


def _course_given(clinic: Clinic, patient: Patient, practitioner: User, now: dt.datetime) -> int:
    start = now - dt.timedelta(days=LAST_SESSION_DAYS_AGO + 7 * (COURSE_SESSIONS - 1))
    batch = course_ready(
        clinic=clinic, patient=patient, practitioner=practitioner, start=start, now=now,
        lot="NC-DEMO-R", ml="30", weight_kg="66",
    )  # fmt: skip
    plan = plan_create(
        clinic=clinic, patient=patient, by=practitioner, indication_code="skin-rejuvenation",
        protocol_code="seed-rejuvenation-weekly", first_session=start.date(),
        sessions=COURSE_SESSIONS, areas=["face"], technique_code="nappage",
        product_codes=["nctf-135ha"],
    )  # fmt: skip
    plan.patient = patient
    for week in range(COURSE_SESSIONS):
        at = start + dt.timedelta(days=7 * week)
        session = session_start(clinic=clinic, patient=patient, plan=plan, by=practitioner, now=at)
        cocktail_line_add(
            session=session, by=practitioner, code="nctf-135ha", volume="3",
            batch_id=batch.pk, now=at,
        )  # fmt: skip
        chart_area_add(
            session=session, by=practitioner, region="face-front", technique_code="nappage",
            depth="2.5", needle_gauge=30, needle_length="4", injections=40, volume="3",
            points=[PointIn("0.22", "0.14"), PointIn("0.28", "0.14")],
        )  # fmt: skip
        session = TreatmentSession.objects.get(pk=session.pk)
        session_sign(
            session=session, signer=practitioner, notes="Settled within the hour.",
            now=at + dt.timedelta(minutes=30),
        )  # fmt: skip
    return 6 + COURSE_SESSIONS


def messaging_demo_load(*, clinic: Clinic) -> int:
    """The recall patient, contact preferences and the reminders due now; rows made."""
    if clinic.slug != HARBOUR:
        return 0
    practitioner = User.objects.filter(email__iexact="practitioner@harbour.example").first()
    if practitioner is None:
        return 0
    if Patient.objects.for_clinic(clinic).filter(given_name=GIVEN, family_name=FAMILY).exists():
        return 0
    now = clock.now()
    patient = patient_create(
        clinic=clinic, actor=None, confirm_not_duplicate=True, given_name=GIVEN,
        family_name=FAMILY, date_of_birth=dt.date(1971, 5, 14), sex="female",
        phone="07700 900456", email="margaret.ellison@example.org",
    )  # fmt: skip
    created = 1 + _course_given(clinic, patient, practitioner, now)
    # Another patient prefers texts and wants no offers: her recalls are logged, not sent.
    other = (
        Patient.objects.for_clinic(clinic)
        .filter(archived_at__isnull=True)
        .exclude(pk=patient.pk)
        .order_by("pk")
        .first()
    )
    if other is not None:
        preference_set(patient=other, by=practitioner, channel=Channel.SMS, marketing_opt_out=True)
        created += 1
    created += len(appointment_reminders_send(clinic=clinic, now=now))
    created += len(course_reminders_send(clinic=clinic, now=now))
    return created
