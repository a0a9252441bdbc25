"""The API as a whole: its error shape, schema, documentation page and health check."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import OperationalError

from conftest import signed_in_client
from pistor.core.middleware import CONTENT_SECURITY_POLICY
from tests.api.helpers import assert_error_shape, make_patient

PATIENTS = "/api/v1/patients"
DOCS = "/api/v1/docs"


# --- One error shape ---------------------------------------------------------------


def test_an_unknown_api_address_is_a_json_404(api):
    for path in ("/api/v1/nothing", "/api/v1/", "/api/v1/patients/12/nothing"):
        assert assert_error_shape(api.get(path), 404)["message"] == "Not found."


def test_a_wrong_method_is_a_json_405_listing_the_allowed_ones(api):
    response = api.client.delete(f"{PATIENTS}/1", headers=api._headers())

    body = assert_error_shape(response, 405)
    assert set(body["extra"]["allowed"]) == {"GET", "PATCH"}
    assert "GET" in response["Allow"]


def test_an_unexpected_failure_is_a_500_in_the_same_shape_without_patient_data(
    api, clinic, monkeypatch, caplog
):
    patient = make_patient(clinic, given_name="Zelda", family_name="Quartermaine")

    def broken(**kwargs):
        raise RuntimeError(f"cannot load {patient.given_name} {patient.family_name}")

    monkeypatch.setattr("pistor.patients.api.patient_list_for_user", broken)

    with caplog.at_level(logging.ERROR):
        response = api.get(PATIENTS, q="zelda")

    body = assert_error_shape(response, 500)
    assert body["extra"]["request_id"] == response["X-Request-Id"]
    assert "Zelda" not in response.content.decode()
    assert "zelda" not in caplog.text.lower() and "Quartermaine" not in caplog.text
    assert "RuntimeError" in caplog.text  # the log still says what broke, and where


def test_errors_from_the_clinical_core_name_their_field(api, monkeypatch):
    from pistor.clinical.errors import ClinicalDataError

    def refuse(**kwargs):
        raise ClinicalDataError("Depth must be positive.", field="depth_mm")

    monkeypatch.setattr("pistor.patients.api.patient_list_for_user", refuse)

    body = assert_error_shape(api.get(PATIENTS), 422)
    assert body == {
        "message": "Depth must be positive.",
        "extra": {"field": "depth_mm", "fields": {"depth_mm": ["Depth must be positive."]}},
    }


def test_a_gate_refusal_carries_its_reasons(api, monkeypatch):
    from pistor.core.errors import GateBlocked

    reasons = [{"code": "no_consent", "message": "No signed consent covers this plan."}]

    def blocked(**kwargs):
        raise GateBlocked("This step is blocked.", reasons=reasons)

    monkeypatch.setattr("pistor.patients.api.patient_list_for_user", blocked)

    body = assert_error_shape(api.get(PATIENTS), 409)
    assert body["extra"]["reasons"] == reasons


# --- Schema and documentation ------------------------------------------------------


def test_the_openapi_schema_is_json_describing_the_patient_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Pistor API"
    assert schema["info"]["version"] == "1"
    paths = schema["paths"]
    assert set(paths["/api/v1/patients"]) == {"get", "post"}
    assert set(paths["/api/v1/patients/{patient_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/patients/{patient_id}/archive"]) == {"post"}
    sex = schema["components"]["schemas"]["Sex"]
    assert set(sex["enum"]) == {"female", "male", "other", "unknown"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    # The catalog's router is mounted beside the patients'.
    assert any(path.startswith("/api/v1/catalog/") for path in paths)


def test_the_docs_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(DOCS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/")


def test_the_docs_page_loads_only_assets_served_by_pistor(client, practitioner):
    signed_in_client(client, practitioner)

    response = client.get(DOCS)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert not re.search(r"https?://", html)
    # No inline script: every <script> either has a src or is a JSON data block.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    # The site's strict policy applies here too.
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        if hasattr(asset, "close"):
            asset.close()


# --- Health check ------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    class DeadConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("pistor.api.views.connection", DeadConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
