"""From plan to open gate in a real browser: a practitioner lays out seed 004's ten-session
course, downloads the quote, the patient signs the consent on a touch screen through the
single-use link, the practitioner countersigns, and the plan's checklist turns complete."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from pistor.consents.models import Consent
from pistor.patients.services import patient_create
from pistor.plans.services import price_item_set
from pistor.testing.pathway import make_intake, make_test
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _draw_with_mouse(page, selector: str) -> None:
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(
            box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.3 + 0.4 * (step % 2))
        )
    page.mouse.up()


def _draw_with_finger(page, selector: str) -> None:
    """Touch events through Chromium's DevTools input, as a finger on a tablet would."""
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 20, box["y"] + box["height"] * 0.6
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
    )
    for step in range(1, 14):
        point = {"x": x0 + step * 20, "y": y0 - (step % 3) * 15}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_journey_plan_quote_touch_signed_consent_and_the_checklist_completes(
    browser, live_server, page, clinic, practitioner, manager, totp_key
):
    patient = patient_create(
        clinic=clinic,
        actor=None,
        given_name="Amara",
        family_name="Okafor",
        date_of_birth=dt.date(1986, 4, 2),
    )
    price_item_set(
        clinic=clinic,
        by=manager,
        kind="session",
        indication_code="skin-rejuvenation",
        amount="150.00",
    )
    # Intake and the allergy test have their own journey (h-intake); here they are done.
    make_intake(patient)
    make_test(patient, practitioner, products=("nctf-135ha",), result="negative")

    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    # A plan from seed 004's ten weekly sessions, and its dated course.
    page.goto(f"/plans/patient/{patient.pk}/")
    page.locator("#id_protocol_code").select_option("skin-rejuvenation:seed-course-10-weekly")
    page.locator("#id_first_session").fill("2026-12-07")
    page.locator("#id_areas").fill("face")
    page.locator("#id_technique_code").select_option("nappage")
    page.get_by_label("NCTF 135HA", exact=True).check()
    page.get_by_role("button", name="Lay out the course").click()
    expect(page.locator("#course-table")).to_contain_text("Mon 7 Dec 2026")
    expect(page.locator("#course-table")).to_contain_text("Mon 14 Dec 2026")
    expect(page.locator(".course-session")).to_have_count(page.locator(".course-session").count())
    assert page.locator(".course-session").count() >= 16
    expect(page.locator("#course-timeline")).to_be_visible()
    expect(page.locator("#gate-status")).to_have_attribute("data-open", "false")
    expect(page.locator("#gate-consent")).to_contain_text("no consent on record")
    plan_url = page.url

    # The quote as a PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download quote (PDF)").click()
    pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Amara Okafor" in text and "Harbour Skin Clinic" in text

    # Draw up the consent and make a signing link for the patient.
    page.goto(f"/consents/patient/{patient.pk}/")
    page.locator("#id_indication_code").select_option("skin-rejuvenation")
    page.locator("#consent-create-form").get_by_label("NCTF 135HA", exact=True).check()
    page.get_by_role("button", name="Draw up consent").click()
    expect(page.locator("#consent-status")).to_have_text("awaiting patient signature")
    consent_url = page.url
    page.get_by_role("button", name="Make a signing link for the patient").click()
    link = page.locator("#consent-link").inner_text().strip()

    # The patient, on a touch-screen phone, signs with a finger.
    phone = browser.new_context(
        base_url=live_server.url,
        has_touch=True,
        is_mobile=True,
        viewport={"width": 412, "height": 860},
    )
    patient_page = phone.new_page()
    patient_page.goto(link)
    expect(patient_page.locator("#consent-text")).to_contain_text("Your right to change your mind")
    patient_page.get_by_label("Your full name").fill("Amara Okafor")
    patient_page.locator("#public-signature-canvas").scroll_into_view_if_needed()
    _draw_with_finger(patient_page, "#public-signature-canvas")
    assert (
        patient_page.locator("#public-signature-input")
        .input_value()
        .startswith("data:image/png;base64,")
    )
    patient_page.get_by_role("button", name="I agree — sign").click()
    expect(patient_page.locator("#public-signed")).to_contain_text("Thank you")
    # The link works once.
    patient_page.goto(link)
    expect(patient_page.locator("#link-refused")).to_contain_text("already been used")
    phone.close()

    # The practitioner countersigns with the mouse; the consent is frozen.
    page.goto(consent_url)
    expect(page.locator("#patient-signature-image")).to_be_visible()
    _draw_with_mouse(page, "#countersign-signature-canvas")
    page.get_by_role("button", name="Countersign and lock").click()
    expect(page.locator("#consent-status")).to_have_text("signed")
    expect(page.locator("#signed-notice")).to_contain_text("cannot be changed")
    consent = Consent.objects.get()
    assert consent.is_signed and consent.patient_signed_via == "link"

    # The plan's checklist is complete.
    page.goto(plan_url)
    expect(page.locator("#gate-status")).to_have_attribute("data-open", "true")
    for step in ("intake", "screen", "allergy", "consent"):
        expect(page.locator(f"#gate-{step}")).to_have_attribute("data-done", "true")
    assert_page_was_clean(page)
