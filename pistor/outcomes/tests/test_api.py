"""The outcomes API over HTTP with a token: scores, side effects, review and the report."""

from __future__ import annotations

import pytest
from django.test import Client

from pistor.outcomes.models import Measurement, SideEffect
from pistor.patients.tests.factories import PatientFactory
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db
ROOT = "/api/v1/outcomes"


@pytest.fixture
def api(clinic, practitioner):
    return ApiClient(Client(), token_for(practitioner, clinic))


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


CSS = {"A": 2, "B": 2, "C": 2, "D": 1, "E": 2}


def test_a_score_is_recorded_and_listed(api, patient):
    body = {"scale_code": "hexsel-css", "indication_code": "cellulite", "answers": CSS,
            "timepoint": "during", "session_number": 6, "measured_on": "2026-11-01"}  # fmt: skip
    response = api.post(f"{ROOT}/patients/{patient.pk}/measurements", body)
    assert response.status_code == 201, response.content
    assert response.json()["total"] == "9.000" or float(response.json()["total"]) == 9
    listed = api.get(f"{ROOT}/patients/{patient.pk}/measurements").json()
    assert [m["session_number"] for m in listed] == [6]


def test_an_answer_out_of_range_answers_422_naming_the_item(api, patient):
    body = {"scale_code": "hexsel-css", "indication_code": "cellulite",
            "answers": {**CSS, "A": 5}, "timepoint": "baseline"}  # fmt: skip
    error = assert_error_shape(api.post(f"{ROOT}/patients/{patient.pk}/measurements", body), 422)
    assert error["message"] == "Number of evident depressions: 5 is outside 0 to 3."
    assert "answers.A" in error["extra"]["fields"]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"grade": 7}, "Grade 7 does not exist"),
        ({"resolved_on": "2026-10-01"}, "cannot resolve"),
        ({"grade": "2"}, ""),  # a string is not a grade
        ({"colour": "blue"}, ""),  # unknown fields are refused
    ],
)
def test_bad_side_effects_answer_422_and_write_nothing(api, patient, change, words):
    body = {"event_code": "bruising", "onset": "2026-11-01", "grade": 2, **change}
    error = assert_error_shape(api.post(f"{ROOT}/patients/{patient.pk}/side-effects", body), 422)
    assert words in error["message"]
    assert not SideEffect.objects.exists()


def test_a_side_effect_is_flagged_and_reviewed(api, patient, clinic, manager):
    body = {"event_code": "bruising", "onset": "2026-11-01", "resolved_on": "2026-11-13",
            "grade": 2, "areas": "left thigh"}  # fmt: skip
    created = api.post(f"{ROOT}/patients/{patient.pk}/side-effects", body)
    assert created.status_code == 201, created.content
    assert created.json()["flagged"] is True
    boss = ApiClient(Client(), token_for(manager, clinic))
    assert [e["id"] for e in boss.get(f"{ROOT}/review").json()] == [created.json()["id"]]
    reviewed = boss.post(f"{ROOT}/side-effects/{created.json()['id']}/review", {"note": "Seen."})
    assert reviewed.status_code == 200 and reviewed.json()["reviewed_at"]
    assert boss.get(f"{ROOT}/review").json() == []


def test_the_report_is_for_managers(api, clinic, manager):
    assert_error_shape(api.get(f"{ROOT}/report"), 403)
    boss = ApiClient(Client(), token_for(manager, clinic))
    report = boss.get(f"{ROOT}/report")
    assert report.status_code == 200
    assert set(report.json()) >= {"by_indication", "by_protocol", "rates", "rates_by_batch"}


def test_another_clinics_patient_is_not_found(patient, other_clinic, other_clinic_user):
    stranger = ApiClient(Client(), token_for(other_clinic_user, other_clinic))
    assert_error_shape(stranger.get(f"{ROOT}/patients/{patient.pk}/measurements"), 404)


@pytest.mark.parametrize("value", [True, 2.5, None, [1]])
def test_an_answer_that_is_not_a_number_or_text_is_refused(api, patient, value):
    body = {"scale_code": "gais", "indication_code": "skin-rejuvenation",
            "answers": {"gais": value}, "timepoint": "baseline"}  # fmt: skip
    assert_error_shape(api.post(f"{ROOT}/patients/{patient.pk}/measurements", body), 422)
    assert not Measurement.objects.exists()


def test_a_decimal_answer_as_text_is_scored_on_its_step(api, patient):
    body = {"scale_code": "pain-vas", "indication_code": "musculoskeletal-pain",
            "answers": {"pain": "6.5"}, "timepoint": "baseline"}  # fmt: skip
    response = api.post(f"{ROOT}/patients/{patient.pk}/measurements", body)
    assert response.status_code == 201, response.content
    body["answers"] = {"pain": "6.55"}
    error = assert_error_shape(api.post(f"{ROOT}/patients/{patient.pk}/measurements", body), 422)
    assert "not a step of 0.1" in error["message"]
