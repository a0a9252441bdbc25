"""Treatment sessions over HTTP: the gate's 409, cocktail, chart, sign-off, addenda."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pistor.inventory.models import Batch
from pistor.treatments.models import ChartArea, CocktailLine, TreatmentSession
from pistor.treatments.tests.factories import ready_plan, stock
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/treatments"


def _start(api, plan):
    response = api.post(f"{BASE}/sessions", {"plan_id": plan.pk})
    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"]
    return response.json()["id"]


def test_without_consent_the_api_answers_409_with_the_reasons(api, clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, consent=False)
    body = assert_error_shape(api.post(f"{BASE}/sessions", {"plan_id": plan.pk}), 409)
    assert "consent-missing" in [r["code"] for r in body["extra"]["reasons"]]
    assert TreatmentSession.objects.count() == 0


def test_an_expired_batch_answers_409(api, clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, with_stock=False)
    b = stock(clinic)
    Batch.objects.filter(pk=b.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    body = assert_error_shape(api.post(f"{BASE}/sessions", {"plan_id": plan.pk}), 409)
    assert [r["code"] for r in body["extra"]["reasons"]] == ["batch-expired"]


def test_a_whole_session_through_the_api(api, clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner)
    sid = _start(api, plan)
    r = api.post(f"{BASE}/sessions/{sid}/lines", {"code": "nctf-135ha", "volume": "3"})
    assert r.status_code == 201 and r.json()["cocktail"][0]["lot"] == "NC1"
    r = api.post(
        f"{BASE}/sessions/{sid}/lines",
        {"code": "lidocaine", "volume": "1", "concentration": "10"},
    )
    assert Decimal(r.json()["totals_mg"]["lidocaine"]) == 10
    bad = api.post(f"{BASE}/sessions/{sid}/lines", {"code": "nctf-135ha", "volume": "2",
                                                    "volume_unit": "mg"})  # fmt: skip
    assert_error_shape(bad, 422)
    area = {"region": "thigh-front-left", "technique_code": "nappage", "depth": "3",
            "injections": 30, "volume": "1.5", "points": [{"x": 0.3, "y": 0.6}]}  # fmt: skip
    for depth in ("-1", "40"):
        body = assert_error_shape(
            api.post(f"{BASE}/sessions/{sid}/areas", {**area, "depth": depth}), 422
        )
        assert "depth" in body["extra"]["fields"]
    outside = {**area, "points": [{"x": 1.5, "y": 0.2}]}
    assert_error_shape(api.post(f"{BASE}/sessions/{sid}/areas", outside), 422)
    assert ChartArea.objects.count() == 0
    r = api.post(f"{BASE}/sessions/{sid}/areas", area)
    assert r.status_code == 201
    area_id = r.json()["areas"][0]["id"]
    r = api.post(f"{BASE}/sessions/{sid}/areas/{area_id}/points", {"x": 0.31, "y": 0.61})
    assert len(r.json()["areas"][0]["points"]) == 2
    assert_error_shape(
        api.post(f"{BASE}/sessions/{sid}/addenda", {"text": "a", "reason": "b"}), 409
    )
    r = api.post(f"{BASE}/sessions/{sid}/sign", {"notes": "Well tolerated."})
    assert r.status_code == 200 and r.json()["status"] == "signed"
    assert_error_shape(api.post(f"{BASE}/sessions/{sid}/sign", {"notes": ""}), 409)
    assert_error_shape(api.post(f"{BASE}/sessions/{sid}/lines", {"code": "lidocaine",
                                "volume": "1", "concentration": "10"}), 409)  # fmt: skip
    assert CocktailLine.objects.count() == 2
    r = api.post(f"{BASE}/sessions/{sid}/addenda", {"text": "Bruise.", "reason": "Phoned."})
    assert r.status_code == 201 and r.json()["addenda"][0]["text"] == "Bruise."
    care = api.get(f"{BASE}/sessions/{sid}/aftercare").json()
    assert care["next_window"] and any("nodule" in s for s in care["call_us"])
    pdf = api.get(f"{BASE}/sessions/{sid}/aftercare.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_another_clinics_session_is_404_and_a_nurse_may_not_sign(
    client, clinic, practitioner, nurse, other_clinic_user, other_clinic
):
    plan = ready_plan(clinic=clinic, by=practitioner)
    sid = _start(ApiClient(client, token_for(practitioner, clinic)), plan)
    other = ApiClient(client, token_for(other_clinic_user, other_clinic))
    assert_error_shape(other.get(f"{BASE}/sessions/{sid}"), 404)
    as_nurse = ApiClient(client, token_for(nurse, clinic))
    assert_error_shape(as_nurse.post(f"{BASE}/sessions/{sid}/sign", {}), 403)


def test_a_product_not_in_stock_and_bad_details_answer_422_and_write_nothing(
    api, clinic, practitioner
):
    plan = ready_plan(clinic=clinic, by=practitioner)
    sid = _start(api, plan)
    body = assert_error_shape(
        api.post(f"{BASE}/sessions/{sid}/lines", {"code": "redensity-1", "volume": "1"}), 422
    )
    assert "not in stock" in body["extra"]["fields"]["code"][0]
    assert CocktailLine.objects.count() == 0
    session = TreatmentSession.objects.get(pk=sid)
    start = session.started_at
    bad = {"treatment_start": start.isoformat(),
           "treatment_end": (start - dt.timedelta(minutes=5)).isoformat(), "notes": ""}  # fmt: skip
    body = assert_error_shape(api.post(f"{BASE}/sessions/{sid}/details", bad), 422)
    assert "treatment_end" in body["extra"]["fields"]
    bad = {"reactions": [{"kind": "hiccups", "severity": "mild"}], "notes": ""}
    body = assert_error_shape(api.post(f"{BASE}/sessions/{sid}/details", bad), 422)
    assert "reactions[0].kind" in body["extra"]["fields"]
    assert TreatmentSession.objects.get(pk=sid).reactions == {}
    ok = {
        "anaesthetic_product": "Lidocaine 5 % cream",
        "anaesthetic_applied_at": (start - dt.timedelta(minutes=20)).isoformat(),
        "treatment_start": start.isoformat(),
        "treatment_end": (start + dt.timedelta(minutes=2)).isoformat(),
        "reactions": [{"kind": "bruising", "severity": "mild"}],
        "notes": "Fine.",
    }
    r = api.post(f"{BASE}/sessions/{sid}/details", ok)
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["duration_minutes"] == 2 and out["duration_finding"]["code"] == (
        "session-duration:short"
    )
    assert out["reactions"] == [{"kind": "bruising", "severity": "mild"}]


def test_an_allergy_test_read_too_early_answers_409_with_its_reason(api, clinic, practitioner):
    from pistor.testing.pathway import make_test

    plan = ready_plan(clinic=clinic, by=practitioner, test=False)
    make_test(plan.patient, practitioner, products=("nctf-135ha",), result="negative",
              read_after=dt.timedelta(hours=3))  # fmt: skip
    body = assert_error_shape(api.post(f"{BASE}/sessions", {"plan_id": plan.pk}), 409)
    codes = [r["code"] for r in body["extra"]["reasons"]]
    assert codes == ["allergy-test-read-too-early"], codes
    assert TreatmentSession.objects.count() == 0
