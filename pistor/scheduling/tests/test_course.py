from __future__ import annotations

import datetime as dt
import random

import pytest

from pistor.core.errors import Conflict
from pistor.plans.tests.factories import rejuvenation_plan
from pistor.scheduling.course import course_book, course_propose
from pistor.scheduling.models import Appointment
from pistor.scheduling.tests.factories import LONDON, MONDAY, at, booking_setup, new_patient
from pistor.testing.pathway import make_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(clinic):
    return booking_setup(clinic)


def _plan(s, practitioner, first=MONDAY):
    patient = new_patient(s.clinic)
    make_intake(patient)
    return rejuvenation_plan(clinic=s.clinic, patient=patient, by=practitioner, first_session=first)


def _fill(s, share=0.7, weeks=60, seed=4):
    """Take ``share`` of every practitioner's 45-minute blocks from MONDAY on."""
    rng = random.Random(seed)
    fillers = {m.pk: new_patient(s.clinic) for m in (s.ann, s.ben)}
    rows = []
    for d in range(weeks * 7):
        day = MONDAY + dt.timedelta(days=d)
        if day.weekday() > 4:
            continue
        for m in (s.ann, s.ben):
            for block in range(10):  # 09:00 .. 16:30
                if rng.random() < share:
                    start = at(day, 9) + dt.timedelta(minutes=45 * block)
                    rows.append(
                        Appointment(
                            clinic=s.clinic,
                            patient=fillers[m.pk],
                            staff=m,
                            appointment_type=s.session,
                            starts_at=start,
                            ends_at=start + dt.timedelta(minutes=30),
                            occupied_until=start + dt.timedelta(minutes=45),
                        )
                    )
    Appointment.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def test_seed_004s_course_over_a_seventy_percent_full_calendar_lands_inside_every_window(
    s, practitioner
):
    plan = _plan(s, practitioner)
    taken = _fill(s)
    proposal = course_propose(clinic=s.clinic, plan=plan, appointment_type=s.session)
    sessions = list(plan.planned_sessions.all())
    assert len(proposal.sessions) == len(sessions) >= 10
    for item in proposal.sessions:
        if item.start is None:
            assert item.problem  # says why
            continue
        local = item.start.astimezone(LONDON).date()
        assert item.session.earliest <= local <= item.session.latest, item.number
    assert len(proposal.placed) >= 10
    # The course keeps to one practitioner, weekday and time where the calendar lets it.
    staff = {p.staff_id for p in proposal.placed}
    assert len(staff) == 1
    booked = course_book(clinic=s.clinic, actor=practitioner, plan=plan, appointment_type=s.session)
    assert len(booked) == len(proposal.placed)
    assert Appointment.objects.count() == taken + len(booked)
    assert all(a.plan_session_id for a in booked)
    # Proposing again keeps the booked ones; it can only place what was left out before
    # (a session beyond the booking horizon, which slides with the first open window).
    again = course_propose(clinic=s.clinic, plan=plan, appointment_type=s.session)
    assert sum(p.already_booked for p in again.sessions) == len(booked)
    assert {p.number for p in again.placed} <= {p.number for p in proposal.unplaced}


def test_a_weekly_course_across_the_spring_change_stays_at_the_same_local_time(s, practitioner):
    plan = _plan(s, practitioner, first=dt.date(2027, 3, 15))
    proposal = course_propose(clinic=s.clinic, plan=plan, appointment_type=s.session)
    weekly = [p for p in proposal.placed if not p.session.maintenance][:4]
    times = {p.start.astimezone(LONDON).time() for p in weekly if p.start}
    assert times == {dt.time(9)}
    offsets = {p.start.astimezone(LONDON).utcoffset() for p in weekly if p.start}
    assert len(offsets) == 2  # GMT before 28 March, BST after


def test_a_course_that_collides_meanwhile_books_nothing(s, practitioner, monkeypatch):
    plan = _plan(s, practitioner)
    proposal = course_propose(clinic=s.clinic, plan=plan, appointment_type=s.session)
    third = proposal.placed[2]
    assert third.start is not None
    # Someone books the third session's slot between proposal and booking.
    Appointment.objects.create(
        clinic=s.clinic,
        patient=new_patient(s.clinic),
        staff=s.ann,
        appointment_type=s.session,
        starts_at=third.start,
        ends_at=third.start + dt.timedelta(minutes=30),
        occupied_until=third.start + dt.timedelta(minutes=45),
    )
    import pistor.scheduling.course as course

    monkeypatch.setattr(course, "course_propose", lambda **kw: proposal)
    with pytest.raises(Conflict, match="Session 3 could not be booked"):
        course_book(clinic=s.clinic, actor=practitioner, plan=plan, appointment_type=s.session)
    assert Appointment.objects.filter(plan_session__isnull=False).count() == 0


def test_the_course_api_proposes_then_books_and_says_what_it_could_not_place(
    client, s, practitioner, receptionist
):
    from tests.api.helpers import ApiClient, token_for

    plan = _plan(s, practitioner)
    api = ApiClient(client, token_for(receptionist, s.clinic))
    body = {"appointment_type_id": s.session.pk}
    proposal = api.post(f"/api/v1/scheduling/plans/{plan.pk}/course-proposal", body)
    assert proposal.status_code == 200, proposal.content
    assert Appointment.objects.count() == 0
    sessions = proposal.json()["sessions"]
    assert all(x["start"] or x["problem"] for x in sessions)
    booked = api.post(f"/api/v1/scheduling/plans/{plan.pk}/course-booking", body)
    assert booked.status_code == 201, booked.content
    assert booked.json()["booked"] == Appointment.objects.count() >= 10
    assert api.post("/api/v1/scheduling/plans/999999/course-booking", body).status_code == 404
