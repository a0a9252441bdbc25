"""Many people ask for the last free time at once: one gets it, everyone else hears it
has just been taken, and nobody is left half-registered.

Real connections released together through the public page (the project's flood helpers);
only one practitioner works that day, so each start has exactly one place to go.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from django.test import Client

from pistor.onlinebooking.models import OnlineBooking, OnlineBookingSettings
from pistor.onlinebooking.services import form_token
from pistor.onlinebooking.tests.test_views import at, details, page_url
from pistor.patients.models import Patient
from pistor.scheduling.models import Appointment, WorkingHours
from pistor.scheduling.tests.factories import booking_setup
from pistor.testing.threads import in_threads

FLOOD = 20


@pytest.fixture
def s(transactional_db, clinic, settings):
    setup = booking_setup(clinic)
    WorkingHours.objects.filter(staff=setup.ben).delete()  # Ann alone takes visits
    OnlineBookingSettings.objects.create(clinic=clinic, enabled=True)
    settings.PISTOR_ONLINE_BOOKING_SUBMITS_PER_WINDOW = 10 * FLOOD
    return setup


@pytest.fixture
def flood(s, threads_share_a_file_database):
    return s


def _count(model) -> int:
    return in_threads(1, lambda: model.objects.count())[0]


def test_simultaneous_bookings_of_one_time_make_one_booking_and_no_stray_patients(flood):
    s = flood
    shown = form_token(now=dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=30))
    numbers = itertools.count()
    lock = threading.Lock()

    def one() -> tuple[int, str]:
        with lock:
            i = next(numbers)
        data = details(email=f"flood{i}@example.org", given_name=f"Flo{i}", shown=shown)
        response = Client().post(page_url(s), data)
        return response.status_code, response.content.decode()

    results = in_threads(FLOOD, one)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (FLOOD - 1), statuses
    assert all("just been taken" in html for status, html in results if status == 409)
    assert _count(Appointment) == 1
    assert _count(OnlineBooking) == 1
    assert _count(Patient) == 1
    booked = in_threads(1, lambda: Appointment.objects.get().starts_at)[0]
    assert booked == at(10)
