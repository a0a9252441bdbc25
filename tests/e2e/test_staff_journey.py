"""Running a clinic's staff in a real browser, and the chips lists on a tablet-sized screen.

The live server runs in the test's process, so the invitation email the manager sends is
read from Django's captured mail (``mail.outbox``), exactly as the nurse would read it.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from pistor.accounts.models import User
from pistor.clinics.models import Membership, Role
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NURSE_EMAIL = "amina.diallo@example.org"
NURSE_PASSWORD = "river-stone-lantern-58"  # noqa: S105


@pytest.fixture
def second_page(browser, live_server):
    """Another browser, for a second person working at the same time."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_journey_manager_invites_a_nurse_then_changes_her_role_and_deactivates_her(
    page, second_page, clinic, manager, totp_key
):
    give_authenticator(manager, totp_key)
    sign_in(page, manager)
    enter_code(page, totp_key)

    # The manager invites a nurse.
    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    invite = page.locator("#invite-form")
    invite.get_by_label("Email").fill(NURSE_EMAIL)
    invite.get_by_label("Full name").fill("Amina Diallo")
    invite.get_by_label("Role").select_option(label="Nurse")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".messages")).to_contain_text(f"Invitation sent to {NURSE_EMAIL}")
    expect(page.locator("#open-invitations")).to_contain_text(NURSE_EMAIL)

    # The nurse reads the email and follows its link.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [NURSE_EMAIL]
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    nurse_page = second_page
    nurse_page.goto(link.group(0))
    expect(nurse_page.get_by_role("heading", name=f"Join {clinic.name}")).to_be_visible()
    nurse_page.get_by_label("Choose a password").fill(NURSE_PASSWORD)
    nurse_page.get_by_label("Type it again").fill(NURSE_PASSWORD)
    nurse_page.get_by_role("button", name="Set password and join").click()
    expect(nurse_page).to_have_url(re.compile(r"/accounts/login/"))
    expect(nurse_page.locator("#id_username")).to_have_value(NURSE_EMAIL)
    nurse_page.fill("#id_password", NURSE_PASSWORD)
    nurse_page.get_by_role("button", name="Sign in").click()
    expect(nurse_page).not_to_have_url(re.compile(r"/accounts/"))
    expect(nurse_page.locator("#current-user")).to_contain_text("Amina Diallo")
    tools = nurse_page.goto("/tools/")
    assert tools is not None and tools.status == 200  # a nurse uses the clinical tools

    # The link worked once.
    again = nurse_page.goto(link.group(0))
    assert again is not None and again.status == 404

    # The manager changes her role to reception: the clinical tools close to her.
    nurse = User.objects.get(email=NURSE_EMAIL)
    page.reload()
    row = page.locator(f"#staff-{Membership.objects.get(user=nurse).pk}")
    expect(row).to_contain_text("Amina Diallo")
    row.get_by_label(f"Role of {NURSE_EMAIL}", exact=True).select_option(label="Reception")
    row.get_by_role("button", name=f"Change role of {NURSE_EMAIL}").click()
    expect(page.locator(".messages")).to_contain_text("is now reception")
    assert Membership.objects.get(user=nurse).role == Role.RECEPTION
    refused = nurse_page.goto("/tools/")
    assert refused is not None and refused.status == 403

    # The manager deactivates her account (confirming the question): her next request is
    # refused.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#staff-{Membership.objects.get(user=nurse).pk}").get_by_role(
        "button", name=f"Deactivate {NURSE_EMAIL}"
    ).click()
    expect(page.locator(".messages")).to_contain_text("can no longer work at this clinic")
    nurse_page.goto("/patients/")
    expect(nurse_page).to_have_url(re.compile(r"/accounts/login/"))
    nurse_page.fill("#id_username", NURSE_EMAIL)
    nurse_page.fill("#id_password", NURSE_PASSWORD)
    nurse_page.get_by_role("button", name="Sign in").click()
    expect(nurse_page).to_have_url(re.compile(r"/accounts/login/"))
    expect(nurse_page.locator("body")).to_contain_text("do not match a staff account")
    assert_page_was_clean(page)


def test_journey_chips_filter_and_tick_allergies_on_a_tablet(browser, live_server, nurse):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 820, "height": 1180},
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text else None,
    )
    try:
        sign_in(page, nurse)
        page.goto("/tools/screen/")
        allergies = page.get_by_role("group", name="Allergies")
        expect(allergies).to_be_visible()
        box = page.get_by_placeholder("Filter allergies…")
        box.fill("BIRCH")
        expect(allergies.get_by_label("Birch-pollen allergy")).to_be_visible()
        expect(allergies.get_by_label("Bee-venom allergy")).to_be_hidden()
        allergies.get_by_text("Birch-pollen allergy").tap()
        expect(allergies.get_by_label("Birch-pollen allergy")).to_be_checked()
        expect(allergies.locator("[data-chips-status]")).to_have_text("1 ticked.")
        box.fill("")
        expect(allergies.get_by_label("Bee-venom allergy")).to_be_visible()
        allergies.get_by_role("button", name="Untick all").click()
        expect(allergies.get_by_label("Birch-pollen allergy")).not_to_be_checked()
        assert errors == [], errors
    finally:
        context.close()


def test_journey_chips_work_as_plain_checkboxes_without_javascript(browser, live_server, nurse):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, nurse)
        page.goto("/tools/screen/")
        allergies = page.get_by_role("group", name="Allergies")
        expect(allergies.get_by_placeholder("Filter allergies…")).to_be_hidden()
        allergies.get_by_label("Birch-pollen allergy").check()
        expect(allergies.get_by_label("Birch-pollen allergy")).to_be_checked()
    finally:
        context.close()
