"""The intake, consultation and allergy-test API over HTTP with tokens: shapes and refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from pistor.allergytests.models import AllergyTest, AllergyTestReading
from pistor.clinical.catalog import load_catalog
from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.testing.pathway import make_intake, make_test
from tests.api.helpers import ApiClient, assert_error_shape, make_patient, token_for

pytestmark = pytest.mark.django_db

INTAKE = {
    "medications": ["coumarin"],
    "allergens": [],
    "pregnant": False,
    "breastfeeding": False,
    "smoking": "never",
    "sun_exposure": "low",
    "weight_kg": 70,
    "fitzpatrick": 2,
}


def base(patient):
    return f"/api/v1/patients/{patient.pk}"


@pytest.fixture
def patient(clinic):
    return make_patient(clinic)


def as_role(client, user, clinic):
    return ApiClient(client, token_for(user, clinic))


def test_record_and_read_intake_versions(api, patient):
    response = api.post(base(patient) + "/intake", INTAKE)
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1 and response.json()["status"] == "complete"
    assert response["Cache-Control"] == "no-store"
    api.post(base(patient) + "/intake", {"complete": False})
    body = api.get(base(patient) + "/intake").json()
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["latest_complete"]["version"] == 1
    assert api.get(base(patient) + "/intake/1").json()["medications"] == ["coumarin"]
    facts = api.get(base(patient) + "/facts").json()
    assert facts["medications"] == ["coumarin"] and facts["from_intake_version"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_kg": 0}, "weight_kg"),
        ({"weight_kg": 900}, "weight_kg"),
        ({"allergens": ["unicorn"]}, "allergens"),
        ({"conditions": ["coumarin"]}, "conditions"),
        ({"fitzpatrick": 9}, "fitzpatrick"),
        ({"smoking": "sometimes"}, "smoking"),
    ],
)
def test_bad_intake_answers_are_a_422_naming_the_field(api, patient, change, field):
    body = assert_error_shape(api.post(base(patient) + "/intake", {**INTAKE, **change}), 422)
    assert field in body["extra"]["fields"]
    assert not IntakeForm.objects.exists()


def test_an_incomplete_complete_intake_is_a_422(api, patient):
    body = assert_error_shape(api.post(base(patient) + "/intake", {"complete": True}), 422)
    assert "weight_kg" in body["extra"]["fields"]


def test_reception_may_record_and_send_links_but_not_read(client, clinic, receptionist, patient):
    desk = as_role(client, receptionist, clinic)
    assert desk.post(base(patient) + "/intake", INTAKE).status_code == 201
    link = desk.post(base(patient) + "/intake-links")
    assert link.status_code == 201 and "/intake/fill/" in link.json()["url"]
    assert IntakeLink.objects.count() == 1
    assert_error_shape(desk.get(base(patient) + "/intake"), 403)
    assert_error_shape(desk.get(base(patient) + "/consultations"), 403)
    assert_error_shape(desk.post(base(patient) + "/allergy-tests", {"garbage": 1}), 403)


def test_another_clinics_patient_is_a_404(api, other_clinic):
    stranger = make_patient(other_clinic)
    for path in ("/intake", "/consultations", "/allergy-tests", "/facts"):
        assert_error_shape(api.get(base(stranger) + path), 404)
    assert_error_shape(api.post(base(stranger) + "/intake", INTAKE), 404)


def test_no_token_is_a_401(anonymous_api, patient):
    assert_error_shape(anonymous_api.get(base(patient) + "/intake"), 401)


def consultation_body(**change):
    body = {
        "indications": ["localised-fat"],
        "areas": ["abdomen"],
        "area_findings": {"abdomen": ["scar"]},
        "products": ["lipostabil"],
        "checklist": {item.code: {"done": True} for item in load_catalog().checklist},
        "expectations_discussed": True,
        "alternatives_discussed": True,
        "anaesthesia": "topical-cream",
    }
    body.update(change)
    return body


def test_consultation_with_a_warning_then_an_override(api, patient):
    make_intake(patient, medications=["coumarin"])
    response = api.post(base(patient) + "/consultations", consultation_body())
    assert response.status_code == 201, response.content
    data = response.json()
    warning = next(f for f in data["screening"] if f["code"] == "bleeding-risk-strong")
    assert warning["severity"] == "warn"
    url = f"{base(patient)}/consultations/{data['id']}/overrides"
    short = assert_error_shape(
        api.post(url, {"finding_codes": [warning["code"]], "reason": "x"}), 422
    )
    assert "reason" in short["extra"]["fields"]
    ok = api.post(url, {"finding_codes": [warning["code"]], "reason": "GP agrees, INR 2.2"})
    assert ok.status_code == 201
    detail = api.get(f"{base(patient)}/consultations/{data['id']}").json()
    assert detail["overrides"][0]["reason"] == "GP agrees, INR 2.2"


def test_a_nurse_may_not_override(client, clinic, nurse, practitioner, patient):
    make_intake(patient, medications=["coumarin"])
    created = as_role(client, practitioner, clinic).post(
        base(patient) + "/consultations", consultation_body()
    )
    url = f"{base(patient)}/consultations/{created.json()['id']}/overrides"
    nurse_api = as_role(client, nurse, clinic)
    assert_error_shape(nurse_api.post(url, {"finding_codes": ["x"], "reason": "y"}), 403)
    assert not ScreeningOverride.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"indications": ["nope"]}, "indications"),
        ({"checklist": {}}, "checklist"),
        ({"area_findings": {"abdomen": ["sunburn"]}}, "area_findings"),
        ({"baseline_scores": {"pain-nrs": {"nope": 3}}}, "baseline_scores.pain-nrs"),
    ],
)
def test_bad_consultations_are_a_422(api, patient, change, field):
    body = assert_error_shape(
        api.post(base(patient) + "/consultations", consultation_body(**change)), 422
    )
    assert field in body["extra"]["fields"]
    assert not Consultation.objects.exists()


def test_allergy_test_read_too_early_then_in_time(api, patient, moving_clock):
    placed = api.post(
        base(patient) + "/allergy-tests",
        {"sites": "left forearm", "products": ["lipostabil"], "batches": "L1"},
    )
    assert placed.status_code == 201, placed.content
    url = f"{base(patient)}/allergy-tests/{placed.json()['id']}/reading"
    moving_clock.advance(dt.timedelta(hours=2))
    body = assert_error_shape(api.post(url, {"result": "negative"}), 422)
    assert "read_at" in body["extra"]["fields"]
    moving_clock.advance(dt.timedelta(hours=23))
    read = api.post(url, {"result": "negative"})
    assert read.status_code == 201 and read.json()["reading"]["result"] == "negative"
    assert_error_shape(api.post(url, {"result": "positive"}), 409)
    listed = api.get(base(patient) + "/allergy-tests").json()
    assert listed[0]["reading"]["result"] == "negative"


def test_allergy_test_bad_input(api, patient, practitioner):
    assert_error_shape(
        api.post(base(patient) + "/allergy-tests", {"sites": "arm", "products": ["nope"]}), 422
    )
    assert not AllergyTest.objects.exists()
    test = make_test(patient, practitioner)
    url = f"{base(patient)}/allergy-tests/{test.pk}/reading"
    before = (test.placed_at - dt.timedelta(hours=1)).isoformat()
    body = assert_error_shape(api.post(url, {"result": "negative", "read_at": before}), 422)
    assert "before the test was placed" in body["extra"]["fields"]["read_at"][0]
    assert_error_shape(api.post(url, {"result": "maybe"}), 422)
    naive = assert_error_shape(
        api.post(url, {"result": "negative", "read_at": "2026-01-01T10:00"}), 422
    )
    assert naive["extra"]["fields"]
    assert not AllergyTestReading.objects.exists()


def test_the_openapi_schema_documents_the_bodies(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/patients/{patient_id}/intake", "post"),
        ("/api/v1/patients/{patient_id}/consultations", "post"),
        ("/api/v1/patients/{patient_id}/consultations/{consultation_id}/overrides", "post"),
        ("/api/v1/patients/{patient_id}/allergy-tests", "post"),
        ("/api/v1/patients/{patient_id}/allergy-tests/{test_id}/reading", "post"),
    ]:
        assert "requestBody" in paths[path][method], path
    assert "post" in paths["/api/v1/patients/{patient_id}/intake-links"]


def test_the_read_operations_make_a_fixed_number_of_queries(api, patient, practitioner):
    from pistor.testing.pathway import bulk_intakes, make_consultation, make_override
    from pistor.testing.queries import assert_query_cap

    made = {"n": 0}

    def grow(n):
        bulk_intakes(patient, n, start=made["n"] + 1)
        made["n"] += n
        for _ in range(min(n, 15)):
            make_test(patient, practitioner, result="negative")
            c = make_consultation(patient, practitioner)
            make_override(c, practitioner, ["w"], "reason given")

    for path in ("/intake", "/allergy-tests", "/consultations", "/facts"):
        api.get(base(patient) + path)
        assert_query_cap(
            lambda path=path: api.get(base(patient) + path),
            grow=grow,
            sizes=(made["n"] + 3, made["n"] + 60),
            cap=16,
            check=lambda r: r.status_code == 200,
        )
