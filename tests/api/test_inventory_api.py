"""The inventory API over HTTP with tokens: every refusal a clear 4xx with nothing
written, roles, another clinic's ids, and bounded queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pistor.inventory.models import Administration, Batch, Movement
from pistor.inventory.services import batch_recall, container_open
from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.queries import assert_query_cap
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/inventory"


@pytest.fixture
def manager_api(client, manager, clinic):
    return ApiClient(client, token_for(manager, clinic))


@pytest.fixture
def nurse_api(client, nurse, clinic):
    return ApiClient(client, token_for(nurse, clinic))


@pytest.fixture
def stock(clinic):
    p = product(clinic)
    return p, batch(clinic, p, lot="NEAR", days=30, ml="3"), batch(clinic, p, lot="FAR", days=90)


def _receive(api, **over):
    body = {
        "product": "saline-test",
        "lot": "NEW-1",
        "expires_on": str(timezone.localdate() + dt.timedelta(days=100)),
        "quantity": {"value": "5", "unit": "mL"},
        "supplier": "Acme",
    }
    body.update(over)
    return api.post(f"{BASE}/batches", body)


def _give(api, patient, **over):
    body = {
        "patient_id": patient.pk,
        "product": "saline-test",
        "quantity": {"value": "1", "unit": "mL"},
        "occasion": "allergy_test",
        "occasion_ref": "AT-7",
    }
    body.update(over)
    return api.post(f"{BASE}/administrations", body)


def test_a_nurse_receives_a_batch(nurse_api, stock):
    response = _receive(nurse_api)
    assert response.status_code == 201, response.content
    assert response.json()["quantity_on_hand"] == "5.000"
    assert Batch.objects.filter(lot="NEW-1").exists()


def test_goods_in_refusals_are_clear_and_write_nothing(nurse_api, stock):
    before = Batch.objects.count(), Movement.objects.count()
    past = str(timezone.localdate() - dt.timedelta(days=1))
    body = assert_error_shape(_receive(nurse_api, expires_on=past), 422)
    assert "expires_on" in body["extra"]["fields"]
    body = assert_error_shape(_receive(nurse_api, lot="NEAR"), 422)
    assert "already" in body["message"]
    body = assert_error_shape(_receive(nurse_api, quantity={"value": "5", "unit": "mg"}), 422)
    assert "mL" in body["message"]
    assert_error_shape(_receive(nurse_api, quantity={"value": "5", "unit": "furlong"}), 422)
    assert_error_shape(_receive(nurse_api, quantity={"value": "-5", "unit": "mL"}), 422)
    assert_error_shape(_receive(nurse_api, product="nope"), 404)
    assert (Batch.objects.count(), Movement.objects.count()) == before


def test_a_use_takes_the_nearer_expiry_batch_by_default(api, stock, clinic):
    _, near, _ = stock
    patient = PatientFactory.create(clinic=clinic)
    response = _give(api, patient)
    assert response.status_code == 201, response.content
    assert response.json()["lot"] == "NEAR"
    assert "no-store" in response["Cache-Control"]
    near.refresh_from_db()
    assert near.quantity_on_hand == Decimal("2")


@pytest.mark.parametrize("case", ["expired", "recalled", "too_much", "wrong_unit", "vial"])
def test_use_refusals_are_clear_4xx_and_write_nothing(api, stock, clinic, case):
    p, near, _ = stock
    patient = PatientFactory.create(clinic=clinic)
    over: dict = {"batch_id": near.pk}
    status, words = 409, ""
    if case == "expired":
        Batch.objects.filter(pk=near.pk).update(
            expires_on=timezone.localdate() - dt.timedelta(days=1)
        )
        words = "expired"
    elif case == "recalled":
        batch_recall(clinic=clinic, actor=None, batch=near, reason="Sterility doubt")
        words = "recalled"
    elif case == "too_much":
        over["quantity"] = {"value": "3.5", "unit": "mL"}
        words = "Not enough"
    elif case == "wrong_unit":
        over["quantity"] = {"value": "1", "unit": "mg"}
        status, words = 422, "mL"
    else:
        Batch.objects.filter(pk=near.pk).update(quantity_on_hand=Decimal("3"))
        p.unit_volume_ml = Decimal("2")
        p.in_use_hours = 1
        p.save()
        vial = container_open(
            clinic=clinic, actor=None, batch=near, at=timezone.now() - dt.timedelta(hours=2)
        )
        over["container_id"] = vial.pk
        words = "in-use limit"
    before = Movement.objects.count()
    body = assert_error_shape(_give(api, patient, **over), status)
    assert words in body["message"]
    assert Movement.objects.count() == before
    assert not Administration.objects.exists()


def test_reception_may_not_use_stock_and_hears_403_before_the_body_is_read(
    client, receptionist, clinic
):
    reception = ApiClient(client, token_for(receptionist, clinic))
    assert_error_shape(reception.post(f"{BASE}/administrations", raw="not json"), 403)
    assert_error_shape(reception.get(f"{BASE}/products"), 403)


def test_a_practitioner_may_not_recall_or_receive(api, stock):
    _, near, _ = stock
    assert_error_shape(api.post(f"{BASE}/batches/{near.pk}/recall", {"reason": "x"}), 403)
    assert_error_shape(_receive(api), 403)


def test_another_clinics_batch_answers_404(client, other_clinic_user, other_clinic, stock):
    _, near, _ = stock
    stranger = ApiClient(client, token_for(other_clinic_user, other_clinic))
    assert_error_shape(stranger.get(f"{BASE}/batches/{near.pk}"), 404)
    assert_error_shape(stranger.get(f"{BASE}/batches/{near.pk}/trace"), 404)
    assert_error_shape(stranger.post(f"{BASE}/batches/{near.pk}/recall", {"reason": "x"}), 404)


def test_recall_then_trace_lists_the_patient_with_contact_details(api, manager_api, stock, clinic):
    _, near, _ = stock
    patient = PatientFactory.create(clinic=clinic, email="p@example.org")
    assert _give(api, patient).status_code == 201
    response = manager_api.post(
        f"{BASE}/batches/{near.pk}/recall", {"reason": "Particles", "reference": "MHRA-1"}
    )
    assert response.status_code == 200 and response.json()["recalled"] is True
    trace = manager_api.get(f"{BASE}/batches/{near.pk}/trace")
    assert trace.status_code == 200
    assert "no-store" in trace["Cache-Control"]
    [row] = trace.json()["items"]
    assert (row["patient_id"], row["email"], row["quantity"]) == (
        patient.pk,
        "p@example.org",
        "1.000",
    )
    mine = manager_api.get(f"{BASE}/patients/{patient.pk}/administrations")
    assert [r["lot"] for r in mine.json()] == ["NEAR"]
    again = manager_api.post(f"{BASE}/batches/{near.pk}/recall", {"reason": "x"})
    assert_error_shape(again, 409)


def test_count_waste_and_vials_over_the_api(manager_api, stock):
    _, near, _ = stock
    r = manager_api.post(
        f"{BASE}/batches/{near.pk}/movements",
        {"kind": "wasted", "quantity": {"value": "1", "unit": "mL"}, "reason": "Dropped"},
    )
    assert r.status_code == 201, r.content
    r = manager_api.post(
        f"{BASE}/batches/{near.pk}/count", {"counted": {"value": "1.5", "unit": "mL"}}
    )
    assert r.status_code == 201 and r.json()["quantity"] == "-0.500"
    r = manager_api.post(f"{BASE}/containers", {"batch_id": near.pk})
    assert r.status_code == 201
    assert manager_api.get(f"{BASE}/containers").json()[0]["id"] == r.json()["id"]
    gone = manager_api.post(f"{BASE}/containers/{r.json()['id']}/discard")
    assert gone.status_code == 200 and gone.json()["discarded_at"]
    assert manager_api.get(f"{BASE}/containers").json() == []


def test_a_fridge_excursion_shows_among_the_alerts(manager_api, clinic):
    fridge = manager_api.post(f"{BASE}/fridges", {"name": "Main fridge"}).json()
    p = product(clinic)
    _receive(manager_api, fridge_id=fridge["id"])
    r = manager_api.post(f"{BASE}/fridges/{fridge['id']}/readings", {"celsius": "12.0"})
    assert r.status_code == 201 and r.json()["excursion"] is True
    alerts = manager_api.get(f"{BASE}/alerts").json()
    assert [b["lot"] for b in alerts["cold_chain"]] == ["NEW-1"]
    assert p.code == "saline-test"


def _grow_movements(clinic, target):
    patients = PatientFactory.create_batch(3, clinic=clinic)

    def grow(n):
        rows = []
        admins = []
        now = timezone.now()
        for i in range(n):
            admins.append(
                Administration(
                    clinic=clinic, patient=patients[i % 3], batch=target,
                    product_code="saline-test", quantity=Decimal("0.001"), unit="mL",
                    occasion="session", at=now,
                )
            )  # fmt: skip
        Administration.objects.bulk_create(admins, batch_size=1000)
        for _ in range(n):
            rows.append(
                Movement(
                    clinic=clinic, batch=target, kind="counted", quantity=Decimal("0"),
                    balance_after=target.quantity_on_hand, at=now,
                )
            )  # fmt: skip
        Movement.objects.bulk_create(rows, batch_size=1000)

    return grow


READS = ["/products", "/batches", "/batches/{id}", "/batches/{id}/trace", "/containers", "/alerts"]


def test_api_reads_make_the_same_few_queries_at_10_and_10000_movements(manager_api, stock, clinic):
    _, near, _ = stock
    vial = container_open(clinic=clinic, actor=None, batch=near)
    urls = [BASE + p.replace("{id}", str(near.pk)) for p in READS]
    urls.append(f"{BASE}/containers/{vial.pk}/trace")
    manager_api.get(urls[0])  # the token's first use of the day is recorded once

    def read_all():
        return [manager_api.get(url) for url in urls]

    # Each read is a handful of queries (auth, membership, one or two selects): 7 reads.
    assert_query_cap(
        read_all,
        grow=_grow_movements(clinic, near),
        sizes=(10, 10_000),
        cap=7 * 6,
        check=lambda responses: all(r.status_code == 200 for r in responses),
    )


def test_managers_set_the_expiry_window_and_the_alerts_follow_it(manager_api, api, stock):
    assert manager_api.get(f"{BASE}/settings").json()["expiry_alert_days"] == 30
    assert [b["lot"] for b in manager_api.get(f"{BASE}/alerts").json()["expiring"]] == ["NEAR"]
    body = {"expiry_alert_days": 120, "container_alert_hours": 4}
    assert_error_shape(api.request("PUT", f"{BASE}/settings", body), 403)
    response = manager_api.request("PUT", f"{BASE}/settings", body)
    assert response.status_code == 200 and response.json()["expiry_alert_days"] == 120
    expiring = manager_api.get(f"{BASE}/alerts").json()["expiring"]
    assert [b["lot"] for b in expiring] == ["NEAR", "FAR"]
    bad = manager_api.request(
        "PUT", f"{BASE}/settings", {"expiry_alert_days": 0, "container_alert_hours": 4}
    )
    assert_error_shape(bad, 422)


def test_the_batch_list_comes_a_page_at_a_time_with_the_total(client, clinic, manager):
    prod = product(clinic)
    for i in range(7):
        batch(clinic, prod, lot=f"P{i}", days=100 + i)
    api = ApiClient(client, token_for(manager, clinic))
    page = api.get(f"{BASE}/batches", limit=5, offset=5).json()
    assert page["count"] == 7
    assert [b["lot"] for b in page["items"]] == ["P5", "P6"]
    assert_error_shape(api.get(f"{BASE}/batches", limit=0), 422)
