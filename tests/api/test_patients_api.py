"""The patient registry over HTTP with a token: what is answered, and what is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from pistor.audit.models import AuditEvent
from pistor.patients.models import Patient
from pistor.patients.tests.factories import build_patients
from tests.api.helpers import ApiClient, assert_error_shape, make_patient, token_for

PATIENTS = "/api/v1/patients"

NEW_PATIENT = {
    "given_name": "Amara",
    "family_name": "Okafor",
    "date_of_birth": "1988-04-17",
    "sex": "female",
    "phone": "+44 7700 900123",
    "email": "amara@example.org",
    "fitzpatrick_type": 5,
}


def test_registering_a_patient_stores_them_and_answers_201(api, clinic, practitioner):
    response = api.post(PATIENTS, NEW_PATIENT)

    assert response.status_code == 201
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert patient.clinic == clinic
    assert (patient.given_name, patient.family_name) == ("Amara", "Okafor")
    assert patient.date_of_birth == dt.date(1988, 4, 17)
    assert body["record_number"] == patient.record_number
    assert body["full_name"] == "Amara Okafor"
    assert body["sex"] == "female" and body["fitzpatrick_type"] == 5
    assert body["is_archived"] is False
    created = AuditEvent.objects.get(event_type="patient.created", subject_id=str(patient.pk))
    assert created.actor == practitioner


def test_reading_a_patient_returns_their_details_and_audits_the_opening(api, clinic):
    patient = make_patient(clinic, given_name="Lena", family_name="Berg")

    response = api.get(f"{PATIENTS}/{patient.pk}")

    assert response.status_code == 200
    assert response.json()["full_name"] == "Lena Berg"
    assert AuditEvent.objects.filter(
        event_type="patient.viewed", subject_id=str(patient.pk)
    ).exists()


def test_patching_changes_only_the_fields_sent(api, clinic):
    patient = make_patient(clinic, given_name="Lena", phone="07700 900123")

    response = api.patch(f"{PATIENTS}/{patient.pk}", {"phone": "+44 20 7946 0000"})

    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert patient.phone == "+44 20 7946 0000"
    assert patient.given_name == "Lena"
    assert response.json()["phone"] == "+44 20 7946 0000"


def test_archiving_records_the_reason_and_hides_the_patient_from_search(api, clinic):
    patient = make_patient(clinic, family_name="Berg")

    response = api.post(f"{PATIENTS}/{patient.pk}/archive", {"reason": "Moved to Canada"})

    assert response.status_code == 200
    assert response.json()["is_archived"] is True
    patient.refresh_from_db()
    assert patient.archive_reason == "Moved to Canada"
    assert api.get(PATIENTS, q="berg").json()["total"] == 0
    assert api.get(PATIENTS, q="berg", include_archived="true").json()["total"] == 1


def test_archiving_twice_is_a_conflict(api, clinic):
    patient = make_patient(clinic)
    api.post(f"{PATIENTS}/{patient.pk}/archive", {"reason": "Duplicate record"})

    assert_error_shape(api.post(f"{PATIENTS}/{patient.pk}/archive", {"reason": "again"}), 409)


def test_archiving_needs_a_reason(api, clinic):
    patient = make_patient(clinic)

    for body in ({}, {"reason": "   "}):
        error = assert_error_shape(api.post(f"{PATIENTS}/{patient.pk}/archive", body), 422)
        assert "reason" in error["extra"]["fields"]
    patient.refresh_from_db()
    assert patient.archived_at is None


@pytest.mark.parametrize("role", ["nurse", "receptionist"])
def test_roles_without_the_archive_permission_get_403(client, clinic, role, request):
    user = request.getfixturevalue(role)
    patient = make_patient(clinic)
    api = ApiClient(client, token_for(user, clinic))

    assert_error_shape(api.post(f"{PATIENTS}/{patient.pk}/archive", {"reason": "x"}), 403)
    patient.refresh_from_db()
    assert patient.archived_at is None


@pytest.mark.parametrize("role", ["nurse", "receptionist", "manager"])
def test_every_staff_role_can_register_and_find_patients(client, clinic, role, request):
    api = ApiClient(client, token_for(request.getfixturevalue(role), clinic))

    assert api.post(PATIENTS, NEW_PATIENT).status_code == 201
    assert api.get(PATIENTS, q="okafor").json()["total"] == 1


# --- Another clinic's patient does not exist here ------------------------------------


@pytest.fixture
def their_patient(other_clinic):
    return make_patient(other_clinic, given_name="Hidden", phone="07700 900999")


def _not_found_like_a_missing_one(response, missing_response):
    body = assert_error_shape(response, 404)
    assert body == missing_response.json()


def test_another_clinics_patient_cannot_be_read(api, their_patient):
    _not_found_like_a_missing_one(
        api.get(f"{PATIENTS}/{their_patient.pk}"), api.get(f"{PATIENTS}/999999")
    )


def test_another_clinics_patient_cannot_be_changed(api, their_patient):
    response = api.patch(f"{PATIENTS}/{their_patient.pk}", {"given_name": "Changed"})

    _not_found_like_a_missing_one(
        response, api.patch(f"{PATIENTS}/999999", {"given_name": "Changed"})
    )
    their_patient.refresh_from_db()
    assert their_patient.given_name == "Hidden"


def test_another_clinics_patient_cannot_be_archived(api, their_patient):
    response = api.post(f"{PATIENTS}/{their_patient.pk}/archive", {"reason": "x"})

    _not_found_like_a_missing_one(response, api.post(f"{PATIENTS}/999999/archive", {"reason": "x"}))
    their_patient.refresh_from_db()
    assert their_patient.archived_at is None


def test_another_clinics_patients_are_not_listed(api, their_patient):
    assert api.get(PATIENTS, q="hidden").json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


@pytest.mark.parametrize(
    "patient_id", ["0", "-1", "99999999999999999999999", "18446744073709551616"]
)
def test_impossible_ids_are_simply_not_found(api, patient_id):
    assert_error_shape(api.get(f"{PATIENTS}/{patient_id}"), 404)


# --- Bad input: a clear 4xx, and nothing stored --------------------------------------


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


BAD_BODIES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "missing-names": ({"date_of_birth": "1980-01-01"}, {"given_name", "family_name"}),
    "missing-everything": ({}, {"given_name", "family_name", "date_of_birth"}),
    "empty-name": ({**NEW_PATIENT, "given_name": ""}, {"given_name"}),
    "future-birth": ({**NEW_PATIENT, "date_of_birth": None}, {"date_of_birth"}),
    "unknown-sex": ({**NEW_PATIENT, "sex": "f"}, {"sex"}),
    "not-a-date": ({**NEW_PATIENT, "date_of_birth": "17/04/1988"}, {"date_of_birth"}),
    "impossible-date": ({**NEW_PATIENT, "date_of_birth": "1988-02-30"}, {"date_of_birth"}),
    "timestamp-date": ({**NEW_PATIENT, "date_of_birth": 0}, {"date_of_birth"}),
    "too-old": ({**NEW_PATIENT, "date_of_birth": "1800-01-01"}, {"date_of_birth"}),
    "fitzpatrick-7": ({**NEW_PATIENT, "fitzpatrick_type": 7}, {"fitzpatrick_type"}),
    "bad-phone": ({**NEW_PATIENT, "phone": "call me"}, {"phone"}),
    "bad-email": ({**NEW_PATIENT, "email": "not an address"}, {"email"}),
    "name-too-long": ({**NEW_PATIENT, "family_name": "x" * 101}, {"family_name"}),
    "nul-in-name": ({**NEW_PATIENT, "given_name": "Am\u0000ara"}, {"given_name"}),
    "number-as-name": ({**NEW_PATIENT, "given_name": 42}, {"given_name"}),
    "unknown-field": ({**NEW_PATIENT, "blood_group": "O+"}, {"blood_group"}),
    "record-number-is-not-settable": ({**NEW_PATIENT, "record_number": "X"}, {"record_number"}),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_patient_details_answer_422_naming_the_fields_and_store_nothing(api, case):
    body, fields = BAD_BODIES[case]
    if case == "future-birth":
        body = {**body, "date_of_birth": _tomorrow()}
    before = (Patient.objects.count(), AuditEvent.objects.filter(subject_type="patient").count())

    response = api.post(PATIENTS, body)

    error = assert_error_shape(response, 422)
    assert fields <= set(error["extra"]["fields"]), error
    for messages in error["extra"]["fields"].values():
        assert messages and all(isinstance(m, str) and m for m in messages)
    after = (Patient.objects.count(), AuditEvent.objects.filter(subject_type="patient").count())
    assert after == before


def test_a_future_date_of_birth_is_explained(api):
    error = assert_error_shape(
        api.post(PATIENTS, {**NEW_PATIENT, "date_of_birth": _tomorrow()}), 422
    )
    assert error["extra"]["fields"]["date_of_birth"] == [
        "The date of birth cannot be in the future."
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"date_of_birth": "2999-01-01"},
        {"given_name": None},
        {"given_name": ""},
        {"sex": "x"},
        {"sex": None},
        {"fitzpatrick_type": 0},
        {"phone": "not a phone"},
    ],
    ids=repr,
)
def test_a_bad_correction_changes_nothing(api, clinic, change):
    patient = make_patient(clinic, given_name="Lena", phone="07700 900123")
    before = {f: getattr(patient, f) for f in ("given_name", "date_of_birth", "sex", "phone")}

    error = assert_error_shape(api.patch(f"{PATIENTS}/{patient.pk}", change), 422)

    assert set(change) <= set(error["extra"]["fields"])
    patient.refresh_from_db()
    assert {f: getattr(patient, f) for f in before} == before
    assert not AuditEvent.objects.filter(event_type="patient.updated").exists()


def test_malformed_json_is_a_400_and_stores_nothing(api):
    response = api.post(PATIENTS, raw='{"given_name": "Amara", ')

    body = assert_error_shape(response, 400)
    assert body == {"message": "The request body is not valid JSON.", "extra": {}}
    assert Patient.objects.count() == 0


def test_a_body_that_is_not_an_object_is_a_422(api):
    for raw in ("[1, 2]", '"Amara"', "42", "null"):
        assert_error_shape(api.post(PATIENTS, raw=raw), 422)
    assert Patient.objects.count() == 0


def test_a_body_in_another_encoding_is_refused_cleanly(api):
    response = api.post(PATIENTS, raw=b'{"given_name": "\xff\xfe"}')
    assert response.status_code == 400
    assert Patient.objects.count() == 0


# --- Listing -----------------------------------------------------------------------


def test_the_list_is_paginated_with_a_total(api, clinic):
    build_patients(clinic, 7)

    first = api.get(PATIENTS, limit=3).json()
    third = api.get(PATIENTS, limit=3, offset=6).json()
    beyond = api.get(PATIENTS, limit=3, offset=30).json()

    assert first["total"] == third["total"] == beyond["total"] == 7
    assert len(first["items"]) == 3 and len(third["items"]) == 1 and beyond["items"] == []
    names = [
        p["family_name"]
        for p in first["items"]
        + api.get(PATIENTS, limit=3, offset=3).json()["items"]
        + third["items"]
    ]
    assert names == sorted(names) and len(set(names)) == 7


def test_the_list_searches(api, clinic):
    make_patient(clinic, given_name="José", family_name="Martín")
    make_patient(clinic, given_name="Ana", family_name="Smith")

    found = api.get(PATIENTS, q="jose martin").json()

    assert found["total"] == 1
    assert found["items"][0]["family_name"] == "Martín"


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 100000},
        {"offset": -1},
        {"limit": "many"},
        {"q": "a\u0000b"},
        {"include_archived": "perhaps"},
        {"q": "x" * 201},
    ],
    ids=repr,
)
def test_bad_list_parameters_answer_422(api, query):
    error = assert_error_shape(api.get(PATIENTS, **query), 422)
    assert set(query) <= set(error["extra"]["fields"])
