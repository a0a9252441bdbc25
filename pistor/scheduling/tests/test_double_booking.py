"""No double booking under a flood: simultaneous API requests, real connections, one winner.

Each scenario releases ``FLOOD`` threads together (a barrier), each with its own database
connection, all asking for overlapping time that shares one practitioner, room, device or
patient. Exactly one is booked; every other request hears 409 naming what collides; no 500,
no "database is locked"; one live row. On SQLite the booking transaction's BEGIN IMMEDIATE
queues the writers; on PostgreSQL the exclusion constraints refuse the losers.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client

from pistor.patients.tests.factories import build_patients
from pistor.scheduling.models import Appointment
from pistor.scheduling.services import appointment_cancel
from pistor.scheduling.tests.factories import MONDAY, at, booking_setup
from pistor.testing.threads import in_threads
from tests.api.helpers import ApiClient, token_for

# 200 on both databases. On SQLite the bookings of one process queue in the application
# (``services.calendar_writer``), not in SQLite's busy loop, which once left the last of
# 200 waiting past the busy timeout on a crowded machine. PISTOR_FLOOD changes it.
FLOOD = int(os.environ.get("PISTOR_FLOOD", "200"))
URL = "/api/v1/scheduling/appointments"


@pytest.fixture
def setup(transactional_db, clinic):
    from pistor.testing.factories import MembershipFactory

    s = booking_setup(clinic)
    desk = MembershipFactory(clinic=clinic, role="reception").user
    s.token = token_for(desk, clinic)
    s.patients = build_patients(clinic, FLOOD)
    return s


@pytest.fixture
def flood(setup, threads_share_a_file_database):
    # In this order: the data exists before SQLite's test database is copied to a file.
    return setup


def _run(s, bodies):
    def one(body):
        def work():
            response = ApiClient(Client(), s.token).post(body.pop("_url", URL), body)
            return response.status_code, response.json().get("message", "")

        return work

    works = iter([one(b) for b in bodies])
    lock = __import__("threading").Lock()

    def next_work():
        with lock:
            work = next(works)
        return work()

    return in_threads(len(bodies), next_work)


def _count(**filters):
    """Counted from a thread, which sees the shared file on SQLite."""
    return in_threads(1, lambda: Appointment.objects.filter(**filters).count())[0]


def _odd(results):
    """The answers that are neither the one booking nor a 409, to say what went wrong."""
    return [(st, msg[:200]) for st, msg in results if st not in (200, 201, 409)][:5]


def _assert_one_winner(results, words):
    statuses = [status for status, _ in results]
    assert not _odd(results), _odd(results)
    assert statuses.count(201) + statuses.count(200) == 1, statuses
    losers = [msg for status, msg in results if status == 409]
    assert len(losers) == len(results) - 1, sorted(set(statuses))
    assert all(words in msg for msg in losers), {m for m in losers if words not in m}
    assert not any("locked" in msg for _, msg in results)


def _body(s, i, *, staff=None, minutes=0, **extra):
    return {
        "patient_id": s.patients[i].pk,
        "staff_id": (staff or s.ann).pk,
        "appointment_type_id": extra.pop("type_id", s.session.pk),
        "starts_at": (at(MONDAY, 10) + dt.timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


def test_the_same_practitioner_at_overlapping_times_is_booked_exactly_once(flood):
    s = flood
    results = _run(s, [_body(s, i, minutes=15 * (i % 3)) for i in range(FLOOD)])
    _assert_one_winner(results, "practitioner")
    assert _count() == 1


def test_the_same_room_is_booked_exactly_once(flood):
    s = flood
    bodies = [_body(s, i, staff=(s.ann, s.ben)[i % 2], room_id=s.room1.pk) for i in range(FLOOD)]
    results = _run(s, bodies)
    statuses = [st for st, _ in results]
    assert not _odd(results), _odd(results)
    # Ann's and Ben's requests collide on the room; requests by the same person also on them.
    assert statuses.count(201) == 1 and statuses.count(409) == FLOOD - 1
    assert _count(room=s.room1) == 1
    assert _count() == 1


def test_the_same_device_is_used_exactly_once(flood):
    s = flood
    bodies = [
        _body(s, i, staff=(s.ann, s.ben)[i % 2], type_id=s.gun_session.pk, device_id=s.gun.pk)
        for i in range(FLOOD)
    ]
    results = _run(s, bodies)
    assert [st for st, _ in results].count(201) == 1
    assert {st for st, _ in results} == {201, 409}
    assert _count() == 1


def test_one_patient_with_two_practitioners_at_once_is_booked_exactly_once(flood):
    s = flood
    patient = s.patients[0].pk
    bodies = [
        {**_body(s, 0, staff=(s.ann, s.ben)[i % 2], minutes=15 * (i % 2)), "patient_id": patient}
        for i in range(FLOOD)
    ]
    results = _run(s, bodies)
    assert [st for st, _ in results].count(201) == 1
    assert {st for st, _ in results} == {201, 409}
    assert _count(patient_id=patient) == 1


def test_moving_many_appointments_onto_one_slot_moves_exactly_one(flood):
    s = flood
    rows = []
    day = MONDAY + dt.timedelta(days=7)
    for i in range(FLOOD):
        while day.weekday() > 4:
            day += dt.timedelta(days=1)
        start = at(day, 9)
        rows.append(
            Appointment(
                clinic=s.clinic,
                patient=s.patients[i],
                staff=s.ann,
                appointment_type=s.session,
                room=s.room1,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
                occupied_until=start + dt.timedelta(minutes=45),
            )
        )
        day += dt.timedelta(days=1)
    # Written from a thread: its connection reaches the file the flood threads share.
    in_threads(1, lambda: Appointment.objects.bulk_create(rows))
    ids = in_threads(1, lambda: list(Appointment.objects.values_list("pk", flat=True)))[0]
    bodies = [{"_url": f"{URL}/{pk}/move", "starts_at": at(MONDAY, 10).isoformat()} for pk in ids]
    results = _run(s, bodies)
    assert [st for st, _ in results].count(200) == 1
    assert {st for st, _ in results} == {200, 409}
    assert _count(starts_at=at(MONDAY, 10)) == 1


def test_a_cancelled_slot_is_free_again_for_the_flood(flood):
    s = flood
    make = lambda: Appointment.objects.create(  # noqa: E731
        clinic=s.clinic,
        patient=s.patients[0],
        staff=s.ann,
        appointment_type=s.session,
        room=s.room1,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 10, 30),
        occupied_until=at(MONDAY, 10, 45),
    )
    in_threads(
        1, lambda: appointment_cancel(clinic=s.clinic, actor=None, appointment=make(), by="clinic")
    )
    count = FLOOD
    results = _run(s, [_body(s, i) for i in range(count)])
    _assert_one_winner(results, "practitioner")
    assert _count(status__in=["booked"]) == 1
