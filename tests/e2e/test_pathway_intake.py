"""The first visit in a real browser: intake link, consultation with an override, allergy test.

Reception sends an intake link; the patient fills it in on their own browser (a fresh
context, not signed in); the practitioner records the consultation, sees the anticoagulant
warning and goes ahead with a written reason; places an allergy test; a reading two hours
later is refused and one 25 hours later accepted. Time moves on the server through
``pistor.core.clock`` (only possible under PISTOR_TESTING), never by sleeping.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from pistor.allergytests.models import AllergyTestReading
from pistor.consultations.models import ScreeningOverride
from pistor.intake.models import IntakeForm
from pistor.patients.services import patient_create
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_journey_intake_link_consultation_override_and_allergy_test(
    page, browser, live_server, clinic, receptionist, practitioner, totp_key, moving_clock
):
    patient = patient_create(
        clinic=clinic,
        actor=None,
        given_name="Siobhán",
        family_name="O'Brien",
        date_of_birth=dt.date(1979, 6, 14),
    )

    # Reception sends the patient a link to fill in their medical history.
    sign_in(page, receptionist)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("button", name="Send an intake link").click()
    url = page.locator("#intake-link-url").input_value()
    assert "/intake/fill/" in url
    assert_page_was_clean(page)

    # The patient opens it on their own phone: nobody signed in there.
    context, phone, phone_errors = new_page(browser, live_server)
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Your medical history")
    phone.check("#pregnant-no")
    phone.check("#breastfeeding-no")
    phone.check("#med-coumarin")
    phone.select_option("#smoking", "never")
    phone.select_option("#sun_exposure", "low")
    phone.fill("#weight_kg", "64")
    phone.select_option("#fitzpatrick", "1")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.locator("#intake-thanks")).to_be_visible()
    # The link is used up: opening it again says so plainly.
    phone.goto(url)
    expect(phone.locator("#link-refused-message")).to_contain_text("already been used")
    assert phone_errors == []
    context.close()
    intake = IntakeForm.objects.get(patient=patient)
    assert intake.status == "complete" and intake.medications == ["coumarin"]

    # The practitioner records the consultation and sees the anticoagulant warning.
    give_authenticator(practitioner, totp_key)
    context, desk, desk_errors = new_page(browser, live_server)
    sign_in(desk, practitioner)
    enter_code(desk, totp_key)
    expect(desk).not_to_have_url(re.compile(r"/accounts/"))
    desk.goto(f"/patients/{patient.pk}/")
    desk.get_by_role("link", name="Consultations").click()
    desk.get_by_role("link", name="New consultation").click()
    desk.check("#ind-localised-fat")
    desk.fill("#area_0", "abdomen")
    desk.check("#product-lipostabil")
    desk.get_by_role("button", name="Tick every point").click()
    desk.check("#expectations_discussed")
    desk.check("#alternatives_discussed")
    desk.get_by_role("button", name="Save and screen").click()
    warnings = desk.locator("#screen-warnings")
    expect(warnings).to_contain_text(re.compile("bleed", re.I))

    # She goes ahead despite it, and says why; the reason is kept.
    desk.locator("#override-form input[value='bleeding-risk-strong']").check()
    desk.fill("#override-reason", "INR stable at 2.3; GP agrees; firm pressure after each.")
    desk.get_by_role("button", name="Record the decision").click()
    expect(desk.locator("#overrides")).to_contain_text("INR stable at 2.3")
    assert ScreeningOverride.objects.get().finding_codes == ["bleeding-risk-strong"]

    # She places the allergy test.
    desk.goto(f"/patients/{patient.pk}/")
    desk.get_by_role("link", name="Allergy tests").click()
    desk.check("#test-product-lipostabil")
    desk.fill("#sites", "left forearm, inner")
    desk.fill("#batches", "LPS-24117")
    desk.get_by_role("button", name="Record test placed").click()
    expect(desk.locator("#allergy-tests")).to_contain_text("LPS-24117")

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
    assert desk_errors == []
    context.close()
