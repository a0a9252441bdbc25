"""The message pages: a patient's messages and preferences, the clinic's log, due recalls."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.core import clock
from pistor.messaging.constants import Channel, Kind, MessageStatus
from pistor.messaging.jobs import course_reminders_send
from pistor.messaging.models import Message, MessagePreference, MessagingSettings
from pistor.messaging.services import message_send
from pistor.messaging.tests.factories import course_plan, given_sessions, patient
from pistor.testing.queries import assert_query_cap
from tests.api.helpers import make_patient

pytestmark = pytest.mark.django_db


def _reminder(clinic, who, key):
    return message_send(
        clinic=clinic, kind=Kind.APPOINTMENT_REMINDER, dedupe_key=key,
        template="appointment_reminder", patient=who,
        context={"visit": "Session", "day": "Monday", "time": "10:00"},
    )  # fmt: skip


def test_a_patients_messages_and_preferences_show_without_the_wording(client, clinic, receptionist):
    amara = patient(clinic, given_name="Amara")
    _reminder(clinic, amara, "k1")
    signed_in_client(client, receptionist)
    page = client.get(reverse("messaging:patient", args=[amara.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Appointment reminder" in html and "Sent" in html and 'id="preferences-form"' in html
    assert "10:00" not in html  # the log keeps no text
    assert AuditEvent.objects.filter(event_type="patient.viewed", subject_id=str(amara.pk)).exists()


def test_preferences_are_saved_and_audited(client, clinic, receptionist):
    amara = patient(clinic)
    signed_in_client(client, receptionist)
    url = reverse("messaging:preferences", args=[amara.pk])
    response = client.post(url, {"channel": "sms", "marketing_opt_out": "on"})
    assert response.status_code == 302
    saved = MessagePreference.objects.get(patient=amara)
    assert (saved.channel, saved.marketing_opt_out, saved.updated_by) == ("sms", True, receptionist)
    event = AuditEvent.objects.get(event_type="message.preferences_changed")
    assert event.after == {"channel": "sms", "marketing_opt_out": True}


def test_bad_preferences_get_a_message_and_change_nothing(client, clinic, receptionist):
    amara = patient(clinic)
    signed_in_client(client, receptionist)
    response = client.post(reverse("messaging:preferences", args=[amara.pk]), {"channel": "pigeon"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not MessagePreference.objects.exists()


def test_another_clinics_patient_is_not_found(client, clinic, other_clinic, receptionist):
    stranger = make_patient(other_clinic)
    signed_in_client(client, receptionist)
    assert client.get(reverse("messaging:patient", args=[stranger.pk])).status_code == 404
    response = client.post(reverse("messaging:preferences", args=[stranger.pk]), {"channel": "sms"})
    assert response.status_code == 404
    assert not MessagePreference.objects.exists()


def test_the_clinic_log_is_for_managers_and_pages(client, clinic, manager, receptionist):
    amara = patient(clinic, given_name="Amara", family_name="Okafor")
    for n in range(3):
        _reminder(clinic, amara, f"k{n}")
    signed_in_client(client, receptionist)
    assert client.get(reverse("messaging:log")).status_code == 403
    signed_in_client(client, manager)
    page = client.get(reverse("messaging:log"), {"kind": "appointment_reminder"})
    html = page.content.decode()
    assert page.status_code == 200 and html.count('id="msg-') == 3 and "Amara Okafor" in html
    assert (
        client.get(reverse("messaging:log"), {"kind": "aftercare"}).content.count(b'id="msg-') == 0
    )


def test_the_log_page_has_a_fixed_number_of_queries(client, clinic, manager):
    amara = patient(clinic)
    signed_in_client(client, manager)
    made = [0]

    def grow(n):
        for _ in range(n):
            made[0] += 1
            _reminder(clinic, amara, f"grow-{made[0]}")

    assert_query_cap(
        lambda: client.get(reverse("messaging:log")), grow=grow, cap=20, sizes=(10, 60),
        check=lambda r: r.status_code == 200,
    )  # fmt: skip


def test_managers_set_the_reminder_period_and_hour(client, clinic, manager):
    signed_in_client(client, manager)
    response = client.post(
        reverse("messaging:settings"), {"reminder_hours_before": "48", "daily_hour": "9"}
    )
    assert response.status_code == 302
    saved = MessagingSettings.objects.get(clinic=clinic)
    assert (saved.reminder_hours_before, saved.daily_hour) == (48, 9)
    bad = client.post(
        reverse("messaging:settings"), {"reminder_hours_before": "0", "daily_hour": "24"}
    )
    assert bad.status_code == 422
    assert MessagingSettings.objects.get(clinic=clinic).daily_hour == 9


def test_reception_sees_the_due_recalls_worklist(client, clinic, practitioner, receptionist):
    clock.reset()
    amara = patient(clinic, given_name="Amara", family_name="Okafor")
    plan = course_plan(clinic, practitioner, amara)
    now = clock.now()
    last = now - dt.timedelta(days=200)
    given_sessions(plan, practitioner, [last - dt.timedelta(weeks=w) for w in range(5, -1, -1)])
    course_reminders_send(clinic=clinic, now=now)
    [sent] = Message.objects.filter(kind=Kind.MAINTENANCE_RECALL)
    assert sent.status == MessageStatus.SENT
    signed_in_client(client, receptionist)
    page = client.get(reverse("messaging:recalls"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Amara Okafor" in html and "Maintenance top-up" in html and "Sent" in html
    assert AuditEvent.objects.filter(event_type="patient.list_viewed").exists()


def test_the_recalls_worklist_has_a_fixed_number_of_queries(
    client, clinic, practitioner, receptionist
):
    signed_in_client(client, receptionist)
    last = clock.now() - dt.timedelta(days=8)

    def grow(n):
        for _ in range(n):
            plan = course_plan(clinic, practitioner, patient(clinic, email=""))
            given_sessions(plan, practitioner, [last])

    assert_query_cap(
        lambda: client.get(reverse("messaging:recalls")), grow=grow, cap=25, sizes=(2, 12),
        check=lambda r: r.status_code == 200 and r.content.count(b'id="recall-') >= 2,
    )  # fmt: skip


def test_the_channel_choice_shows_on_the_page(client, clinic, nurse):
    amara = patient(clinic)
    MessagePreference.objects.create(clinic=clinic, patient=amara, channel=Channel.SMS)
    signed_in_client(client, nurse)
    html = client.get(reverse("messaging:patient", args=[amara.pk])).content.decode()
    assert re.search(r'<input[^>]*value="sms"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="email"[^>]*checked', html)
