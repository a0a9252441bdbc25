from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import signed_in_client
from pistor.clinical.units import Quantity
from pistor.inventory.models import Administration, Batch, Movement
from pistor.inventory.services import container_open, fridge_create, stock_use
from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(clinic):
    p = product(clinic, multi_dose=True, in_use_hours=8, unit_volume_ml=Decimal("5"))
    return p, batch(clinic, p, lot="NEAR", days=30), batch(clinic, p, lot="FAR", days=90)


def test_a_nurse_receives_a_delivery_through_the_page(client, nurse, clinic, stock):
    c = signed_in_client(client, nurse)
    response = c.post(
        "/inventory/receive/",
        {
            "product": "saline-test",
            "lot": "P-9",
            "quantity": "4",
            "unit": "mL",
            "expires_on": str(timezone.localdate() + dt.timedelta(days=60)),
            "supplier": "Acme",
        },
    )
    batch_ = Batch.objects.get(lot="P-9")
    assert (
        response.status_code == 302 and response["Location"] == f"/inventory/batches/{batch_.pk}/"
    )


def test_a_refused_delivery_shows_the_reason_and_stores_nothing(client, nurse, clinic, stock):
    c = signed_in_client(client, nurse)
    response = c.post(
        "/inventory/receive/",
        {
            "product": "saline-test",
            "lot": "NEAR",
            "quantity": "4",
            "unit": "mL",
            "expires_on": str(timezone.localdate() + dt.timedelta(days=60)),
        },
    )
    assert response.status_code == 422
    assert "already been received" in response.content.decode()
    assert Batch.objects.count() == 2


def test_the_use_page_takes_the_nearer_expiry_batch_then_recall_lists_the_patient(
    client, practitioner, manager, clinic, stock
):
    _, near, _ = stock
    p = product(clinic, code="single")
    single_near = batch(clinic, p, lot="S-NEAR", days=20)
    batch(clinic, p, lot="S-FAR", days=200)
    patient = PatientFactory.create(clinic=clinic, phone="07700 900999")
    c = signed_in_client(client, practitioner)
    page = c.get(f"/inventory/use/?patient={patient.pk}&product=single")
    assert page.status_code == 200 and "S-NEAR" in page.content.decode()
    response = c.post(
        f"/inventory/use/?patient={patient.pk}&product=single",
        {
            "product": "single",
            "batch": "",
            "quantity": "0.5",
            "unit": "mL",
            "occasion": "allergy_test",
            "occasion_ref": "AT-1",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert Administration.objects.get().batch == single_near

    m = signed_in_client(client, manager)
    response = m.post(f"/inventory/batches/{single_near.pk}/recall/", {"reason": "Particles"})
    assert response.status_code == 302
    trace = m.get(response["Location"])
    assert trace.status_code == 200 and "07700 900999" in trace.content.decode()
    assert "no-store" in trace["Cache-Control"]
    csv_ = m.get(f"/inventory/batches/{single_near.pk}/trace.csv").content.decode()
    assert patient.record_number in csv_ and "S-NEAR" in csv_
    record = m.get(f"/patients/{patient.pk}/").content.decode()
    assert f"recall-banner-{single_near.pk}" in record


def test_a_refused_use_shows_why_and_writes_nothing(client, practitioner, clinic, stock):
    patient = PatientFactory.create(clinic=clinic)
    c = signed_in_client(client, practitioner)
    response = c.post(
        f"/inventory/use/?patient={patient.pk}",
        {
            "product": "saline-test",
            "batch": "",
            "quantity": "1",
            "unit": "mL",
            "occasion": "session",
        },
    )
    assert response.status_code == 409
    assert "open a new vial" in response.content.decode()
    assert not Administration.objects.exists()


def test_roles_and_clinics(client, receptionist, practitioner, other_clinic_user, clinic, stock):
    _, near, _ = stock
    assert signed_in_client(client, receptionist).get("/inventory/").status_code == 403
    c = signed_in_client(client, practitioner)
    assert c.post(f"/inventory/batches/{near.pk}/recall/", {"reason": "x"}).status_code == 403
    assert c.get("/inventory/receive/").status_code == 403
    o = signed_in_client(client, other_clinic_user)
    assert o.get(f"/inventory/batches/{near.pk}/").status_code == 404
    assert o.get(f"/inventory/batches/{near.pk}/trace/").status_code == 404
    assert not Batch.objects.filter(recalled_at__isnull=False).exists()


def test_fridge_page_logs_an_excursion(client, manager, clinic, stock):
    fridge = fridge_create(clinic=clinic, actor=None, name="Main")
    Batch.objects.update(fridge=fridge)
    c = signed_in_client(client, manager)
    response = c.post("/inventory/fridges/", {"fridge": str(fridge.pk), "celsius": "9.5"})
    assert response.status_code == 302
    assert Batch.objects.exclude(cold_chain_flag="").count() == 2
    assert "alert-cold-chain" in c.get("/inventory/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/inventory/",
        "/inventory/batches/",
        "/inventory/batches/{b}/",
        "/inventory/containers/",
        "/inventory/batches/{b}/trace/",
        "/inventory/containers/{c}/trace/",
    ],
)
def test_pages_make_the_same_few_queries_at_10_and_10000_movements(
    client, manager, clinic, stock, path
):
    _, near, _ = stock
    vial = container_open(clinic=clinic, actor=None, batch=near)
    patients = PatientFactory.create_batch(3, clinic=clinic)
    for pt in patients:
        stock_use(
            clinic=clinic,
            actor=None,
            patient=pt,
            product_code="saline-test",
            quantity=Quantity.of("0.01", "mL"),
            occasion="session",
        )
    url = path.replace("{b}", str(near.pk)).replace("{c}", str(vial.pk))
    c = signed_in_client(client, manager)
    c.get(url)

    def grow(n):
        now = timezone.now()
        Movement.objects.bulk_create(
            [
                Movement(
                    clinic=clinic,
                    batch=near,
                    kind="counted",
                    quantity=Decimal("0"),
                    balance_after=Decimal("1"),
                    at=now,
                )
                for _ in range(n)
            ],
            batch_size=2000,
        )

    assert_query_cap(
        lambda: c.get(url),
        grow=grow,
        sizes=(10, 10_000),
        cap=14,
        check=lambda r: r.status_code == 200,
    )


def test_the_batch_list_pages_through_a_clinic_of_years_of_deliveries(
    client, manager, clinic, stock
):
    prod, _, _ = stock
    for i in range(110):
        batch(clinic, prod, lot=f"OLD{i:03d}", days=400 + i)
    c = signed_in_client(client, manager)
    first = c.get("/inventory/batches/").content.decode()
    assert "1–100 of 112" in first and 'rel="next"' in first and "OLD097" in first
    second = c.get("/inventory/batches/?page=2").content.decode()
    assert "101–112 of 112" in second and "OLD109" in second and 'rel="next"' not in second
    # A page number past the end, or not a number, shows a real page rather than an error.
    assert "101–112 of 112" in c.get("/inventory/batches/?page=99").content.decode()
    assert "1–100 of 112" in c.get("/inventory/batches/?page=x").content.decode()

    made = iter(range(10_000))

    def grow(n):
        for _ in range(n):
            i = next(made)
            batch(clinic, prod, lot=f"NEW{i:04d}", days=900 + i)

    assert_query_cap(
        lambda: c.get("/inventory/batches/?page=2"),
        grow=grow,
        sizes=(10, 300),
        cap=12,
        check=lambda r: r.status_code == 200,
    )
