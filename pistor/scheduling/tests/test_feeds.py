from __future__ import annotations

import pytest
from icalendar import Calendar

from pistor.scheduling.feeds import appointment_ics
from pistor.scheduling.models import Appointment
from pistor.scheduling.tests.factories import MONDAY, at, booking_setup, new_patient
from tests.api.helpers import ApiClient, token_for

pytestmark = pytest.mark.django_db


def test_a_practitioner_subscribes_to_a_feed_that_parses_and_names_no_patient(
    client, clinic, settings
):
    s = booking_setup(clinic)
    settings.ALLOWED_HOSTS = ["testserver"]
    patient = new_patient(clinic, given_name="Zelda", family_name="Quartermain")
    appt = Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        staff=s.ann,
        appointment_type=s.session,
        room=s.room1,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 10, 30),
        occupied_until=at(MONDAY, 10, 45),
    )
    api = ApiClient(client, token_for(s.ann.user, clinic))
    created = api.post(f"/api/v1/scheduling/staff/{s.ann.pk}/feed")
    assert created.status_code == 201, created.content
    url = created.json()["url"]
    from pistor.core import clock

    clock.advance(at(MONDAY, 8) - clock.now())
    try:
        response = client.get(url.replace("http://testserver", ""))
    finally:
        clock.reset()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    [event] = cal.walk("VEVENT")
    assert str(event["summary"]).startswith("Treatment session")
    assert event.decoded("dtstart") == appt.starts_at
    assert b"Zelda" not in response.content and b"Quartermain" not in response.content
    # Ben cannot revoke Ann's feed; Ann can, and the address stops at once.
    ben = ApiClient(client, token_for(s.ben.user, clinic))
    feed_id = created.json()["id"]
    assert ben.request("DELETE", f"/api/v1/scheduling/feeds/{feed_id}").status_code == 403
    assert api.request("DELETE", f"/api/v1/scheduling/feeds/{feed_id}").status_code == 204
    assert client.get(url.replace("http://testserver", "")).status_code == 404
    assert client.get("/scheduling/feed/not-a-real-secret.ics").status_code == 404
    one = Calendar.from_ical(appointment_ics(appointment=appt))
    assert len(one.walk("VEVENT")) == 1
