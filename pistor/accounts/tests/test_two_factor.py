"""The second factor: setting up an authenticator, verifying, recovery codes, the gate."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import signed_in_client
from pistor.accounts.services import recovery_codes_generate
from pistor.accounts.tests.totp import code_for_device, totp_code
from pistor.audit.models import AuditEvent
from pistor.testing.factories import TEST_PASSWORD, MembershipFactory

LOGIN = "/accounts/login/"
VERIFY = "/accounts/verify/"
SETUP = "/accounts/setup-2fa/"
pytestmark = [pytest.mark.django_db, pytest.mark.urls("pistor.accounts.tests.urls")]


def _password_step(client, user):
    return client.post(LOGIN, {"username": user.email, "password": TEST_PASSWORD})


def _enrol(user):
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    codes = recovery_codes_generate(user=user)
    return device, codes


def _secret_on_page(html: str) -> str:
    match = re.search(r'id="totp-secret" data-secret="([A-Z2-7]+)"', html)
    assert match, "the setup page shows the secret in #totp-secret"
    return match.group(1)


# --- Who must use a second factor ---------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["practitioner", "manager"])
def test_practitioners_and_managers_without_an_app_must_set_one_up(client, role_fixture, request):
    user = request.getfixturevalue(role_fixture)
    response = _password_step(client, user)
    assert response["Location"] == SETUP
    # Nothing else is reachable until they do.
    blocked = client.get("/_test/staff/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(SETUP)
    assert client.get("/clinics/choose/")["Location"].startswith(SETUP)


@pytest.mark.parametrize("role_fixture", ["nurse", "receptionist"])
def test_nurses_and_reception_may_work_without_a_second_factor(client, role_fixture, request):
    user = request.getfixturevalue(role_fixture)
    _password_step(client, user)
    assert client.get("/_test/staff/").status_code == 200


def test_a_nurse_who_set_up_an_app_must_use_it(client, nurse):
    _enrol(nurse)
    assert _password_step(client, nurse)["Location"] == VERIFY
    blocked = client.get("/_test/staff/")
    assert blocked["Location"] == f"{VERIFY}?next=%2F_test%2Fstaff%2F"


def test_a_manager_role_anywhere_requires_the_second_factor(client, nurse, other_clinic):
    MembershipFactory(user=nurse, clinic=other_clinic, role="manager")
    assert _password_step(client, nurse)["Location"] == SETUP


# --- Setting up ---------------------------------------------------------------------------


def test_setting_up_an_authenticator_shows_a_qr_code_and_then_ten_recovery_codes(
    client, practitioner
):
    _password_step(client, practitioner)
    page = client.get(SETUP)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and 'class="qr-code"' in html
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script/style
    secret = _secret_on_page(html)
    # Reloading keeps the same secret, so a half-finished scan still works.
    assert _secret_on_page(client.get(SETUP).content.decode()) == secret

    response = client.post(SETUP, {"otp_token": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:recovery_codes")
    device = TOTPDevice.objects.get(user=practitioner)
    assert device.confirmed

    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=practitioner).values_list("token", flat=True)
    )
    # Shown once only.
    again = client.get(reverse("accounts:recovery_codes")).content.decode()
    assert not set(codes) & set(re.findall(r"[a-z2-7]{8}", again))
    assert 'id="recovery-codes-remaining">10<' in again

    # The session now counts as verified: staff pages open.
    assert client.get("/_test/staff/").status_code == 200
    assert AuditEvent.objects.filter(event_type="auth.2fa_enabled", actor=practitioner).exists()


def test_a_wrong_setup_code_is_refused_and_nothing_is_confirmed(client, practitioner):
    _password_step(client, practitioner)
    secret = _secret_on_page(client.get(SETUP).content.decode())
    wrong = str((int(totp_code(secret)) + 1) % 1_000_000).zfill(6)
    response = client.post(SETUP, {"otp_token": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert 'id="id_otp_token_error"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=practitioner, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=practitioner).exists()
    assert client.get("/_test/staff/")["Location"].startswith(SETUP)


def test_someone_with_an_app_cannot_replace_it_from_the_setup_page(client, practitioner):
    _enrol(practitioner)
    _password_step(client, practitioner)
    assert client.get(SETUP)["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=practitioner).count() == 1


# --- Verifying ----------------------------------------------------------------------------


def test_the_verify_page_has_a_code_field_and_a_verify_button(client, practitioner):
    _enrol(practitioner)
    _password_step(client, practitioner)
    html = client.get(VERIFY).content.decode()
    assert 'id="id_otp_token"' in html and ">Verify</button>" in html


def test_a_correct_app_code_verifies_rotates_the_session_and_is_audited(client, practitioner):
    device, _ = _enrol(practitioner)
    _password_step(client, practitioner)
    old_key = client.session.session_key
    response = client.post(VERIFY, {"otp_token": code_for_device(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("clinics:choose")
    assert client.session.session_key != old_key
    assert not SessionStore().exists(old_key)
    assert client.get("/_test/staff/").status_code == 200
    event = AuditEvent.objects.get(event_type="auth.otp_verified")
    assert event.actor_id == practitioner.pk and (event.after or {})["method"] == "authenticator"


def test_a_wrong_code_is_refused_with_a_message_and_audited(client, practitioner):
    device, _ = _enrol(practitioner)
    _password_step(client, practitioner)
    wrong = str((int(code_for_device(device)) + 7) % 1_000_000).zfill(6)
    response = client.post(VERIFY, {"otp_token": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/_test/staff/")["Location"].startswith(VERIFY)
    assert AuditEvent.objects.filter(event_type="auth.otp_failed", actor=practitioner).exists()


def test_a_code_cannot_be_used_twice(client, practitioner):
    device, _ = _enrol(practitioner)
    code = code_for_device(device)
    _password_step(client, practitioner)
    assert client.post(VERIFY, {"otp_token": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    _password_step(client, practitioner)
    assert client.post(VERIFY, {"otp_token": code}).status_code == 200


def test_a_recovery_code_works_once_instead_of_an_app_code(client, practitioner):
    _, codes = _enrol(practitioner)
    _password_step(client, practitioner)
    response = client.post(VERIFY, {"otp_token": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/_test/staff/").status_code == 200
    assert StaticToken.objects.filter(device__user=practitioner).count() == 9
    event = AuditEvent.objects.get(event_type="auth.otp_verified")
    assert (event.after or {})["method"] == "recovery_code"

    client.post(reverse("accounts:logout"))
    _password_step(client, practitioner)
    assert client.post(VERIFY, {"otp_token": codes[0]}).status_code == 200
    assert client.get("/_test/staff/")["Location"].startswith(VERIFY)


def test_many_wrong_codes_slow_the_guesser_down(client, practitioner):
    device, _ = _enrol(practitioner)
    _password_step(client, practitioner)
    wrong = str((int(code_for_device(device)) + 3) % 1_000_000).zfill(6)
    for _ in range(3):
        client.post(VERIFY, {"otp_token": wrong})
    response = client.post(VERIFY, {"otp_token": code_for_device(device)})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()


def test_the_verify_page_needs_a_password_first(client):
    assert client.get(VERIFY)["Location"] == LOGIN


def test_new_recovery_codes_replace_the_old_ones(client, practitioner):
    _, old_codes = _enrol(practitioner)
    signed_in_client(client, practitioner)
    response = client.post(reverse("accounts:recovery_codes"))
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    new_codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", html)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)


# --- The test helper agrees with the real check ------------------------------------------


@pytest.mark.parametrize("role_fixture", ["practitioner", "nurse", "receptionist", "manager"])
def test_signed_in_client_counts_as_verified_for_every_role(client, role_fixture, request):
    user = request.getfixturevalue(role_fixture)
    signed_in_client(client, user)
    assert client.get("/_test/staff/").status_code == 200


def test_signed_in_client_without_verification_stops_at_the_second_factor(client, practitioner):
    signed_in_client(client, practitioner, verified=False)
    assert client.get("/_test/staff/")["Location"].startswith(SETUP)
