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


# --- Moving one session re-plans the later ones -------------------------------------------


def test_moving_a_course_session_replans_the_later_windows_and_shows_them_on_the_plan(
    client, s, practitioner, receptionist
):
    from django.urls import reverse

    from conftest import signed_in_client
    from pistor.plans.models import PlanSession
    from tests.api.helpers import ApiClient, token_for

    plan = _plan(s, practitioner)
    booked = course_book(clinic=s.clinic, actor=practitioner, plan=plan, appointment_type=s.session)
    second = next(a for a in booked if a.plan_session.number == 2)
    third_before = PlanSession.objects.get(plan=plan, number=3)
    # Session 2 moves four days later (the Monday 11 Jan slot becomes Friday 15 Jan).
    new_start = second.starts_at + dt.timedelta(days=4)
    api = ApiClient(client, token_for(receptionist, s.clinic))
    moved = api.post(
        f"/api/v1/scheduling/appointments/{second.pk}/move", {"starts_at": new_start.isoformat()}
    )
    assert moved.status_code == 200, moved.content
    third = PlanSession.objects.get(plan=plan, number=3)
    # Seed 004's weekly rhythm (7..14 days) now runs from Friday 15 January.
    new_day = new_start.astimezone(LONDON).date()
    assert third.earliest == new_day + dt.timedelta(days=7) != third_before.earliest
    assert third.latest == new_day + dt.timedelta(days=14)
    assert PlanSession.objects.get(plan=plan, number=2).planned_on == new_day
    windows = moved.json()["replanned"]
    assert windows[0]["number"] == 3 and windows[0]["earliest"] == third.earliest.isoformat()
    # Session 3's booking (Monday 18th) is now three days too early for its window: said so.
    assert windows[0]["booked_outside"] is True
    signed_in_client(client, practitioner)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert f"{third.earliest:%-d %b}" in page
    appt_page = client.get(reverse("scheduling:appointment", args=[second.pk])).content.decode()
    assert "outside its window" in appt_page


def test_moving_a_course_session_onto_a_taken_slot_is_409_and_replans_nothing(
    client, s, practitioner, receptionist
):
    from pistor.plans.models import PlanSession
    from tests.api.helpers import ApiClient, assert_error_shape, token_for

    plan = _plan(s, practitioner)
    booked = course_book(clinic=s.clinic, actor=practitioner, plan=plan, appointment_type=s.session)
    second = next(a for a in booked if a.plan_session.number == 2)
    other = Appointment.objects.create(
        clinic=s.clinic,
        patient=new_patient(s.clinic),
        staff=second.staff,
        appointment_type=s.session,
        starts_at=second.starts_at + dt.timedelta(days=2),
        ends_at=second.starts_at + dt.timedelta(days=2, minutes=30),
        occupied_until=second.starts_at + dt.timedelta(days=2, minutes=45),
    )
    windows = list(PlanSession.objects.filter(plan=plan).values_list("earliest", "latest"))
    api = ApiClient(client, token_for(receptionist, s.clinic))
    clash = api.post(
        f"/api/v1/scheduling/appointments/{second.pk}/move",
        {"starts_at": other.starts_at.isoformat()},
    )
    body = assert_error_shape(clash, 409)
    assert "practitioner already has an appointment" in body["message"]
    assert list(PlanSession.objects.filter(plan=plan).values_list("earliest", "latest")) == windows
    second.refresh_from_db()
    assert second.starts_at != other.starts_at


def test_the_move_page_moves_in_local_time_and_says_why_it_cannot(client, s, receptionist):
    from django.urls import reverse

    from conftest import signed_in_client

    appt = Appointment.objects.create(
        clinic=s.clinic,
        patient=new_patient(s.clinic),
        staff=s.ann,
        appointment_type=s.session,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 10, 30),
        occupied_until=at(MONDAY, 10, 45),
    )
    signed_in_client(client, receptionist)
    url = reverse("scheduling:move", args=[appt.pk])
    shut = client.post(url, {"starts_at": f"{MONDAY}T07:00"})
    assert shut.status_code == 422 and "closed" in shut.content.decode()
    assert client.post(url, {"starts_at": "9999-01-01T10:00"}).status_code == 422
    assert client.post(url, {"starts_at": "not a time"}).status_code == 422
    appt.refresh_from_db()
    assert appt.starts_at == at(MONDAY, 10)
    ok = client.post(url, {"starts_at": f"{MONDAY}T14:00"})
    assert ok.status_code == 302
    appt.refresh_from_db()
    assert appt.starts_at == at(MONDAY, 14)


@pytest.mark.parametrize(
    ("first", "change"),
    [(dt.date(2027, 3, 15), dt.date(2027, 3, 28)), (dt.date(2027, 10, 18), dt.date(2027, 10, 31))],
    ids=["spring", "autumn"],
)
def test_a_weekly_ten_oclock_course_stays_at_ten_across_the_clock_change(
    s, practitioner, first, change
):
    from pistor.scheduling.services import appointment_book

    plan = _plan(s, practitioner, first=first)
    one = plan.planned_sessions.get(number=1)
    appointment_book(
        clinic=s.clinic,
        actor=practitioner,
        patient=plan.patient,
        staff=s.ben,
        appointment_type=s.session,
        starts_at=at(first, 10),
        plan_session=one,
    )
    proposal = course_propose(clinic=s.clinic, plan=plan, appointment_type=s.session)
    weekly = [p for p in proposal.placed if not p.session.maintenance and p.start][:5]
    local = [p.start.astimezone(LONDON) for p in weekly if p.start]
    assert [t.time() for t in local] == [dt.time(10)] * len(local)
    assert {p.staff_id for p in weekly} == {s.ben.pk}
    assert any(t.date() < change for t in local) and any(t.date() > change for t in local)
    assert len({t.utcoffset() for t in local}) == 2  # GMT and BST both crossed
    booked = course_book(clinic=s.clinic, actor=practitioner, plan=plan, appointment_type=s.session)
    after = [a.starts_at.astimezone(LONDON) for a in booked if a.starts_at.date() > change]
    assert after and all(t.time() == dt.time(10) for t in after[:3])


def test_the_course_api_picks_the_indications_treatment_type_when_asked_for_none(
    client, s, practitioner, receptionist
):
    from tests.api.helpers import ApiClient, assert_error_shape, token_for

    plan = _plan(s, practitioner)
    api = ApiClient(client, token_for(receptionist, s.clinic))
    url = f"/api/v1/scheduling/plans/{plan.pk}/course-proposal"
    assert_error_shape(api.post(url, {}), 422)  # say which type, or null for the default
    proposal = api.post(url, {"appointment_type_id": None})
    assert proposal.status_code == 200, proposal.content
    assert Appointment.objects.count() == 0
    assert sum(1 for x in proposal.json()["sessions"] if x["start"]) >= 10
