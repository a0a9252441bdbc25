from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pistor.audit.models import AuditEvent
from pistor.core.errors import Conflict, ValidationFailed
from pistor.scheduling.models import Absence, Appointment
from pistor.scheduling.selectors import slots_find
from pistor.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    appointment_status_set,
    appointment_type_create,
    opening_hours_set,
)
from pistor.scheduling.tests.factories import LONDON, MONDAY, at, booking_setup, new_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(clinic):
    return booking_setup(clinic)


def _book(s, patient, staff=None, start=None, kind=None, **kw):
    return appointment_book(
        clinic=s.clinic,
        actor=None,
        patient=patient,
        staff=staff or s.ann,
        appointment_type=kind or s.session,
        starts_at=start or at(MONDAY, 10),
        **kw,
    )


def test_booking_chooses_a_free_room_and_records_the_buffer_and_an_audit_event(s):
    appt = _book(s, new_patient(s.clinic))
    assert appt.room == s.room1
    assert appt.ends_at == at(MONDAY, 10, 30)
    assert appt.occupied_until == at(MONDAY, 10, 45)
    assert AuditEvent.objects.filter(event_type="appointment.booked").count() == 1


def test_the_same_practitioner_twice_is_a_conflict_that_names_the_practitioner(s):
    _book(s, new_patient(s.clinic))
    with pytest.raises(Conflict, match="practitioner already has an appointment Mon 04 Jan 10:00"):
        _book(s, new_patient(s.clinic), start=at(MONDAY, 10, 30))  # in the buffer
    assert Appointment.objects.count() == 1


def test_the_patient_cannot_be_with_two_practitioners_at_once(s):
    patient = new_patient(s.clinic)
    _book(s, patient)
    with pytest.raises(Conflict, match="patient already has an appointment"):
        _book(s, patient, staff=s.ben, start=at(MONDAY, 10, 15))
    # Right after the visit (the buffer is the room's, not the patient's) is fine.
    assert _book(s, patient, staff=s.ben, start=at(MONDAY, 10, 30)).room == s.room2


def test_a_named_room_or_device_that_is_taken_is_a_conflict(s):
    _book(s, new_patient(s.clinic), room=s.room2)
    with pytest.raises(Conflict, match="room is already booked"):
        _book(s, new_patient(s.clinic), staff=s.ben, room=s.room2)
    _book(s, new_patient(s.clinic), kind=s.gun_session, start=at(MONDAY, 14))
    with pytest.raises(Conflict, match="No mesotherapy gun is free"):
        _book(
            s,
            new_patient(s.clinic),
            staff=s.ben,
            kind=s.gun_session,
            start=at(MONDAY, 14),
        )
    with pytest.raises(Conflict, match="device is already in use"):
        _book(
            s,
            new_patient(s.clinic),
            staff=s.ben,
            kind=s.gun_session,
            start=at(MONDAY, 14),
            device=s.gun,
        )


def test_when_every_room_is_taken_booking_says_so(s):
    _book(s, new_patient(s.clinic))
    _book(s, new_patient(s.clinic), staff=s.ben)
    from pistor.scheduling.models import WorkingHours
    from pistor.testing.factories import MembershipFactory

    cy: Any = MembershipFactory(clinic=s.clinic, role="nurse")
    WorkingHours.objects.create(
        clinic=s.clinic, staff=cy, weekday=0, starts=dt.time(9), ends=dt.time(17)
    )
    with pytest.raises(Conflict, match="No treatment room is free"):
        _book(s, new_patient(s.clinic), staff=cy)


def test_a_cancelled_slot_can_be_booked_again_and_late_cancellations_are_marked(s, settings):
    first = _book(s, new_patient(s.clinic))
    cancelled = appointment_cancel(
        clinic=s.clinic, actor=None, appointment=first, by="patient", reason="Away"
    )
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == "patient"
    assert cancelled.late_cancellation is False  # weeks ahead of the test clock
    again = _book(s, new_patient(s.clinic))
    assert again.starts_at == first.starts_at


def test_moving_onto_a_taken_slot_is_a_conflict_and_changes_nothing(s):
    a = _book(s, new_patient(s.clinic))
    b = _book(s, new_patient(s.clinic), start=at(MONDAY, 11))
    with pytest.raises(Conflict, match="practitioner already has"):
        appointment_move(clinic=s.clinic, actor=None, appointment=b, starts_at=at(MONDAY, 10, 15))
    b.refresh_from_db()
    assert b.starts_at == at(MONDAY, 11)
    moved = appointment_move(
        clinic=s.clinic, actor=None, appointment=b, starts_at=at(MONDAY, 10, 45)
    )
    assert moved.starts_at == at(MONDAY, 10, 45)
    assert a.pk != b.pk


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (at(MONDAY, 8, 30), "does not work at that time"),  # clinic open, practitioner not yet
        (at(MONDAY, 16, 45), "does not work at that time"),  # would end 17:15
        (at(MONDAY + dt.timedelta(days=6), 10), "clinic is closed"),  # Sunday
        (dt.datetime(9999, 1, 4, 10, tzinfo=LONDON), "two years ahead"),
    ],
)
def test_times_outside_the_hours_or_absurdly_far_are_refused_and_nothing_is_written(
    s, start, message
):
    with pytest.raises(ValidationFailed, match=message):
        _book(s, new_patient(s.clinic), start=start)
    assert not Appointment.objects.exists()


def test_an_absence_blocks_booking_and_removes_the_slots(s):
    Absence.objects.create(
        clinic=s.clinic,
        staff=s.ann,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 13),
        reason="Training",
    )
    with pytest.raises(Conflict, match="away"):
        _book(s, new_patient(s.clinic))
    slots = slots_find(
        clinic=s.clinic,
        appointment_type=s.session,
        day_from=MONDAY,
        day_to=MONDAY,
        staff_ids=[s.ann.pk],
    )
    assert slots[0].start == at(MONDAY, 13)


def test_an_archived_patient_cannot_be_booked(s):
    patient = new_patient(s.clinic, archived_at=at(MONDAY, 8), archive_reason="Moved away")
    with pytest.raises(ValidationFailed, match="archived"):
        _book(s, patient)
    assert not Appointment.objects.exists()


def test_statuses_move_forward_only(s):
    appt = _book(s, new_patient(s.clinic))
    for status in ("arrived", "in_treatment", "done"):
        appt = appointment_status_set(clinic=s.clinic, actor=None, appointment=appt, status=status)
    assert appt.status == "done"
    with pytest.raises(Conflict, match="done appointment cannot become arrived"):
        appointment_status_set(clinic=s.clinic, actor=None, appointment=appt, status="arrived")


def test_a_treatment_type_lasts_ten_to_fifty_minutes(s):
    with pytest.raises(ValidationFailed, match="10 to 50"):
        appointment_type_create(
            clinic=s.clinic,
            actor=None,
            code="long",
            name="Long",
            kind="treatment",
            duration_minutes=60,
        )
    with pytest.raises(ValidationFailed):
        appointment_type_create(
            clinic=s.clinic,
            actor=None,
            code="zero",
            name="Zero",
            kind="consultation",
            duration_minutes=0,
        )


def test_opening_hours_refuse_closing_before_opening(s):
    with pytest.raises(ValidationFailed, match="after opening"):
        opening_hours_set(clinic=s.clinic, actor=None, hours=[(0, dt.time(17), dt.time(9))])


def test_slots_skip_the_taken_time_and_keep_to_local_time_in_summer(s):
    _book(s, new_patient(s.clinic))
    slots = slots_find(
        clinic=s.clinic,
        appointment_type=s.session,
        day_from=MONDAY,
        day_to=MONDAY,
        staff_ids=[s.ann.pk],
    )
    starts = [x.start.astimezone(LONDON).strftime("%H:%M") for x in slots]
    assert "10:00" not in starts and "10:30" not in starts and "10:45" in starts
    july = dt.date(2027, 7, 5)
    summer = slots_find(
        clinic=s.clinic,
        appointment_type=s.session,
        day_from=july,
        day_to=july,
        staff_ids=[s.ann.pk],
    )
    assert summer[0].start.astimezone(LONDON).time() == dt.time(9)
    assert summer[0].start.utcoffset() == dt.timedelta(0) and summer[0].start.hour == 8


def test_a_test_reading_is_booked_at_least_the_clinics_wait_after_the_test(s):
    from pistor.scheduling.models import AppointmentType

    test = AppointmentType.objects.create(
        clinic=s.clinic, code="test", name="Allergy test", kind="allergy_test", duration_minutes=15
    )
    reading = AppointmentType.objects.create(
        clinic=s.clinic, code="reading", name="Reading", kind="test_reading", duration_minutes=10
    )
    patient = new_patient(s.clinic)
    _book(s, patient, kind=test, start=at(MONDAY, 9))
    with pytest.raises(ValidationFailed, match="at least 24 hours"):
        _book(s, patient, kind=reading, start=at(MONDAY + dt.timedelta(days=1), 8, 45))
    ok = _book(s, patient, kind=reading, start=at(MONDAY + dt.timedelta(days=1), 9))
    assert ok.appointment_type == reading


def test_the_reading_wait_holds_whichever_visit_is_booked_or_moved_second(s):
    from pistor.scheduling.models import AppointmentType
    from pistor.scheduling.services import appointment_move

    test = AppointmentType.objects.create(
        clinic=s.clinic, code="test", name="Allergy test", kind="allergy_test", duration_minutes=15
    )
    reading = AppointmentType.objects.create(
        clinic=s.clinic, code="reading", name="Reading", kind="test_reading", duration_minutes=10
    )
    patient = new_patient(s.clinic)
    tuesday = MONDAY + dt.timedelta(days=1)
    read = _book(s, patient, kind=reading, start=at(tuesday, 9))
    # The test cannot be booked less than 24 h before a reading already booked ...
    with pytest.raises(ValidationFailed, match="at least 24 hours"):
        _book(s, patient, kind=test, start=at(MONDAY, 10))
    placed = _book(s, patient, kind=test, start=at(MONDAY, 9))
    # ... and neither visit can be moved to close the gap.
    with pytest.raises(ValidationFailed, match="at least 24 hours"):
        appointment_move(clinic=s.clinic, actor=None, appointment=read, starts_at=at(MONDAY, 15))
    with pytest.raises(ValidationFailed, match="at least 24 hours"):
        appointment_move(clinic=s.clinic, actor=None, appointment=placed, starts_at=at(MONDAY, 11))
    read.refresh_from_db()
    placed.refresh_from_db()
    assert (placed.starts_at, read.starts_at) == (at(MONDAY, 9), at(tuesday, 9))
    moved = appointment_move(
        clinic=s.clinic, actor=None, appointment=read, starts_at=at(tuesday, 10)
    )
    assert moved.starts_at == at(tuesday, 10)
