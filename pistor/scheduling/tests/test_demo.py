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
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"booked", "arrived", "done", "cancelled", "no_show"} <= statuses
    # Every demo plan with a window still open has its course booked, inside the windows.
    from zoneinfo import ZoneInfo

    from pistor.core import clock
    from pistor.plans.models import Plan
    from pistor.scheduling.course import course_propose

    for plan in Plan.objects.select_related("clinic"):
        tz = ZoneInfo(plan.clinic.time_zone)
        course = Appointment.objects.filter(plan_session__plan=plan).select_related(
            "plan_session", "appointment_type"
        )
        if not course:
            continue
        for appt in course:
            day = appt.starts_at.astimezone(tz).date()
            assert appt.plan_session is not None
            assert appt.plan_session.earliest <= day <= appt.plan_session.latest
        # Nothing placeable is left unbooked, but for sessions beyond the booking horizon
        # (which slides as the first open window moves on).
        kind = course[0].appointment_type
        again = course_propose(clinic=plan.clinic, plan=plan, appointment_type=kind)
        today = clock.now().astimezone(tz).date()
        assert all((p.session.earliest - today).days > 300 for p in again.placed), plan
        body = plan.indication_code == "localised-fat"
        assert {a.appointment_type.device_type == "mesotherapy-gun" for a in course} == {body}
    demo_load()
    assert Appointment.objects.count() == count
