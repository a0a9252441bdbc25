"""A first visit, start to finish, in real browsers: the one journey issue 8 asks for.

Reception registers the patient and sends an intake link; the patient fills it in on her own
phone (a fresh context, nobody signed in) and says she takes an anticoagulant; the
practitioner records the consultation, sees the bleeding warning and goes ahead with a
written reason; places an allergy test for the product seed 004's ten-session protocol will
use; a reading two hours later is refused, one 25 hours later accepted as negative; she lays
out the ten-session course, downloads the quote, the patient signs the consent with a finger
through a single-use link, the practitioner countersigns, and the plan's checklist turns
complete. Nothing is written to the database by the test: every record comes from a page.
Time moves on the server through ``pistor.core.clock`` (``moving_clock``), never by sleeping.

A second journey: a soy-allergic patient with a phosphatidylcholine plan is held at the gate
and the plan page says why in plain words.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from pistor.allergytests.models import AllergyTestReading
from pistor.audit.services import audit_verify
from pistor.consents.models import Consent
from pistor.consultations.models import ScreeningOverride
from pistor.intake.models import IntakeForm
from tests.e2e.pathway import (
    draw_with_finger,
    draw_with_mouse,
    new_page,
    new_phone,
    sign_in_with_code,
)
from tests.e2e.test_journeys import assert_page_was_clean, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROTOCOL = "skin-rejuvenation:seed-course-10-weekly"
PRODUCT = "nctf-135ha"  # the product the plan's course uses, so the one the test must cover


def register_patient(page, given: str, family: str, born: str) -> int:
    """Reception registers the patient through the form; returns her id from the page URL."""
    page.goto("/patients/new/")
    page.get_by_label("First name").fill(given)
    page.get_by_label("Last name").fill(family)
    page.fill("#id_date_of_birth", born)
    page.get_by_role("button", name="Save patient").click()
    expect(page.locator("#patient-name")).to_contain_text(f"{given} {family}")
    match = re.search(r"/patients/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def send_intake_link(page, patient_pk: int) -> str:
    page.goto(f"/patients/{patient_pk}/")
    page.get_by_role("button", name="Send an intake link").click()
    url = page.locator("#intake-link-url").input_value()
    assert "/intake/fill/" in url
    return url


def fill_intake_on_phone(browser, live_server, url: str, *, medications=(), allergens=()) -> None:
    """The patient answers on her own phone; the link is then used up."""
    context, phone = new_phone(browser, live_server)
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Your medical history")
    phone.check("#pregnant-no")
    phone.check("#breastfeeding-no")
    for code in medications:
        phone.check(f"#med-{code}")
    for code in allergens:
        phone.check(f"#allergy-{code}")
    phone.select_option("#smoking", "never")
    phone.select_option("#sun_exposure", "low")
    phone.fill("#weight_kg", "64")
    phone.select_option("#fitzpatrick", "2")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.locator("#intake-thanks")).to_be_visible()
    phone.goto(url)
    expect(phone.locator("#link-refused-message")).to_contain_text("already been used")
    assert_page_was_clean(phone)
    context.close()


def test_first_visit_from_intake_link_to_an_open_gate(
    page, browser, live_server, clinic, manager, receptionist, practitioner, totp_key, moving_clock
):
    # The manager prices a rejuvenation session on the clinic's price list.
    office_context, office = new_page(browser, live_server)
    sign_in_with_code(office, manager, totp_key)
    office.goto("/plans/prices/")
    office.select_option("#id_kind", "session")
    office.fill("#id_indication_code", "skin-rejuvenation")
    office.fill("#id_amount", "150.00")
    office.get_by_role("button", name="Save price").click()
    expect(office.locator("#price-table")).to_contain_text("150.00")
    assert_page_was_clean(office)
    office_context.close()

    # Reception registers the patient and sends her a link to fill in her medical history.
    reception_context, reception = new_page(browser, live_server)
    sign_in(reception, receptionist)
    expect(reception).not_to_have_url(re.compile(r"/accounts/"))
    patient_pk = register_patient(reception, "Siobhán", "O'Brien", "1979-06-14")
    url = send_intake_link(reception, patient_pk)
    assert_page_was_clean(reception)
    reception_context.close()

    # She opens it on her phone and says she takes warfarin (a coumarin anticoagulant).
    fill_intake_on_phone(browser, live_server, url, medications=["coumarin"])
    intake = IntakeForm.objects.get(patient_id=patient_pk)
    assert intake.status == "complete" and intake.medications == ["coumarin"]

    # The practitioner records the consultation and sees the anticoagulant warning.
    desk = page
    sign_in_with_code(desk, practitioner, totp_key)
    desk.goto(f"/patients/{patient_pk}/")
    desk.get_by_role("link", name="Consultations").click()
    desk.get_by_role("link", name="New consultation").click()
    desk.check("#ind-skin-rejuvenation")
    desk.fill("#area_0", "face")
    desk.check(f"#product-{PRODUCT}")
    desk.get_by_role("button", name="Tick every point").click()
    desk.check("#expectations_discussed")
    desk.check("#alternatives_discussed")
    desk.get_by_role("button", name="Save and screen").click()
    expect(desk.locator("#screen-warnings")).to_contain_text(re.compile("bleed", re.I))

    # She goes ahead despite it, and says why; the reason is kept.
    # (Every injection bruises more on warfarin; NCTF carries no extra bleeding tag.)
    desk.locator("#override-form input[value='bleeding-risk']").check()
    desk.fill("#override-reason", "INR stable at 2.3; GP agrees; firm pressure after each.")
    desk.get_by_role("button", name="Record the decision").click()
    expect(desk.locator("#overrides")).to_contain_text("INR stable at 2.3")
    assert ScreeningOverride.objects.get().finding_codes == ["bleeding-risk"]

    # She places the allergy test with the product the course will use.
    desk.goto(f"/patients/{patient_pk}/")
    desk.get_by_role("link", name="Allergy tests").click()
    desk.check(f"#test-product-{PRODUCT}")
    desk.fill("#sites", "left forearm, inner")
    desk.fill("#batches", "NCT-24117")
    desk.get_by_role("button", name="Record test placed").click()
    expect(desk.locator("#allergy-tests")).to_contain_text("NCT-24117")

    # Two hours later: too early, refused with the time it can be read from.
    moving_clock.advance(dt.timedelta(hours=2))
    desk.select_option("select[name=result]", "negative")
    desk.get_by_role("button", name="Record reading").click()
    expect(desk.locator("#read-errors")).to_contain_text("Too early")
    assert not AllergyTestReading.objects.exists()

    # Twenty-five hours after placing: accepted as negative.
    moving_clock.advance(dt.timedelta(hours=23))
    desk.select_option("select[name=result]", "negative")
    desk.get_by_role("button", name="Record reading").click()
    expect(desk.locator("#allergy-tests")).to_contain_text("Negative")
    assert AllergyTestReading.objects.get().result == "negative"

    # A plan from seed 004's ten weekly sessions, and its dated course.
    desk.goto(f"/plans/patient/{patient_pk}/")
    desk.locator("#id_protocol_code").select_option(PROTOCOL)
    desk.locator("#id_first_session").fill("2026-12-07")
    desk.locator("#id_areas").fill("face")
    desk.locator("#id_technique_code").select_option("nappage")
    desk.get_by_label("NCTF 135HA", exact=True).check()
    desk.get_by_role("button", name="Lay out the course").click()
    course = desk.locator("#course-table")
    expect(course).to_contain_text("Mon 7 Dec 2026")
    expect(course).to_contain_text("Mon 14 Dec 2026")
    assert desk.locator(".course-session").count() >= 16  # ten weekly, six monthly
    expect(desk.locator("#course-timeline")).to_be_visible()
    # Everything but the consent is already in place.
    expect(desk.locator("#gate-status")).to_have_attribute("data-open", "false")
    for step in ("intake", "screen", "allergy"):
        expect(desk.locator(f"#gate-{step}")).to_have_attribute("data-done", "true")
    expect(desk.locator("#gate-consent")).to_have_attribute("data-done", "false")
    expect(desk.locator("#gate-consent")).to_contain_text("no consent on record")
    plan_url = desk.url

    # The quote as a PDF: the patient, the plan, the clinic.
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name="Download quote (PDF)").click()
    pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Siobhán O'Brien" in text or "Siobhán O’Brien" in text, text[:400]
    assert "Ten sessions every 1-2 weeks, then monthly" in text, text[:400]
    assert "Harbour Skin Clinic" in text
    assert "2400.00" in text  # sixteen course sessions at 150.00 before VAT

    # Draw up the consent and make a signing link for the patient.
    desk.goto(f"/consents/patient/{patient_pk}/")
    desk.locator("#id_indication_code").select_option("skin-rejuvenation")
    desk.locator("#consent-create-form").get_by_label("NCTF 135HA", exact=True).check()
    desk.get_by_role("button", name="Draw up consent").click()
    expect(desk.locator("#consent-status")).to_have_text("awaiting patient signature")
    consent_url = desk.url
    desk.get_by_role("button", name="Make a signing link for the patient").click()
    link = desk.locator("#consent-link").inner_text().strip()

    # The patient, on her touch-screen phone, signs with a finger; the link works once.
    phone_context, phone = new_phone(browser, live_server)
    phone.goto(link)
    expect(phone.locator("#consent-text")).to_contain_text("Your right to change your mind")
    phone.get_by_label("Your full name").fill("Siobhán O'Brien")
    draw_with_finger(phone, "#public-signature-canvas")
    signature = phone.locator("#public-signature-input").input_value()
    assert signature.startswith("data:image/png;base64,")
    phone.get_by_role("button", name="I agree — sign").click()
    expect(phone.locator("#public-signed")).to_contain_text("Thank you")
    phone.goto(link)
    expect(phone.locator("#link-refused")).to_contain_text("already been used")
    assert_page_was_clean(phone)
    phone_context.close()

    # The practitioner countersigns with the mouse; the consent is frozen.
    desk.goto(consent_url)
    expect(desk.locator("#patient-signature-image")).to_be_visible()
    draw_with_mouse(desk, "#countersign-signature-canvas")
    desk.get_by_role("button", name="Countersign and lock").click()
    expect(desk.locator("#consent-status")).to_have_text("signed")
    expect(desk.locator("#signed-notice")).to_contain_text("cannot be changed")
    consent = Consent.objects.get()
    assert consent.is_signed and consent.patient_signed_via == "link"

    # The plan's checklist is complete: the first session may go ahead.
    desk.goto(plan_url)
    expect(desk.locator("#gate-status")).to_have_attribute("data-open", "true")
    for step in ("intake", "screen", "allergy", "consent"):
        expect(desk.locator(f"#gate-{step}")).to_have_attribute("data-done", "true")
    assert_page_was_clean(desk)
    # The audit trail the journey wrote still verifies.
    assert audit_verify() == []


def test_a_soy_allergic_patient_is_held_at_the_gate_of_a_phosphatidylcholine_plan(
    page, browser, live_server, clinic, receptionist, practitioner, totp_key
):
    # Reception registers her; she says on her phone she is allergic to soya.
    reception_context, reception = new_page(browser, live_server)
    sign_in(reception, receptionist)
    patient_pk = register_patient(reception, "Amara", "Okafor", "1986-04-02")
    url = send_intake_link(reception, patient_pk)
    reception_context.close()
    fill_intake_on_phone(browser, live_server, url, allergens=["soy"])

    # The practitioner lays out an injection-lipolysis course with a phosphatidylcholine product.
    desk = page
    sign_in_with_code(desk, practitioner, totp_key)
    desk.goto(f"/plans/patient/{patient_pk}/")
    desk.locator("#id_protocol_code").select_option("localised-fat:lipolysis-pcdc")
    desk.locator("#id_first_session").fill("2026-12-07")
    desk.locator("#id_areas").fill("abdomen")
    desk.locator("#id_technique_code").select_option("point-by-point")
    desk.locator("#plan-create-form input[value='lipostabil']").check()
    desk.get_by_role("button", name="Lay out the course").click()

    # The gate stays shut and the page says why, in words a person reads.
    expect(desk.locator("#gate-status")).to_have_attribute("data-open", "false")
    screen = desk.locator("#gate-screen")
    expect(screen).to_have_attribute("data-done", "false")
    expect(screen).to_contain_text(re.compile("soy", re.I))
    expect(screen).to_contain_text("cannot be overridden")
    assert_page_was_clean(desk)
