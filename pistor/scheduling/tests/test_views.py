from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.scheduling.models import Appointment, AppointmentType, Resource
from pistor.scheduling.tests.factories import MONDAY, at, booking_setup, new_patient
from pistor.testing.queries import assert_query_cap
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(clinic):
    return booking_setup(clinic)


def _ok(response):
    assert response.status_code == 200, response.content[:500]


def _grow(s):
    """Add ``n`` live appointments in the week of MONDAY without any overlap: a hundred
    extra practitioners and patients, each with up to fifty 45-minute visits."""
    from pistor.patients.tests.factories import build_patients
    from pistor.testing.factories import MembershipFactory

    state: dict[str, Any] = {"made": 0, "staff": [], "patients": []}

    def grow(n):
        if not state["staff"]:
            state["staff"] = [MembershipFactory(clinic=s.clinic) for _ in range(100)]
            state["patients"] = build_patients(s.clinic, 100)
        rows = []
        for i in range(state["made"], state["made"] + n):
            who, slot = i % 100, i // 100
            start = at(MONDAY, 8) + dt.timedelta(days=slot % 5, minutes=45 * (slot // 5))
            rows.append(
                Appointment(
                    clinic=s.clinic,
                    patient=state["patients"][who],
                    staff=state["staff"][who],
                    appointment_type=s.session,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=30),
                    occupied_until=start + dt.timedelta(minutes=45),
                )
            )
        Appointment.objects.bulk_create(rows, batch_size=500)
        state["made"] += n

    return grow


def test_reception_books_a_free_slot_from_the_day_view_and_marks_arrival(
    client, s, receptionist, settings
):
    patient = new_patient(s.clinic, record_number="H-000123")
    signed_in_client(client, receptionist)
    day = client.get(
        reverse("scheduling:calendar"), {"date": MONDAY.isoformat(), "type": s.session.pk}
    )
    _ok(day)
    html = day.content.decode()
    assert "Ann Practitioner" in html and "Ben Practitioner" in html
    assert "10:00</a>" in html
    start = at(MONDAY, 10).isoformat()
    book_url = reverse("scheduling:book")
    form = {"staff": s.ann.pk, "appointment_type": s.session.pk, "starts_at": start}
    assert client.get(book_url, form).status_code == 200
    response = client.post(book_url, {**form, "patient_number": "H-000123"})
    assert response.status_code == 302, response.content[:500]
    appt = Appointment.objects.get()
    assert appt.patient == patient and appt.room == s.room1
    # The same slot again: the page says what collides and writes nothing.
    again = client.post(book_url, {**form, "patient_number": "H-000123"})
    assert again.status_code == 409
    assert "already has an appointment" in again.content.decode()
    assert Appointment.objects.count() == 1
    # The day view shows it; arrival is one click.
    html = client.get(reverse("scheduling:calendar"), {"date": MONDAY.isoformat()}).content
    assert reverse("scheduling:appointment", args=[appt.pk]).encode() in html
    client.post(reverse("scheduling:status", args=[appt.pk]), {"status": "arrived"})
    appt.refresh_from_db()
    assert appt.status == "arrived" and appt.arrived_at is not None


def test_cancelling_on_the_page_records_who_and_frees_the_slot(client, s, receptionist):
    patient = new_patient(s.clinic)
    appt = Appointment.objects.create(
        clinic=s.clinic,
        patient=patient,
        staff=s.ann,
        appointment_type=s.session,
        room=s.room1,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 10, 30),
        occupied_until=at(MONDAY, 10, 45),
    )
    signed_in_client(client, receptionist)
    client.post(reverse("scheduling:cancel", args=[appt.pk]), {"by": "patient", "reason": "Ill"})
    appt.refresh_from_db()
    assert (appt.status, appt.cancelled_by, appt.cancel_reason) == ("cancelled", "patient", "Ill")
    page = client.get(reverse("scheduling:appointment", args=[appt.pk])).content.decode()
    assert "by patient" in page


def test_another_clinics_appointment_is_404_and_reception_cannot_manage(
    client, s, receptionist, other_clinic
):
    other = booking_setup(other_clinic)
    theirs = Appointment.objects.create(
        clinic=other_clinic,
        patient=new_patient(other_clinic),
        staff=other.ann,
        appointment_type=other.session,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 10, 30),
        occupied_until=at(MONDAY, 10, 30),
    )
    signed_in_client(client, receptionist)
    assert client.get(reverse("scheduling:appointment", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("scheduling:manage")).status_code == 403


def test_managers_add_rooms_and_visit_types_and_bad_durations_are_refused(client, s, manager):
    signed_in_client(client, manager)
    url = reverse("scheduling:manage")
    client.post(url, {"res-kind": "room", "res-name": "Room 3", "res-device_type": ""})
    assert Resource.objects.filter(name="Room 3").exists()
    bad = client.post(
        url,
        {
            "type-code": "long",
            "type-name": "Long",
            "type-kind": "treatment",
            "type-duration_minutes": "90",
            "type-buffer_minutes": "0",
        },
    )
    assert bad.status_code == 422 and "10 to 50" in bad.content.decode()
    assert not AppointmentType.objects.filter(code="long").exists()


@pytest.mark.parametrize("view", ["day", "week"])
def test_the_calendar_has_a_query_cap_at_ten_and_five_thousand_appointments(
    client, s, practitioner, view
):
    signed_in_client(client, practitioner)
    url = reverse("scheduling:calendar")
    assert_query_cap(
        lambda: client.get(url, {"date": MONDAY.isoformat(), "view": view}),
        grow=_grow(s),
        sizes=(10, 5000),
        cap=40,
        check=_ok,
    )


# --- API ----------------------------------------------------------------------------------


def test_the_api_books_refuses_collisions_with_409_and_bad_input_with_422(client, s, receptionist):
    api = ApiClient(client, token_for(receptionist, s.clinic))
    patient = new_patient(s.clinic)
    body = {
        "patient_id": patient.pk,
        "staff_id": s.ann.pk,
        "appointment_type_id": s.session.pk,
        "starts_at": at(MONDAY, 10).isoformat(),
    }
    created = api.post("/api/v1/scheduling/appointments", body)
    assert created.status_code == 201, created.content
    assert "no-store" in created["Cache-Control"]
    clash = assert_error_shape(api.post("/api/v1/scheduling/appointments", body), 409)
    assert "already has an appointment" in clash["message"]
    for bad in (
        {**body, "starts_at": "2027-01-04T10:00:00"},  # no time zone
        {**body, "starts_at": "9999-01-04T10:00:00+00:00"},
        {**body, "starts_at": at(MONDAY, 7).isoformat()},  # before opening
    ):
        response = api.post("/api/v1/scheduling/appointments", bad)
        assert response.status_code == 422, (bad, response.content)
    assert Appointment.objects.count() == 1
    slots = api.get(
        "/api/v1/scheduling/availability",
        appointment_type_id=s.session.pk,
        date_from=MONDAY.isoformat(),
        date_to=MONDAY.isoformat(),
        staff_id=s.ann.pk,
    )
    assert slots.status_code == 200
    assert at(MONDAY, 10).isoformat() not in [x["start"] for x in slots.json()]
    backwards = api.get(
        "/api/v1/scheduling/availability",
        appointment_type_id=s.session.pk,
        date_from="2027-01-05",
        date_to="2027-01-04",
    )
    assert backwards.status_code == 422


def test_reception_cannot_add_rooms_over_the_api(client, s, receptionist):
    api = ApiClient(client, token_for(receptionist, s.clinic))
    response = api.post("/api/v1/scheduling/resources", {"kind": "room", "name": "X"})
    assert response.status_code == 403


def test_the_availability_api_has_a_query_cap(client, s, receptionist):
    api = ApiClient(client, token_for(receptionist, s.clinic))
    api.get("/api/v1/scheduling/resources")  # the token's first use is recorded once
    assert_query_cap(
        lambda: api.get(
            "/api/v1/scheduling/availability",
            appointment_type_id=s.session.pk,
            date_from=MONDAY.isoformat(),
            date_to=(MONDAY + dt.timedelta(days=6)).isoformat(),
        ),
        grow=_grow(s),
        sizes=(10, 5000),
        cap=25,
        check=_ok,
    )
