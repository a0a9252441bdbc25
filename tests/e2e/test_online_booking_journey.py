"""A new patient books a first consultation on the clinic's public page, on her phone.

The confirmation is read from Django's captured mail (the live server runs in the test's
process), its ``.ics`` is parsed with the ``icalendar`` library, and the intake link it
carries is filled in on the phone. Reception then finds the visit in the day view and
marks her arrived.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from icalendar import Calendar
from playwright.sync_api import expect

from pistor.onlinebooking.models import OnlineBooking, OnlineBookingSettings
from pistor.scheduling.selectors import clinic_tz
from pistor.scheduling.tests.factories import booking_setup
from tests.e2e.pathway import new_page, new_phone
from tests.e2e.test_journeys import assert_page_was_clean, sign_in
from tests.e2e.test_pathway_first_visit import fill_intake_on_phone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_new_patient_books_online_fills_the_intake_and_reception_marks_arrival(
    browser, live_server, clinic, receptionist, settings
):
    booking_setup(clinic)
    OnlineBookingSettings.objects.create(clinic=clinic, enabled=True)
    settings.PISTOR_ONLINE_BOOKING_MIN_FILL_SECONDS = 1
    mail.outbox.clear()

    # The patient, on her phone: the clinic's page, a first consultation, the first time.
    context, phone = new_phone(browser, live_server)
    phone.goto(f"/book/{clinic.slug}/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(clinic.name)
    phone.get_by_role("link", name="First consultation").click()
    first_time = phone.locator("a.slot").first
    expect(first_time).to_be_visible()
    first_time.click()
    expect(phone.locator("#booking-form")).to_be_visible()
    phone.get_by_label("First name").fill("Marisol")
    phone.get_by_label("Last name").fill("Quintero")
    phone.get_by_label("Date of birth").fill("1988-05-17")
    phone.get_by_label("Email").fill("marisol@example.org")
    phone.wait_for_timeout(1100)  # a person takes a moment; the page refuses robots' speed
    phone.get_by_role("button", name="Book this time").click()
    expect(phone.locator("#booking-done")).to_be_visible()
    when = phone.locator("#booked-when").inner_text()
    assert_page_was_clean(phone)
    context.close()

    booking = OnlineBooking.objects.select_related("patient", "appointment").get()
    appt = booking.appointment
    assert booking.new_patient and booking.patient.family_name == "Quintero"
    local = appt.starts_at.astimezone(clinic_tz(clinic))
    assert f"{local:%H:%M}" in when

    # The confirmation email, with a calendar file that parses and says the same time.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["marisol@example.org"]
    message = mail.outbox[0]
    name, content, mimetype = message.attachments[0]
    assert name == "appointment.ics" and mimetype == "text/calendar"
    events = Calendar.from_ical(content).walk("VEVENT")
    assert len(events) == 1
    assert events[0].decoded("dtstart") == appt.starts_at
    assert events[0].decoded("dtend") == appt.ends_at
    assert re.search(r"/book/manage/\S+/", message.body)

    # She opens the intake link from the email and answers on her phone.
    intake = re.search(r"https?://\S+/intake/fill/\S+/", message.body)
    assert intake, message.body
    fill_intake_on_phone(browser, live_server, intake.group(0))

    # Reception sees the visit in the day view and marks her arrived.
    desk_context, desk = new_page(browser, live_server)
    sign_in(desk, receptionist)
    desk.goto(f"/scheduling/?date={local:%Y-%m-%d}")
    visit = desk.get_by_role("link", name=re.compile("Marisol Quintero"))
    expect(visit).to_be_visible()
    visit.click()
    desk.locator("#status-arrived").click()
    expect(desk.locator("#appt-status")).to_have_text("Arrived")
    assert_page_was_clean(desk)
    desk_context.close()
    appt.refresh_from_db()
    assert appt.status == "arrived" and appt.arrived_at is not None
