"""A clinic set up for booking: hours, two practitioners, rooms, a gun, visit types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

from pistor.clinics.models import Membership
from pistor.scheduling.models import AppointmentType, OpeningHours, Resource, WorkingHours
from pistor.testing.factories import MembershipFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
# A Monday well ahead of any test clock, in winter (GMT).
MONDAY = dt.date(2027, 1, 4)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=LONDON)


@dataclass
class Setup:
    clinic: Any
    ann: Membership
    ben: Membership
    room1: Resource
    room2: Resource
    gun: Resource
    consultation: AppointmentType
    session: AppointmentType
    gun_session: AppointmentType
    token: str = ""
    patients: list[Any] = field(default_factory=list)


def new_patient(clinic: Any, **kwargs: Any) -> Any:
    from pistor.patients.tests.factories import PatientFactory

    return PatientFactory(clinic=clinic, **kwargs)


def booking_setup(clinic: Any) -> Setup:
    for weekday in range(6):
        OpeningHours.objects.create(
            clinic=clinic, weekday=weekday, opens=dt.time(8), closes=dt.time(19)
        )
    staff = []
    for name in ("Ann Practitioner", "Ben Practitioner"):
        m = cast(
            Membership,
            MembershipFactory(user=UserFactory(full_name=name), clinic=clinic, role="practitioner"),
        )
        for weekday in range(5):
            WorkingHours.objects.create(
                clinic=clinic, staff=m, weekday=weekday, starts=dt.time(9), ends=dt.time(17)
            )
        staff.append(m)
    room1 = Resource.objects.create(clinic=clinic, kind="room", name="Room 1")
    room2 = Resource.objects.create(clinic=clinic, kind="room", name="Room 2")
    gun = Resource.objects.create(
        clinic=clinic, kind="device", name="Gun A", device_type="mesotherapy-gun"
    )
    consultation = AppointmentType.objects.create(
        clinic=clinic,
        code="consultation",
        name="First consultation",
        kind="consultation",
        duration_minutes=30,
        buffer_minutes=0,
        online_bookable=True,
    )
    session = AppointmentType.objects.create(
        clinic=clinic,
        code="session",
        name="Treatment session",
        kind="treatment",
        duration_minutes=30,
        buffer_minutes=15,
    )
    gun_session = AppointmentType.objects.create(
        clinic=clinic,
        code="gun-session",
        name="Gun session",
        kind="treatment",
        duration_minutes=30,
        buffer_minutes=0,
        device_type="mesotherapy-gun",
    )
    return Setup(clinic, staff[0], staff[1], room1, room2, gun, consultation, session, gun_session)
