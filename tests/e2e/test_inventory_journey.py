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
