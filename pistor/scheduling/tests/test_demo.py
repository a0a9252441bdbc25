from __future__ import annotations

import pytest

from pistor.demo.services import demo_load
from pistor.scheduling.models import Appointment, AppointmentType

pytestmark = pytest.mark.django_db


def test_the_demo_books_a_week_and_courses_for_harbour_and_loading_again_changes_nothing():
    demo_load()
    assert AppointmentType.objects.filter(online_bookable=True).exists()
    count = Appointment.objects.count()
    assert count >= 10
    assert Appointment.objects.filter(plan_session__isnull=False).exists()
    assert Appointment.objects.filter(status="cancelled").exists()
    demo_load()
    assert Appointment.objects.count() == count
