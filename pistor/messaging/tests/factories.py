"""Patients, appointments and given sessions for the messaging tests."""

from __future__ import annotations

import datetime as dt
import hashlib

from pistor.patients.tests.factories import PatientFactory
from pistor.plans.tests.factories import rejuvenation_plan
from pistor.records.constants import RecordStatus
from pistor.scheduling.models import Appointment
from pistor.treatments.models import TreatmentSession


def patient(clinic, **kwargs):
    values = {"email": "amara@example.org", "phone": "+44 7700 900123"}
    values.update(kwargs)
    return PatientFactory(clinic=clinic, **values)


def appointment(setup, who, starts_at, **kwargs):
    """A booked appointment written straight to the table (no slot rules to satisfy)."""
    kind = kwargs.pop("appointment_type", setup.session)
    return Appointment.objects.create(
        clinic=setup.clinic,
        patient=who,
        staff=setup.ann,
        appointment_type=kind,
        room=setup.room1,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=kind.duration_minutes),
        occupied_until=starts_at + dt.timedelta(minutes=kind.duration_minutes),
        **kwargs,
    )


def given_sessions(plan, by, days: list[dt.datetime]):
    """Signed sessions of ``plan`` on ``days``: inserted signed, as the record lifecycle
    leaves them (the guard refuses changes, not inserts)."""
    rows = []
    for started in days:
        rows.append(
            TreatmentSession.objects.create(
                clinic=plan.clinic,
                patient=plan.patient,
                plan=plan,
                indication_code=plan.indication_code,
                started_at=started,
                started_by=by,
                status=RecordStatus.SIGNED,
                signed_at=started + dt.timedelta(minutes=40),
                signed_by=by,
                content={"given": started.isoformat()},
                content_sha256=hashlib.sha256(started.isoformat().encode()).hexdigest(),
            )
        )
    return rows


def course_plan(clinic, by, who, protocol_code="seed-rejuvenation-weekly", **kwargs):
    plan = rejuvenation_plan(
        clinic=clinic, patient=who, by=by, protocol_code=protocol_code, **kwargs
    )
    plan.patient = who
    return plan
