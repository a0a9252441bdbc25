"""The clinic settings over the API, with a bearer token as an integration calls it."""

from __future__ import annotations

from typing import Any

import pytest

from pistor.audit.models import AuditEvent
from pistor.clinics.models import Clinic
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/clinic/settings"


def _api(client: Any, user: Any, clinic: Any) -> ApiClient:
    return ApiClient(client, token_for(user, clinic))


def _stored(clinic: Clinic) -> tuple[int, int, dict]:
    clinic.refresh_from_db()
    return (
        clinic.allergy_test_min_read_hours,
        clinic.fitzpatrick_pigmentation_threshold,
        clinic.caution_severity_overrides,
    )


@pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist", "manager"])
def test_any_staff_member_reads_the_settings(client, request, clinic, role):
    response = _api(client, request.getfixturevalue(role), clinic).get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["clinic"] == clinic.name
    assert body["allergy_test_min_read_hours"] == 24
    assert body["fitzpatrick_pigmentation_threshold"] == 4
    assert body["caution_severity_overrides"] == {}
    adjustable = {row["fact"]: row for row in body["adjustable_cautions"]}
    assert "porphyria" not in adjustable
    hypertension = adjustable["hypertension"]
    assert hypertension["severity"] is None and hypertension["default_severities"] == ["warn"]
    assert [u["ingredient"] for u in hypertension["uses"]] == ["yohimbine"]
    assert hypertension["uses"][0]["sources"] == ["S40"]


def test_a_manager_changes_only_what_is_sent(client, clinic, manager):
    api = _api(client, manager, clinic)
    response = api.patch(
        URL,
        {
            "allergy_test_min_read_hours": 48,
            "caution_severity_overrides": {"hypertension": "block"},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allergy_test_min_read_hours"] == 48
    assert body["caution_severity_overrides"] == {"hypertension": "block"}
    adjustable = {row["fact"]: row for row in body["adjustable_cautions"]}
    assert adjustable["hypertension"]["severity"] == "block"
    assert _stored(clinic) == (48, 4, {"hypertension": "block"})
    event = AuditEvent.objects.get(event_type="clinic.settings_updated")
    assert event.actor_id == manager.pk and event.after is not None
    assert set(event.after) == {"allergy_test_min_read_hours", "caution_severity_overrides"}

    assert api.patch(URL, {"fitzpatrick_pigmentation_threshold": 5}).status_code == 200
    assert _stored(clinic) == (48, 5, {"hypertension": "block"})


@pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist"])
def test_other_roles_may_not_change_the_settings(client, request, clinic, role):
    response = _api(client, request.getfixturevalue(role), clinic).patch(
        URL, {"allergy_test_min_read_hours": 48}
    )
    body = assert_error_shape(response, 403)
    assert body["extra"]["action"] == "clinic.settings"
    assert _stored(clinic) == (24, 4, {})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allergy_test_min_read_hours": 12}, "allergy_test_min_read_hours"),
        ({"allergy_test_min_read_hours": "48"}, "allergy_test_min_read_hours"),
        ({"allergy_test_min_read_hours": None}, "allergy_test_min_read_hours"),
        ({"fitzpatrick_pigmentation_threshold": 7}, "fitzpatrick_pigmentation_threshold"),
        (
            {"caution_severity_overrides": {"porphyria": "warn"}},
            "caution_severity_overrides.porphyria",
        ),
        (
            {"caution_severity_overrides": {"hypertension": "no"}},
            "caution_severity_overrides.hypertension",
        ),
        (
            {"caution_severity_overrides": {"hypertension": 1}},
            "caution_severity_overrides.hypertension",
        ),
        ({"time_zone": "Europe/Paris"}, "time_zone"),
    ],
)
def test_bad_settings_are_a_422_naming_the_field_and_store_nothing(
    client, clinic, manager, body, field
):
    response = _api(client, manager, clinic).patch(
        URL, {"fitzpatrick_pigmentation_threshold": 2, **body}
    )
    error = assert_error_shape(response, 422)
    assert field in error["extra"]["fields"], error
    assert _stored(clinic) == (24, 4, {})
    assert not AuditEvent.objects.filter(event_type="clinic.settings_updated").exists()


def test_a_label_caution_is_refused_with_a_message_naming_it(client, clinic, manager):
    response = _api(client, manager, clinic).patch(
        URL, {"caution_severity_overrides": {"porphyria": "warn"}}
    )
    error = assert_error_shape(response, 422)
    assert error["extra"]["fields"]["caution_severity_overrides.porphyria"] == [
        "'porphyria' has no caution a clinic may change."
    ]


def test_each_clinic_reads_and_changes_only_its_own_settings(
    client, clinic, other_clinic, manager, other_clinic_user
):
    _api(client, other_clinic_user, other_clinic).patch(URL, {"allergy_test_min_read_hours": 72})
    assert _stored(other_clinic)[0] == 72
    assert _stored(clinic)[0] == 24
    assert _api(client, manager, clinic).get(URL).json()["allergy_test_min_read_hours"] == 24


def test_without_a_token_the_settings_are_a_401(client):
    assert_error_shape(ApiClient(client, None).get(URL), 401)
    assert_error_shape(ApiClient(client, None).patch(URL, {}), 401)
