"""Consent, plan, quote, gate and price list over HTTP with tokens."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from pistor.consents.models import Consent
from pistor.consents.tests.factories import signature_data_url
from pistor.plans.models import Plan, PriceItem
from pistor.testing.pathway import make_intake, make_test
from tests.api.helpers import ApiClient, assert_error_shape, make_patient, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return make_patient(clinic, given_name="Amara", family_name="Okafor")


def _consent(api, patient):
    response = api.post(
        "/api/v1/consents",
        {
            "patient_id": patient.pk,
            "kind": "treatment",
            "indication_code": "skin-rejuvenation",
            "product_codes": ["nctf-135ha"],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_consent_lifecycle_over_the_api(api, patient):
    body = _consent(api, patient)
    assert body["status"] == "awaiting patient signature" and body["sections"]
    cid = body["id"]
    signed = api.post(
        f"/api/v1/consents/{cid}/sign",
        {"signed_name": "Amara Okafor", "signature": signature_data_url()},
    )
    assert signed.json()["status"] == "awaiting countersignature"
    done = api.post(f"/api/v1/consents/{cid}/countersign", {"signature": signature_data_url()})
    assert done.status_code == 200 and done.json()["status"] == "signed"
    assert done.json()["in_force"] and len(done.json()["content_sha256"]) == 64
    assert done["Cache-Control"] == "no-store"
    pdf = api.get(f"/api/v1/consents/{cid}/pdf")
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    assert "Amara Okafor" in reader.pages[0].extract_text() or any(
        "Amara Okafor" in p.extract_text() for p in reader.pages
    )
    # Nothing the API offers changes it now.
    again = api.post(
        f"/api/v1/consents/{cid}/sign", {"signed_name": "Forger", "signature": signature_data_url()}
    )
    assert_error_shape(again, 409)
    assert_error_shape(
        api.post(f"/api/v1/consents/{cid}/countersign", {"signature": signature_data_url()}), 409
    )
    withdrawn = api.post(f"/api/v1/consents/{cid}/withdraw", {"reason": "Changed her mind."})
    assert withdrawn.json()["status"] == "withdrawn" and not withdrawn.json()["in_force"]
    listing = api.get(f"/api/v1/consents/patient/{patient.pk}")
    assert [c["status"] for c in listing.json()] == ["withdrawn"]
    assert Consent.objects.get().patient_signed_name == "Amara Okafor"


@pytest.mark.parametrize(
    "signature",
    ["", "data:image/png;base64,aGVsbG8=", "data:image/gif;base64,R0lGODlh", "x" * 100],
)
def test_a_bad_signature_answers_422_and_writes_nothing(api, patient, signature):
    cid = _consent(api, patient)["id"]
    response = api.post(
        f"/api/v1/consents/{cid}/sign", {"signed_name": "A", "signature": signature}
    )
    body = assert_error_shape(response, 422)
    assert "signature" in body["extra"]["fields"]
    assert Consent.objects.get().patient_signed_at is None


def test_an_oversize_signature_answers_422(api, patient):
    cid = _consent(api, patient)["id"]
    response = api.post(
        f"/api/v1/consents/{cid}/sign",
        {"signed_name": "A", "signature": "data:image/png;base64," + "A" * 1_450_000},
    )
    assert_error_shape(response, 422)


def test_unknown_fields_and_wrong_types_are_refused(api, patient):
    response = api.post(
        "/api/v1/consents", {"patient_id": patient.pk, "kind": "treatment", "surprise": 1}
    )
    assert_error_shape(response, 422)
    response = api.post("/api/v1/consents", {"patient_id": "x", "kind": "treatment"})
    assert_error_shape(response, 422)
    assert Consent.objects.count() == 0


def test_reception_token_gets_403_before_the_body_is_read(client, clinic, receptionist, patient):
    reception = ApiClient(client, token_for(receptionist, clinic))
    assert_error_shape(reception.post("/api/v1/consents", raw="not json"), 403)
    assert_error_shape(reception.post("/api/v1/plans", raw="{"), 403)


def test_another_clinics_consent_and_plan_answer_404(
    client, api, patient, other_clinic, other_clinic_user
):
    cid = _consent(api, patient)["id"]
    stranger = ApiClient(client, token_for(other_clinic_user, other_clinic))
    assert_error_shape(stranger.get(f"/api/v1/consents/{cid}"), 404)
    assert_error_shape(stranger.get(f"/api/v1/consents/{cid}/pdf"), 404)


def _plan(api, patient, **overrides):
    body = {
        "patient_id": patient.pk,
        "indication_code": "skin-rejuvenation",
        "protocol_code": "seed-course-10-weekly",
        "first_session": "2026-12-07",
        "areas": ["face"],
        "technique_code": "nappage",
        "product_codes": ["nctf-135ha"],
    }
    body.update(overrides)
    return api.post("/api/v1/plans", body)


def test_plan_quote_and_gate_over_the_api(client, api, clinic, manager, practitioner, patient):
    boss = ApiClient(client, token_for(manager, clinic))
    assert (
        boss.post(
            "/api/v1/plans/prices",
            {"kind": "session", "indication_code": "skin-rejuvenation", "amount": "150.00"},
        ).status_code
        == 200
    )
    vat = boss.request("PUT", "/api/v1/plans/vat", {"vat_rate": "20"})
    assert vat.status_code == 200 and vat.json()["vat_rate"] == "20.00"
    response = _plan(api, patient)
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["sessions"][0]["planned_on"] == "2026-12-07"
    assert plan["sessions"][1]["target"] == "2026-12-14"
    quote = api.get(f"/api/v1/plans/{plan['id']}/quote").json()
    assert quote["currency"] == "GBP" and quote["course"]["sessions"] == 16
    assert quote["course"]["net"] == "2400.00" and quote["course"]["gross"] == "2880.00"
    pdf = api.get(f"/api/v1/plans/{plan['id']}/quote.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    gate = api.get(f"/api/v1/plans/{plan['id']}/gate").json()
    assert gate["open"] is False
    make_intake(patient)
    make_test(patient, practitioner, products=("nctf-135ha",), result="negative")
    cid = _consent(api, patient)["id"]
    api.post(
        f"/api/v1/consents/{cid}/sign", {"signed_name": "A O", "signature": signature_data_url()}
    )
    api.post(f"/api/v1/consents/{cid}/countersign", {"signature": signature_data_url()})
    gate = api.get(f"/api/v1/plans/{plan['id']}/gate").json()
    assert gate["open"] is True, gate
    api.post(f"/api/v1/consents/{cid}/withdraw", {"reason": "No longer wishes to go ahead."})
    assert api.get(f"/api/v1/plans/{plan['id']}/gate").json()["open"] is False


def test_a_plan_outside_the_protocol_without_reason_is_422(api, patient):
    body = assert_error_shape(_plan(api, patient, sessions=30), 422)
    assert "reason" in body["extra"]["fields"]
    assert Plan.objects.count() == 0
    assert _plan(api, patient, sessions=30, reason="Slow responder.").status_code == 201


def test_bad_prices_are_422_and_practitioners_cannot_set_them(client, api, clinic, manager):
    boss = ApiClient(client, token_for(manager, clinic))
    for amount in ["-1", "1e999999", "abc"]:
        response = boss.post(
            "/api/v1/plans/prices",
            {"kind": "product", "product_code": "nctf-135ha", "amount": amount},
        )
        assert_error_shape(response, 422)
    assert PriceItem.objects.count() == 0
    refused = api.post(
        "/api/v1/plans/prices", {"kind": "product", "product_code": "nctf-135ha", "amount": "1"}
    )
    assert_error_shape(refused, 403)


def test_openapi_documents_the_bodies(api):
    schema = api.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in ["/api/v1/consents", "/api/v1/plans", "/api/v1/plans/prices"]:
        assert "requestBody" in paths[path]["post"], path
    assert "/api/v1/consents/{consent_id}/countersign" in paths
    assert "/api/v1/plans/{plan_id}/quote.pdf" in paths
    names = schema["components"]["schemas"]
    assert "ConsentIn" in names and "PlanIn" in names


def test_plan_and_consent_reads_have_a_query_cap(api, clinic, practitioner, patient):
    from pistor.consents.tests.factories import signed_consent
    from pistor.plans.tests.factories import rejuvenation_plan
    from pistor.testing.queries import assert_query_cap

    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)

    def grow(n):
        for _ in range(n):
            signed_consent(clinic=clinic, patient=patient, by=practitioner)
            rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)

    def ok(response):
        assert response.status_code == 200

    api.get(f"/api/v1/plans/{plan.pk}")  # the token's first use is recorded once
    for path in (
        f"/api/v1/plans/{plan.pk}",
        f"/api/v1/plans/{plan.pk}/gate",
        f"/api/v1/consents/patient/{patient.pk}",
        f"/api/v1/plans/patient/{patient.pk}",
    ):
        assert_query_cap(lambda path=path: api.get(path), grow=grow, sizes=(1, 6), cap=30, check=ok)


def test_pistor_audit_verify_passes_after_the_consent_lifecycle(api, patient):
    from pistor.cli import main

    test_consent_lifecycle_over_the_api(api, patient)
    assert main(["audit", "verify"]) == 0
