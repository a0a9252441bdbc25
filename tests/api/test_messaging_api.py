"""The messaging API: a patient's messages and contact preferences, over HTTP with tokens."""

from __future__ import annotations

import pytest

from pistor.messaging.constants import Kind
from pistor.messaging.models import MessagePreference
from pistor.messaging.services import message_send
from tests.api.helpers import ApiClient, assert_error_shape, make_patient, token_for

pytestmark = pytest.mark.django_db
ROOT = "/api/v1/messaging/patients"


@pytest.fixture
def api(client, clinic, receptionist):
    return ApiClient(client, token_for(receptionist, clinic))


def test_a_patients_messages_page_newest_first_without_wording(api, clinic):
    amara = make_patient(clinic, email="amara@example.org")
    for n in range(3):
        message_send(clinic=clinic, kind=Kind.APPOINTMENT_REMINDER, dedupe_key=f"k{n}",
                     template="appointment_reminder",
                     context={"visit": "Session", "day": "Monday", "time": "10:00"},
                     patient=amara)  # fmt: skip
    response = api.get(f"{ROOT}/{amara.pk}/messages", limit=2)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["items"]) == 2
    first = body["items"][0]
    assert first["kind"] == "appointment_reminder" and first["status"] == "sent"
    assert "10:00" not in response.content.decode()


def test_preferences_default_then_set(api, clinic, receptionist):
    amara = make_patient(clinic)
    assert api.get(f"{ROOT}/{amara.pk}/preferences").json() == {
        "channel": "email", "marketing_opt_out": False,
    }  # fmt: skip
    put = api.request("PUT", f"{ROOT}/{amara.pk}/preferences",
                      {"channel": "sms", "marketing_opt_out": True})  # fmt: skip
    assert put.status_code == 200 and put.json() == {"channel": "sms", "marketing_opt_out": True}
    assert MessagePreference.objects.get(patient=amara).updated_by == receptionist


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "pigeon", "marketing_opt_out": True},
        {"channel": "sms", "marketing_opt_out": "yes"},
        {"channel": "sms"},
        {"channel": "sms", "marketing_opt_out": False, "sms_number": "+44"},
    ],
)
def test_bad_preferences_are_refused_in_one_shape_and_nothing_is_written(api, clinic, body):
    amara = make_patient(clinic)
    response = api.request("PUT", f"{ROOT}/{amara.pk}/preferences", body)
    assert_error_shape(response, 422)
    assert not MessagePreference.objects.exists()


def test_another_clinics_patient_is_not_found(api, other_clinic):
    stranger = make_patient(other_clinic)
    assert_error_shape(api.get(f"{ROOT}/{stranger.pk}/messages"), 404)
    put = api.request("PUT", f"{ROOT}/{stranger.pk}/preferences",
                      {"channel": "sms", "marketing_opt_out": True})  # fmt: skip
    assert_error_shape(put, 404)
    assert_error_shape(api.get(f"{ROOT}/{2**63}/preferences"), 404)


def test_without_a_token_the_api_answers_401(client, clinic):
    amara = make_patient(clinic)
    assert_error_shape(ApiClient(client, None).get(f"{ROOT}/{amara.pk}/messages"), 401)
