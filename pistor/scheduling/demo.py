"""Demo scheduling for Harbour: opening and working hours, two rooms and an injector gun,
visit types, a week of appointments (some arrived, done, cancelled, a no-show) and the
course of every demo patient with a plan booked into its windows.

Written through the services. A clinic that already has appointment types is left alone,
so loading the demo again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pistor.clinics.models import Clinic, Membership
from pistor.core import clock
from pistor.core.errors import ApplicationError
from pistor.patients.models import Patient
from pistor.plans.models import Plan
from pistor.scheduling import selectors as sel
from pistor.scheduling.course import course_book
from pistor.scheduling.models import AppointmentType
from pistor.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_status_set,
    appointment_type_create,
    opening_hours_set,
    resource_create,
    working_hours_set,
)

HARBOUR = "harbour-skin-clinic"

TYPES: list[dict[str, Any]] = [
    {
        "code": "first-consultation",
        "name": "First consultation",
        "kind": "consultation",
        "duration_minutes": 45,
        "buffer_minutes": 15,
        "online_bookable": True,
    },
    {
        "code": "follow-up",
        "name": "Follow-up",
        "kind": "follow_up",
        "duration_minutes": 20,
        "buffer_minutes": 10,
        "online_bookable": True,
    },
    {
        "code": "allergy-test",
        "name": "Allergy test visit",
        "kind": "allergy_test",
        "duration_minutes": 15,
        "buffer_minutes": 5,
    },
    {
        "code": "test-reading",
        "name": "Allergy test reading",
        "kind": "test_reading",
        "duration_minutes": 10,
        "buffer_minutes": 5,
    },
    {
        "code": "session-face",
        "name": "Treatment session (face)",
        "kind": "treatment",
        "indication_code": "skin-rejuvenation",
        "duration_minutes": 30,
        "buffer_minutes": 15,
    },
    {
        "code": "session-body-gun",
        "name": "Treatment session with injector gun",
        "kind": "treatment",
        "duration_minutes": 50,
        "buffer_minutes": 15,
        "device_type": "mesotherapy-gun",
    },
]


def scheduling_demo_load(*, clinic: Clinic) -> int:
    """Hours, resources, visit types, a week of visits and booked courses; returns rows made."""
    if clinic.slug != HARBOUR or AppointmentType.objects.for_clinic(clinic).exists():
        return 0
    staff = list(
        Membership.objects.filter(clinic=clinic, is_active=True, role__in=sel.TREATING_ROLES)
    )
    if not staff:
        return 0
    created = 0
    opening_hours_set(
        clinic=clinic,
        actor=None,
        hours=[(d, dt.time(8, 30), dt.time(19)) for d in range(5)] + [(5, dt.time(9), dt.time(13))],
    )
    for member in staff:
        working_hours_set(
            clinic=clinic,
            actor=None,
            staff=member,
            hours=[(d, dt.time(9), dt.time(17, 30)) for d in range(5)],
        )
    for name in ("Treatment room 1", "Treatment room 2"):
        resource_create(clinic=clinic, actor=None, kind="room", name=name)
    resource_create(
        clinic=clinic, actor=None, kind="device", name="Injector gun", device_type="mesotherapy-gun"
    )
    types = {t["code"]: appointment_type_create(clinic=clinic, actor=None, **t) for t in TYPES}
    created += 3 + len(types)

    # A week of visits from Monday of this week, patients taken in turn.
    patients = list(Patient.objects.for_clinic(clinic).filter(archived_at__isnull=True)[:12])
    tz = sel.clinic_tz(clinic)
    today = clock.now().astimezone(tz).date()
    # Five working days around today: two already past, today or the next, and two ahead.
    days: list[dt.date] = []
    day = today - dt.timedelta(days=1)
    while len(days) < 2:
        if day.weekday() < 5:
            days.insert(0, day)
        day -= dt.timedelta(days=1)
    day = today
    while len(days) < 5:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    booked = []
    kinds = ["first-consultation", "session-face", "follow-up", "session-face"]
    for i, patient in enumerate(patients):
        day = days[i % 5]
        start = dt.datetime.combine(day, dt.time(9 + (i // 5) * 2, 0), tzinfo=tz)
        try:
            booked.append(
                appointment_book(
                    clinic=clinic,
                    actor=None,
                    patient=patient,
                    staff=staff[i % len(staff)],
                    appointment_type=types[kinds[i % len(kinds)]],
                    starts_at=start,
                )
            )
        except ApplicationError:
            continue  # a collision in odd demo data just leaves that visit out
    now = clock.now()
    past = [a for a in booked if a.ends_at < now]
    for i, appt in enumerate(past):
        if i % 4 == 3:
            appointment_status_set(clinic=clinic, actor=None, appointment=appt, status="no_show")
        else:
            appointment_status_set(clinic=clinic, actor=None, appointment=appt, status="arrived")
            if i % 4 != 2:
                appointment_status_set(clinic=clinic, actor=None, appointment=appt, status="done")
    future = [a for a in booked if a.starts_at > now]
    if future:
        appointment_cancel(
            clinic=clinic, actor=None, appointment=future[-1], by="patient", reason="Away that week"
        )
    created += len(booked)

    # Courses for the demo patients with plans.
    for plan in Plan.objects.for_clinic(clinic).select_related("patient"):
        try:
            kind = sel.course_type_for(clinic=clinic, indication_code=plan.indication_code)
            created += len(course_book(clinic=clinic, actor=None, plan=plan, appointment_type=kind))
        except ApplicationError:
            continue
    return created
