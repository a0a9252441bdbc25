"""A manager receives two batches, product is given from the nearer-expiry one by
default, the manager recalls it, and the trace page lists the patient (issue 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pistor.inventory.models import Administration, Batch
from pistor.inventory.tests.factories import product
from pistor.patients.tests.factories import PatientFactory
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _receive(page, lot: str, days: int, ml: str) -> None:
    page.goto("/inventory/")
    page.locator("#inv-receive").click()
    form = page.locator("#receive-form")
    form.get_by_label("Product").select_option(label="Test saline")
    form.get_by_label("Lot number").fill(lot)
    form.get_by_label("Expiry date").fill(str(timezone.localdate() + dt.timedelta(days=days)))
    form.get_by_label("Quantity received").fill(ml)
    form.get_by_label("Supplier").fill("Acme Pharma")
    page.locator("#receive-submit").click()
    expect(page.locator("#batch-title")).to_contain_text(lot)


def test_journey_receive_use_recall_trace(page, clinic, manager, totp_key):
    product(clinic)
    patient = PatientFactory.create(
        clinic=clinic, given_name="Maeve", family_name="Donnelly", phone="07700 900555"
    )
    give_authenticator(manager, totp_key)
    sign_in(page, manager)
    enter_code(page, totp_key)

    page.locator("#nav-inventory").click()
    expect(page.get_by_role("heading", name="Stock", exact=True)).to_be_visible()
    _receive(page, "LATE-200", 200, "10")
    _receive(page, "SOON-40", 40, "10")

    # From the patient's record, record product given: the batch is left on its default.
    page.goto(f"/patients/{patient.pk}/")
    page.locator("#patient-record-use").click()
    form = page.locator("#use-form")
    expect(form.get_by_label("Batch")).to_have_value("")
    form.get_by_label("Quantity").fill("0.5")
    form.get_by_label("Occasion").select_option(label="Allergy test")
    form.get_by_label("Reference (session or test)").fill("AT-1")
    page.locator("#use-submit").click()
    expect(page.locator("#patient-batch-table")).to_contain_text("SOON-40")
    given = Administration.objects.get()
    assert given.batch.lot == "SOON-40"

    # The manager recalls that batch; the trace lists the patient with her phone number.
    page.get_by_role("link", name="SOON-40").click()
    recall = page.locator("#recall-form")
    recall.get_by_label("Reason").fill("Supplier notice: sterility not assured")
    recall.get_by_label("Recall reference").fill("FSN-77")
    page.locator("#recall-submit").click()
    expect(page.locator("#trace-title")).to_contain_text("SOON-40")
    expect(page.locator("#trace-table")).to_contain_text("Maeve Donnelly")
    expect(page.locator("#trace-table")).to_contain_text("07700 900555")
    assert Batch.objects.get(lot="SOON-40").recalled_at is not None

    # Her record now carries the recall banner.
    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator(".notice-error")).to_contain_text("recalled batch")
    assert_page_was_clean(page)


def test_journey_a_session_draws_the_nearer_expiry_batch_then_its_recall_traces_the_patient(
    page, browser, live_server, clinic, manager, practitioner, totp_key
):
    from pistor.treatments.tests.factories import ready_plan
    from tests.e2e.pathway import new_page, sign_in_with_code

    plan = ready_plan(clinic=clinic, by=practitioner, with_stock=False)
    product(clinic, code="nctf-135ha", name="NCTF 135HA")
    give_authenticator(manager, totp_key)
    sign_in(page, manager)
    enter_code(page, totp_key)

    page.goto("/inventory/")
    for lot, days in (("LATE-200", 200), ("SOON-40", 40)):
        page.goto("/inventory/")
        page.locator("#inv-receive").click()
        form = page.locator("#receive-form")
        form.get_by_label("Product").select_option(label="NCTF 135HA")
        form.get_by_label("Lot number").fill(lot)
        expires = timezone.localdate() + dt.timedelta(days=days)
        form.get_by_label("Expiry date").fill(str(expires))
        form.get_by_label("Quantity received").fill("10")
        form.get_by_label("Supplier").fill("Filorga")
        page.locator("#receive-submit").click()
        expect(page.locator("#batch-title")).to_contain_text(lot)

    # The practitioner, on her own computer, treats from the plan: the cocktail line's batch
    # is left to the default, nearest expiry first.
    context, desk = new_page(browser, live_server)
    sign_in_with_code(desk, practitioner, totp_key)
    desk.goto(f"/plans/{plan.pk}/")
    desk.locator("#session-start").click()
    desk.locator("#id_code").select_option("nctf-135ha")
    desk.locator("#id_volume").fill("2")
    desk.locator("#line-add").click()
    expect(desk.locator("#cocktail-lines")).to_contain_text("SOON-40")
    region = desk.locator('#bodymap [data-region="face-front"]')
    region.scroll_into_view_if_needed()
    box = region.bounding_box()
    desk.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    desk.locator("#id_technique_code").select_option("nappage")
    desk.locator("#id_depth").fill("2.5")
    desk.locator("#id_injections").fill("30")
    desk.locator("#id_area_volume").fill("2")
    desk.locator("#area-add").click()
    expect(desk.locator('#chart-areas tr[data-region="face-front"]')).to_be_visible()
    desk.locator("#session-sign").click()
    expect(desk.locator("#session-status")).to_have_attribute("data-status", "signed")
    assert_page_was_clean(desk)
    context.close()
    given = Administration.objects.get()
    assert given.batch.lot == "SOON-40" and given.patient_id == plan.patient.pk
    assert {b.lot: b.quantity_on_hand for b in Batch.objects.all()} == {
        "SOON-40": 8,
        "LATE-200": 10,
    }

    # Recalled, the batch's trace lists the patient and her record carries the banner.
    batch = Batch.objects.get(lot="SOON-40")
    page.goto(f"/inventory/batches/{batch.pk}/")
    recall = page.locator("#recall-form")
    recall.get_by_label("Reason").fill("Supplier notice: sterility not assured")
    recall.get_by_label("Recall reference").fill("FSN-78")
    page.locator("#recall-submit").click()
    expect(page.locator("#trace-table")).to_contain_text(plan.patient.full_name)
    page.goto(f"/patients/{plan.patient.pk}/")
    expect(page.locator(".notice-error")).to_contain_text("recalled batch")
    assert_page_was_clean(page)
