"""What staff do in a real browser, end to end: sign in, register, find, edit, and be refused.

Each journey drives Debian's Chromium through the live server exactly as a person would:
typing into labelled fields and pressing buttons by their visible names.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from pistor.patients.models import Patient
from pistor.patients.services import patient_create
from pistor.testing.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from tests.e2e.totp import totp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, password: str = TEST_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()


def give_authenticator(user, key: bytes) -> None:
    TOTPDevice.objects.create(user=user, name="Authenticator app", key=key.hex(), confirmed=True)


def enter_code(page, key: bytes) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    page.fill("#id_otp_token", totp(key))
    page.get_by_role("button", name="Verify").click()


def assert_page_was_clean(page) -> None:
    assert page.problems.messages == [], "JavaScript or CSP errors: " + "; ".join(
        page.problems.messages
    )


def test_journey_reception_registers_finds_and_edits_a_patient(page, clinic, receptionist):
    patient_create(
        clinic=clinic,
        actor=None,
        given_name="Zoë",
        family_name="Clarke",
        date_of_birth=dt.date(1991, 11, 23),
    )
    sign_in(page, receptionist)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    # Register a patient.
    page.goto("/patients/")
    page.get_by_role("link", name="Register a patient").click()
    expect(page).to_have_url(re.compile(r"/patients/new/$"))
    page.get_by_label("First name").fill("Siobhán")
    page.get_by_label("Last name").fill("O'Brien")
    page.fill("#id_date_of_birth", "1979-06-14")
    page.fill("#id_phone", "+44 7700 900123")
    page.get_by_role("button", name="Save patient").click()
    expect(page.locator("#patient-name")).to_contain_text("Siobhán O'Brien")
    expect(page.locator("body")).to_contain_text("+44 7700 900123")

    # Find her by a search typed carelessly: wrong case, no accent.
    page.goto("/patients/")
    page.fill("#patient-search", "sIOBHAN")
    results = page.locator("#patient-results")
    expect(results.get_by_role("link", name="O'Brien, Siobhán")).to_be_visible()
    expect(results).not_to_contain_text("Clarke")

    # Change her phone number and see it saved.
    results.get_by_role("link", name="O'Brien, Siobhán").click()
    page.get_by_role("link", name="Edit details").click()
    page.fill("#id_phone", "+44 7700 900999")
    page.get_by_role("button", name="Save patient").click()
    expect(page.locator("#patient-name")).to_contain_text("Siobhán O'Brien")
    expect(page.locator("body")).to_contain_text("+44 7700 900999")
    assert Patient.objects.get(given_name="Siobhán").phone == "+44 7700 900999"
    assert_page_was_clean(page)


def test_journey_practitioner_signs_in_with_an_authenticator_code(page, practitioner, totp_key):
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    # Past the second factor: a patient page opens instead of bouncing to sign-in.
    page.goto("/patients/")
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    assert_page_was_clean(page)


def test_journey_wrong_authenticator_code_keeps_the_door_shut(page, practitioner, totp_key):
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    right = totp(totp_key)
    page.fill("#id_otp_token", "000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/"))


def test_journey_reception_is_refused_the_audit_trail(page, receptionist):
    sign_in(page, receptionist)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    response = page.goto("/audit/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("not allowed", re.I))
    expect(page.locator("body")).not_to_contain_text("patient.created")


def test_journey_another_clinic_cannot_open_a_patient_by_address(
    page, clinic, other_clinic_user, totp_key
):
    patient = patient_create(
        clinic=clinic,
        actor=None,
        given_name="José",
        family_name="Álvarez",
        date_of_birth=dt.date(1984, 3, 2),
    )
    give_authenticator(other_clinic_user, totp_key)
    sign_in(page, other_clinic_user)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    response = page.goto(f"/patients/{patient.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text(re.compile("couldn.t find", re.I))
    expect(page.locator("body")).not_to_contain_text("Álvarez")
    # Exactly what a record that never existed looks like.
    missing = page.goto(f"/patients/{patient.pk + 1000}/")
    assert missing is not None and missing.status == 404


def test_journey_practitioner_reads_a_protocol_with_its_timeline(page, practitioner, totp_key):
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    page.goto("/catalog/protocols/")
    first = page.locator("#protocol-table tbody tr a").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    timeline = page.locator("#course-timeline svg")
    expect(timeline).to_be_visible()
    assert timeline.locator("g.session").count() >= 1
    assert_page_was_clean(page)


def test_journey_a_second_clinic_membership_asks_which_clinic(page, clinic, other_clinic):
    person = UserFactory()
    MembershipFactory(user=person, clinic=clinic, role="reception")
    MembershipFactory(user=person, clinic=other_clinic, role="reception")
    sign_in(page, person)
    page.get_by_role("button", name=f"Work at {other_clinic.name}").click()
    expect(page).not_to_have_url(re.compile(r"/clinics/choose/"))
    expect(page.locator("body")).to_contain_text(other_clinic.name)


def test_journey_manager_sees_who_opened_a_record(
    page, browser, live_server, clinic, receptionist, manager, totp_key
):
    patient = patient_create(
        clinic=clinic,
        actor=None,
        given_name="Chloé",
        family_name="Dubois",
        date_of_birth=dt.date(1995, 4, 17),
    )
    # Reception opens the record in their own browser.
    other = browser.new_context(base_url=live_server.url)
    try:
        reception_page = other.new_page()
        sign_in(reception_page, receptionist)
        expect(reception_page).not_to_have_url(re.compile(r"/accounts/"))
        reception_page.goto(f"/patients/{patient.pk}/")
        expect(reception_page.locator("#patient-name")).to_contain_text("Chloé Dubois")
    finally:
        other.close()

    give_authenticator(manager, totp_key)
    sign_in(page, manager)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Audit history").click()
    table = page.locator("#audit-table")
    viewed = table.locator("tr", has_text="Record opened").filter(has_text=str(receptionist))
    expect(viewed.first).to_be_visible()
    expect(table).to_contain_text("Patient registered")
    assert_page_was_clean(page)


def test_journey_nurse_plans_a_course_and_is_told_what_is_wrong(page, nurse):
    sign_in(page, nurse)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.goto("/tools/plan/")

    # An impossible number of sessions is refused beside that box, and nothing is planned.
    page.get_by_label("Protocol").select_option(index=1)
    page.fill("#id_sessions", "99")
    page.get_by_role("button", name="Plan the course").click()
    expect(page.locator("#id_sessions-error")).to_be_visible()
    expect(page.locator("#planned-sessions")).to_have_count(0)

    page.get_by_label("Protocol").select_option(index=1)
    page.fill("#id_sessions", "")
    page.fill("#id_first_session", "2027-03-01")
    page.get_by_role("button", name="Plan the course").click()
    rows = page.locator("#planned-sessions tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#plan-result")).to_contain_text("1 Mar 2027")
    assert_page_was_clean(page)


def test_journey_reception_is_asked_before_registering_a_possible_duplicate(
    page, clinic, receptionist
):
    existing = patient_create(
        clinic=clinic,
        actor=None,
        given_name="Siobhán",
        family_name="O'Brien",
        date_of_birth=dt.date(1979, 6, 14),
    )
    sign_in(page, receptionist)
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("siobhan")
    page.get_by_label("Last name").fill("OBrien")
    page.fill("#id_date_of_birth", "1979-06-14")
    page.get_by_role("button", name="Save patient").click()

    # Asked, not refused: the match is named, with a way to its record.
    warning = page.locator("#possible-duplicates")
    expect(warning).to_contain_text(existing.record_number)
    expect(warning.get_by_role("link", name="O'Brien, Siobhán")).to_be_visible()
    assert Patient.objects.filter(clinic=clinic).count() == 1

    page.get_by_label("This is a different person: register them anyway").check()
    page.get_by_role("button", name="Save patient").click()
    expect(page.locator("#patient-name")).to_contain_text("siobhan OBrien")
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert_page_was_clean(page)
