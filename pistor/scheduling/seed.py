"""``pistor seed`` history for scheduling: a clinic's week, staff hours and a full calendar.

For every seeded clinic: open Monday to Friday 08:00–18:00, five practitioners working
09:00–17:00, three treatment rooms, a 30-minute treatment session with a 15-minute buffer,
and twelve months of appointments from ``REFERENCE_DAY``: each practitioner's ten
45-minute blocks a day are each taken with probability ``FILL`` (70 %). A visit gets a room
while one of the three is free; the rest are consultations in the practitioner's own
office, which need none. Written with ``bulk_create``; no overlaps by construction.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from pistor.clinics.models import Membership, Role
from pistor.demo.seed import SeedContext, seed_generator
from pistor.scheduling.models import (
    Appointment,
    AppointmentType,
    OpeningHours,
    Resource,
    WorkingHours,
)

PRACTITIONERS = 5
ROOMS = 3
MONTHS = 12
FILL = 0.7
BLOCKS = 10  # 09:00, 09:45, ... 15:45: ten 45-minute blocks in an 09:00-17:00 day
_BATCH = 5_000


@seed_generator("scheduling", after=("patients",))
def seed_scheduling(ctx: SeedContext) -> int:
    written = 0
    User = get_user_model()
    for clinic in ctx.clinics:
        tz = ZoneInfo(clinic.time_zone)
        OpeningHours.objects.bulk_create(
            OpeningHours(clinic=clinic, weekday=d, opens=dt.time(8), closes=dt.time(18))
            for d in range(5)
        )
        users = User.objects.bulk_create(
            User(
                email=f"practitioner{n}@{clinic.slug}.seed.example",
                full_name=f"Seed Practitioner {n}",
                is_active=False,  # seeded staff never sign in
            )
            for n in range(1, PRACTITIONERS + 1)
        )
        users = list(User.objects.filter(email__endswith=f"@{clinic.slug}.seed.example"))
        Membership.objects.bulk_create(
            Membership(user=u, clinic=clinic, role=Role.PRACTITIONER) for u in users
        )
        staff = list(Membership.objects.filter(clinic=clinic).order_by("pk"))
        WorkingHours.objects.bulk_create(
            WorkingHours(clinic=clinic, staff=m, weekday=d, starts=dt.time(9), ends=dt.time(17))
            for m in staff
            for d in range(5)
        )
        Resource.objects.bulk_create(
            Resource(clinic=clinic, kind="room", name=f"Room {n}") for n in range(1, ROOMS + 1)
        )
        rooms = list(Resource.objects.filter(clinic=clinic, kind="room").order_by("pk"))
        session = AppointmentType.objects.create(
            clinic=clinic,
            code="treatment-session",
            name="Treatment session",
            kind="treatment",
            duration_minutes=30,
            buffer_minutes=15,
        )
        consultation = AppointmentType.objects.create(
            clinic=clinic,
            code="office-consultation",
            name="Consultation (office)",
            kind="consultation",
            duration_minutes=30,
            buffer_minutes=15,
            needs_room=False,
        )
        patients = ctx.patient_ids.get(clinic.pk) or []
        if not patients:
            continue
        rows: list[Appointment] = []
        day, end = ctx.today, _add_months(ctx.today, MONTHS)
        while day < end:
            if day.weekday() < 5:
                for block in range(BLOCKS):
                    local = dt.datetime.combine(day, dt.time(9), tzinfo=tz) + dt.timedelta(
                        minutes=45 * block
                    )
                    start = local.astimezone(dt.UTC)
                    free_rooms = list(rooms)
                    busy = [m for m in staff if ctx.rng.random() < FILL]
                    # Different patients in one block: nobody is in two rooms at once.
                    who = ctx.rng.sample(patients, min(len(busy), len(patients)))
                    for member, patient_id in zip(busy, who, strict=False):
                        room = free_rooms.pop(0) if free_rooms else None
                        rows.append(
                            Appointment(
                                clinic=clinic,
                                patient_id=patient_id,
                                staff=member,
                                appointment_type=session if room else consultation,
                                room=room,
                                starts_at=start,
                                ends_at=start + dt.timedelta(minutes=30),
                                occupied_until=start + dt.timedelta(minutes=45),
                                status="done" if day < ctx.today else "booked",
                            )
                        )
            if len(rows) >= _BATCH:
                Appointment.objects.bulk_create(rows)
                written += len(rows)
                rows = []
            day += dt.timedelta(days=1)
        Appointment.objects.bulk_create(rows)
        written += len(rows)
    return written


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))
