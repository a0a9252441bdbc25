"""``pistor seed`` fills a clinic's calendar for the course benchmark: 70 % of five
practitioners' time over twelve months, three rooms, and never a double booking."""

from __future__ import annotations

from collections import Counter

import pytest

from pistor.demo.seed import seed_database
from pistor.scheduling import seed as scheduling_seed
from pistor.scheduling.models import Appointment, Resource, WorkingHours

pytestmark = pytest.mark.django_db


def test_the_seeded_calendar_is_seventy_percent_full_and_never_double_booked():
    report = seed_database(clinics=1, patients=40, seed=11)
    clinic = report.clinics[0]
    rows = list(
        Appointment.objects.filter(clinic=clinic).values_list(
            "staff_id", "room_id", "patient_id", "starts_at"
        )
    )
    staff = {s for s, *_ in rows}
    assert len(staff) == scheduling_seed.PRACTITIONERS
    assert Resource.objects.filter(clinic=clinic, kind="room").count() == scheduling_seed.ROOMS
    assert WorkingHours.objects.filter(clinic=clinic).count() == 5 * scheduling_seed.PRACTITIONERS
    weekdays = len({start.date() for *_, start in rows})
    blocks = weekdays * scheduling_seed.BLOCKS * scheduling_seed.PRACTITIONERS
    assert 0.66 < len(rows) / blocks < 0.74
    # Blocks do not overlap one another, so one block holds each thing at most once.
    for index in (0, 1, 2):
        taken = Counter((row[index], row[3]) for row in rows if row[index] is not None)
        assert max(taken.values()) == 1
    assert report.rows["scheduling"] == len(rows)
