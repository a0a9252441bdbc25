"""The public booking page, the emailed cancel-or-move link and the manager's settings page,
through HTTP, checking what the person sees and what was stored."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core import signing
from django.urls import reverse
from icalendar import Calendar

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.core import clock
from pistor.intake.models import IntakeLink
from pistor.onlinebooking.models import OnlineBooking, OnlineBookingSettings
from pistor.onlinebooking.selectors import MANAGE_SALT
from pistor.onlinebooking.services import form_token, manage_token
from pistor.patients.models import Patient
from pistor.scheduling.models import Appointment
from pistor.scheduling.services import appointment_book
from pistor.scheduling.tests.factories import LONDON, booking_setup, new_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(clinic):
    setup = booking_setup(clinic)
    OnlineBookingSettings.objects.create(clinic=clinic, enabled=True)
    return setup


def monday_ahead() -> dt.date:
    """A Monday one to two weeks ahead: inside the page's four weeks, past any notice."""
    today = clock.now().astimezone(LONDON).date()
    return today + dt.timedelta(days=14 - today.weekday())


def at(hh: int, mm: int = 0, day: dt.date | None = None) -> dt.datetime:
    return dt.datetime.combine(day or monday_ahead(), dt.time(hh, mm), tzinfo=LONDON)


def slot_href(start: dt.datetime) -> str:
    return "start=" + quote(start.isoformat())


def page_url(s: Any) -> str:
    return reverse("onlinebooking:page", args=[s.clinic.slug])


def details(**over: Any) -> dict[str, str]:
    data = {
        "type": "consultation",
        "start": at(10).isoformat(),
        "given_name": "Nina",
        "family_name": "Newcomer",
        "date_of_birth": "1990-04-02",
        "email": "nina@example.org",
        "phone": "",
        "website": "",
        # The form was shown half a minute ago: a person's pace.
        "shown": form_token(now=clock.now() - dt.timedelta(seconds=30)),
    }
    data.update(over)
    return data


def book(client: Any, s: Any, captured: Any, **over: Any) -> Any:
    with captured(execute=True):
        return client.post(page_url(s), details(**over))


def normalised(response: Any) -> str:
    """The page without the per-request CSRF token."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


def counts() -> tuple[int, int, int, int]:
    return (
        Patient.objects.count(),
        Appointment.objects.count(),
        OnlineBooking.objects.count(),
        IntakeLink.objects.count(),
    )


# --- Booking --------------------------------------------------------------------------------


def test_the_page_lists_bookable_types_and_free_times_without_anyones_name(client, s):
    taken_by = new_patient(s.clinic, given_name="Secretia", family_name="Hiddenworth")
    for staff in (s.ann, s.ben):
        appointment_book(
            clinic=s.clinic,
            actor=None,
            patient=taken_by if staff == s.ann else new_patient(s.clinic),
            staff=staff,
            appointment_type=s.session,
            starts_at=at(11),
        )
    types = client.get(page_url(s))
    assert types.status_code == 200
    html = types.content.decode()
    assert "First consultation" in html and "Treatment session" not in html
    slots = client.get(page_url(s), {"type": "consultation", "from": monday_ahead().isoformat()})
    html = slots.content.decode()
    assert slots.status_code == 200
    assert slot_href(at(10)) in html
    # 11:00 is taken by both practitioners: not offered, and nobody's name shows.
    assert slot_href(at(11)) not in html
    assert "Secretia" not in html and "Hiddenworth" not in html
    assert "Practitioner" not in html  # not even whose free time it is


def test_a_new_patient_books_and_gets_the_confirmation_with_ics_and_links(
    client, s, mailoutbox, django_capture_on_commit_callbacks
):
    form = client.get(page_url(s), {"type": "consultation", "start": at(10).isoformat()})
    assert form.status_code == 200 and 'id="booking-form"' in form.content.decode()
    response = book(client, s, django_capture_on_commit_callbacks)
    assert response.status_code == 200, response.content[:800]
    assert "Thank you" in response.content.decode()
    patient = Patient.objects.get(email="nina@example.org")
    assert (patient.given_name, patient.date_of_birth) == ("Nina", dt.date(1990, 4, 2))
    appt = Appointment.objects.get()
    assert appt.patient == patient and appt.starts_at == at(10)
    assert appt.booked_via == "online" and appt.room is not None
    booking = OnlineBooking.objects.get()
    assert booking.new_patient and not booking.needs_review
    # The confirmation: the visit, the .ics, the link to cancel or move, the intake link.
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nina@example.org"]
    assert "First consultation".lower() in mail.body and "10:00" in mail.body
    # The link is signed with the time it was made, so it is read from the mail and opened.
    (link,) = re.findall(r"/book/manage/[^/\s]+/", mail.body)
    assert signing.loads(link.split("/")[3], salt=MANAGE_SALT) == {"b": booking.pk}
    assert "/intake/fill/" in mail.body
    name, content, mimetype = mail.attachments[0]
    assert name == "appointment.ics" and mimetype == "text/calendar"
    events = Calendar.from_ical(content).walk("VEVENT")
    assert len(events) == 1 and events[0].decoded("dtstart") == at(10)
    # The intake link works.
    intake = re.search(r"https?://\S+(/intake/fill/\S+/)", mail.body)
    assert intake and client.get(intake.group(1)).status_code == 200
    # Audited with ids only.
    event = AuditEvent.objects.get(event_type="online_booking.made")
    assert event.after == {
        "appointment": appt.pk,
        "patient": patient.pk,
        "new_patient": True,
        "needs_review": False,
    }


def test_a_returning_patient_is_matched_and_the_page_says_exactly_what_it_says_to_a_stranger(
    client, s, mailoutbox, django_capture_on_commit_callbacks
):
    known = new_patient(
        s.clinic, email="kim@example.org", date_of_birth=dt.date(1980, 1, 1), given_name="Kim"
    )
    matched = book(
        client,
        s,
        django_capture_on_commit_callbacks,
        email="KIM@example.org",
        date_of_birth="1980-01-01",
        given_name="K",
        family_name="Typo",
    )
    assert matched.status_code == 200
    first = OnlineBooking.objects.get()
    assert first.patient == known and not first.new_patient and not first.needs_review
    assert Patient.objects.count() == 1
    # Same email, another date of birth: a new registration flagged for reception, and the
    # very same page (same time: the other practitioner is free).
    stranger = book(
        client,
        s,
        django_capture_on_commit_callbacks,
        email="KIM@example.org",
        date_of_birth="1999-09-09",
    )
    assert stranger.status_code == 200
    assert normalised(stranger) == normalised(matched)
    second = OnlineBooking.objects.exclude(pk=first.pk).get()
    assert second.patient != known and second.new_patient
    assert second.needs_review and second.review_reason == "email_dob_mismatch"
    # Both emails say the same thing (apart from each one's own links).
    strip = re.compile(r"https?://\S+")
    assert strip.sub("", mailoutbox[0].body) == strip.sub("", mailoutbox[1].body)


def test_the_same_name_and_birth_date_registers_a_flagged_patient_rather_than_refusing(
    client, s, django_capture_on_commit_callbacks
):
    new_patient(
        s.clinic, given_name="Nina", family_name="Newcomer", date_of_birth=dt.date(1990, 4, 2)
    )
    response = book(client, s, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    booking = OnlineBooking.objects.get()
    assert booking.needs_review and booking.review_reason == "same_name_dob"


def test_a_time_taken_meanwhile_gives_a_clear_message_and_writes_nothing(
    client, s, django_capture_on_commit_callbacks
):
    for staff in (s.ann, s.ben):
        appointment_book(
            clinic=s.clinic,
            actor=None,
            patient=new_patient(s.clinic),
            staff=staff,
            appointment_type=s.consultation,
            starts_at=at(10),
        )
    before = counts()
    response = book(client, s, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert "that time has just been taken" in response.content.decode()
    assert counts() == before


def test_a_clash_found_by_the_booking_itself_rolls_back_the_new_registration(
    client, s, monkeypatch, django_capture_on_commit_callbacks
):
    """The slot looked free when read, then was taken before the booking's lock: the new
    patient registered in the same transaction is rolled back with it."""
    from pistor.clinical.slots import Slot
    from pistor.onlinebooking import services

    appointment_book(
        clinic=s.clinic,
        actor=None,
        patient=new_patient(s.clinic),
        staff=s.ann,
        appointment_type=s.consultation,
        starts_at=at(10),
    )
    stale = Slot(at(10), at(10, 30), (f"staff:{s.ann.pk}", f"room:{s.room2.pk}"))
    monkeypatch.setattr(services, "slot_at", lambda **kw: stale)
    before = counts()
    response = book(client, s, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    html = response.content.decode()
    assert "that time has just been taken" in html
    assert "already has an appointment" not in html  # says nothing of whose
    assert counts() == before


@pytest.mark.parametrize(
    ("over", "status", "words"),
    [
        ({"start": "9999-12-31T23:30:00-05:00"}, 422, "far outside the times"),
        ({"start": "2100-01-04T10:00:00+00:00"}, 422, "days ahead"),
        ({"start": "not a time"}, 422, "Choose one of the times listed"),
        ({"start": "2027-01-04T10:00:00"}, 422, "Choose one of the times listed"),  # no offset
        ({"start": "OUTSIDE"}, 422, "does not see patients at that time"),
        ({"start": "PAST"}, 422, "hours ahead"),
        ({"date_of_birth": "9999-01-01"}, 422, "before the year 2201"),
        ({"date_of_birth": "TOMORROW"}, 422, "cannot be in the future"),
        ({"email": "not-an-email"}, 422, "valid email"),
        ({"given_name": ""}, 422, "required"),
        ({"website": "http://spam.example"}, 400, "could not be sent"),
        ({"shown": "SOON"}, 400, "sent very quickly"),
        ({"shown": "forged"}, 400, "expired"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(
    client, s, over, status, words, django_capture_on_commit_callbacks
):
    specials = {
        "OUTSIDE": at(3).isoformat(),  # 03:00: the clinic is shut
        "PAST": (clock.now() - dt.timedelta(hours=1)).isoformat(),
        "TOMORROW": (dt.date.today() + dt.timedelta(days=2)).isoformat(),  # noqa: DTZ011
        "SOON": form_token(now=clock.now()),
    }
    over = {k: specials.get(v, v) for k, v in over.items()}
    before = counts()
    response = book(client, s, django_capture_on_commit_callbacks, **over)
    assert response.status_code == status, response.content[:800]
    assert words in response.content.decode()
    assert counts() == before


def test_far_out_dates_in_the_address_show_the_page_not_an_error(
    client, s, django_capture_on_commit_callbacks
):
    booking = _booked(client, s, django_capture_on_commit_callbacks)
    extreme = "9999-12-31T23:30:00-05:00"
    for params in (
        {"type": "consultation", "start": extreme},
        {"type": "consultation", "from": "9999-12-31"},
    ):
        assert client.get(page_url(s), params).status_code == 200
    url = reverse("onlinebooking:manage", args=[manage_token(booking)])
    assert client.get(url, {"move": "1", "from": "0001-01-01"}).status_code == 200
    moved = client.post(url, {"action": "move", "start": extreme})
    assert moved.status_code == 422 and "Choose one of the times listed" in moved.content.decode()
    assert Appointment.objects.get().starts_at == at(10)


def test_a_clinic_without_online_booking_or_an_unoffered_type_answers_not_found(client, s):
    assert client.get(page_url(s), {"type": "session"}).status_code == 404
    OnlineBookingSettings.objects.filter(clinic=s.clinic).update(enabled=False)
    assert client.get(page_url(s)).status_code == 404
    assert client.get(reverse("onlinebooking:page", args=["no-such-clinic"])).status_code == 404


def test_a_flood_of_requests_from_one_address_is_answered_429(
    client, s, settings, django_capture_on_commit_callbacks
):
    settings.PISTOR_ONLINE_BOOKING_VIEWS_PER_WINDOW = 5
    settings.PISTOR_ONLINE_BOOKING_SUBMITS_PER_WINDOW = 2
    codes = [client.get(page_url(s)).status_code for _ in range(8)]
    assert codes == [200] * 5 + [429] * 3
    refused = client.get(page_url(s))
    assert "Too many requests" in refused.content.decode() and refused["Retry-After"]
    # Another address is not held back.
    assert client.get(page_url(s), REMOTE_ADDR="10.0.0.9").status_code == 200
    # Submissions have their own, smaller allowance.
    posts = [
        book(client, s, django_capture_on_commit_callbacks, email=f"p{i}@example.org").status_code
        for i in range(3)
    ]
    assert posts[2] == 429
    assert OnlineBooking.objects.count() <= 2


def test_behind_the_proxy_the_limit_counts_the_forwarded_address(client, s, settings):
    settings.PISTOR_BEHIND_PROXY = True
    settings.PISTOR_PROXY_HOPS = 1
    settings.PISTOR_ONLINE_BOOKING_VIEWS_PER_WINDOW = 2
    one = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert [client.get(page_url(s), **one).status_code for _ in range(3)] == [200, 200, 429]
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    assert client.get(page_url(s), **other).status_code == 200


# --- Cancel or move by the emailed link -----------------------------------------------------


def _booked(client, s, captured) -> OnlineBooking:
    assert book(client, s, captured).status_code == 200
    return OnlineBooking.objects.get()


def test_the_link_cancels_within_the_policy_and_frees_the_time(
    client, s, django_capture_on_commit_callbacks
):
    booking = _booked(client, s, django_capture_on_commit_callbacks)
    url = reverse("onlinebooking:manage", args=[manage_token(booking)])
    page = client.get(url)
    assert page.status_code == 200 and 'id="manage-cancel"' in page.content.decode()
    response = client.post(url, {"action": "cancel"})
    assert response.status_code == 200 and "is cancelled" in response.content.decode()
    appt = Appointment.objects.get()
    assert (appt.status, appt.cancelled_by) == ("cancelled", "patient")
    event = AuditEvent.objects.get(event_type="online_booking.cancelled")
    assert event.after == {"appointment": appt.pk, "patient": booking.patient_id}


def test_the_link_moves_within_the_policy_and_sends_the_new_time(
    client, s, mailoutbox, django_capture_on_commit_callbacks
):
    booking = _booked(client, s, django_capture_on_commit_callbacks)
    url = reverse("onlinebooking:manage", args=[manage_token(booking)])
    choices = client.get(url, {"move": "1", "from": monday_ahead().isoformat()}).content.decode()
    assert at(14).isoformat() in choices
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "move", "start": at(14).isoformat()})
    assert response.status_code == 200, response.content[:800]
    appt = Appointment.objects.get()
    assert appt.starts_at == at(14) and appt.status == "booked"
    assert len(mailoutbox) == 2 and "14:00" in mailoutbox[1].body
    assert AuditEvent.objects.filter(event_type="online_booking.moved").count() == 1
    # A time outside the hours is refused with a message, nothing moves.
    bad = client.post(url, {"action": "move", "start": at(3).isoformat()})
    assert bad.status_code == 422 and "does not see patients" in bad.content.decode()
    appt.refresh_from_db()
    assert appt.starts_at == at(14)


def test_the_link_refuses_changes_inside_the_cutoff(
    client, s, moving_clock, django_capture_on_commit_callbacks
):
    booking = _booked(client, s, django_capture_on_commit_callbacks)
    url = reverse("onlinebooking:manage", args=[manage_token(booking)])
    start, later = at(10), at(14)
    # Move the clock to 12 hours before the visit.
    moving_clock.advance(start - dt.timedelta(hours=12) - clock.now())
    page = client.get(url).content.decode()
    assert "until 24 hours before" in page and 'id="manage-cancel"' not in page
    for data in ({"action": "cancel"}, {"action": "move", "start": later.isoformat()}):
        response = client.post(url, data)
        assert response.status_code == 409
        assert "until 24 hours before" in response.content.decode()
    appt = Appointment.objects.get()
    assert appt.status == "booked" and appt.starts_at == start


def test_a_forged_or_broken_link_is_not_found(client, s):
    assert client.get(reverse("onlinebooking:manage", args=["forged:token"])).status_code == 404
    assert (
        client.post(reverse("onlinebooking:manage", args=["x"]), {"action": "cancel"}).status_code
        == 404
    )


# --- The manager's settings page ------------------------------------------------------------


def test_a_manager_turns_booking_on_and_chooses_the_types(client, clinic, manager):
    setup = booking_setup(clinic)
    signed_in_client(client, manager)
    url = reverse("onlinebooking:settings")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "enabled": "on",
            "days_ahead": "21",
            "min_notice_hours": "4",
            "change_cutoff_hours": "48",
            "types": [str(setup.session.pk)],
        },
    )
    assert response.status_code == 302
    conf = OnlineBookingSettings.objects.get(clinic=clinic)
    assert (conf.enabled, conf.days_ahead, conf.change_cutoff_hours) == (True, 21, 48)
    setup.session.refresh_from_db()
    setup.consultation.refresh_from_db()
    assert setup.session.online_bookable and not setup.consultation.online_bookable
    assert AuditEvent.objects.filter(event_type="online_booking.settings_updated").exists()
    bad = client.post(
        url, {"days_ahead": "9999", "min_notice_hours": "1", "change_cutoff_hours": "1"}
    )
    assert bad.status_code == 422
    assert OnlineBookingSettings.objects.get(clinic=clinic).days_ahead == 21


def test_reception_cannot_change_the_settings(client, clinic, receptionist):
    signed_in_client(client, receptionist)
    assert client.get(reverse("onlinebooking:settings")).status_code == 403


def test_reception_checks_flagged_registrations_and_marks_them_checked(
    client, s, receptionist, django_capture_on_commit_callbacks
):
    new_patient(s.clinic, email="kim@example.org", date_of_birth=dt.date(1980, 1, 1))
    book(client, s, django_capture_on_commit_callbacks, email="kim@example.org")
    booking = OnlineBooking.objects.get(needs_review=True)
    signed_in_client(client, receptionist)
    url = reverse("onlinebooking:review")
    assert booking.patient.record_number in client.get(url).content.decode()
    client.post(url, {"booking": "not a number"})
    client.post(url, {"booking": str(booking.pk)})
    booking.refresh_from_db()
    assert booking.reviewed_at is not None
    assert 'id="nothing-to-review"' in client.get(url).content.decode()
    event = AuditEvent.objects.get(event_type="online_booking.reviewed")
    assert event.after == {"patient": booking.patient_id}


def test_the_demo_puts_harbours_public_page_live(client):
    from pistor.demo.services import demo_load

    demo_load()
    response = client.get(reverse("onlinebooking:page", args=["harbour-skin-clinic"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "First consultation" in html and "Follow-up" in html
    slots = client.get(
        reverse("onlinebooking:page", args=["harbour-skin-clinic"]),
        {"type": "first-consultation"},
    )
    assert slots.status_code == 200 and 'class="slot"' in slots.content.decode()


def test_the_free_times_page_reads_a_fixed_number_of_queries_however_full_the_week(client, s):
    from pistor.patients.tests.factories import build_patients
    from pistor.testing.factories import MembershipFactory
    from pistor.testing.queries import assert_query_cap

    state: dict[str, Any] = {"made": 0}
    staff: list[Any] = [MembershipFactory(clinic=s.clinic) for _ in range(100)]
    patients = build_patients(s.clinic, 100)

    def grow(n: int) -> None:
        rows = []
        for i in range(state["made"], state["made"] + n):
            who, slot = i % 100, i // 100
            start = at(8) + dt.timedelta(days=slot % 5, minutes=45 * (slot // 5))
            rows.append(
                Appointment(
                    clinic=s.clinic,
                    patient=patients[who],
                    staff=staff[who],
                    appointment_type=s.session,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=30),
                    occupied_until=start + dt.timedelta(minutes=45),
                )
            )
        Appointment.objects.bulk_create(rows)
        state["made"] += n

    week = {"type": "consultation", "from": monday_ahead().isoformat()}

    def ok(response: Any) -> None:
        assert response.status_code == 200 and 'class="slot"' in response.content.decode()

    client.get(page_url(s))  # the address's first request opens its rate-limit window
    assert_query_cap(lambda: client.get(page_url(s), week), grow=grow, cap=12, check=ok)


def test_a_mail_server_that_is_down_does_not_turn_the_booking_into_an_error(
    client, s, monkeypatch, django_capture_on_commit_callbacks
):
    from pistor.onlinebooking import services

    def down(**kwargs: Any) -> None:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(services, "_send_confirmation", down)
    response = book(client, s, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert OnlineBooking.objects.count() == 1


def test_the_home_page_leads_managers_to_the_settings_and_reception_to_the_checks(
    client, clinic, manager, receptionist
):
    signed_in_client(client, manager)
    assert reverse("onlinebooking:settings") in client.get("/").content.decode()
    client.logout()
    signed_in_client(client, receptionist)
    assert reverse("onlinebooking:review") in client.get("/").content.decode()
