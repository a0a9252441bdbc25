"""Signing in with a password, signing out, and being signed out for inactivity."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from pistor.accounts.access import home_url
from pistor.accounts.middleware import LAST_SEEN_KEY
from pistor.audit.models import AuditEvent
from pistor.testing.factories import TEST_PASSWORD, MembershipFactory, UserFactory

LOGIN = "/accounts/login/"
pytestmark = [pytest.mark.django_db, pytest.mark.urls("pistor.accounts.tests.urls")]


def _sign_in(client, user, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"username": user.email, "password": password}, **extra)


def test_the_sign_in_page_has_labelled_email_and_password_fields(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("accounts:login") == LOGIN
    assert 'id="id_username"' in html and 'id="id_password"' in html
    assert '<label for="id_username">Email</label>' in html
    assert ">Sign in</button>" in html
    assert "<script>" not in html  # the CSP forbids inline scripts


def test_a_wrong_password_says_so_and_is_audited_without_the_password(client, nurse):
    response = _sign_in(client, nurse, password="not-the-password-123")
    assert response.status_code == 200
    assert "do not match a staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(event_type="auth.login_failed")
    assert (event.after or {})["email"] == nurse.email
    assert event.subject_id == str(nurse.pk)
    everything = json.dumps(list(AuditEvent.objects.values("before", "after")))
    assert "not-the-password-123" not in everything


def test_an_unknown_email_fails_exactly_like_a_wrong_password(client, nurse):
    wrong_password = _sign_in(client, nurse, password="not-the-password-123")
    unknown = client.post(LOGIN, {"username": "nobody@example.org", "password": TEST_PASSWORD})
    assert unknown.status_code == wrong_password.status_code == 200
    assert "do not match a staff account" in unknown.content.decode()


def test_an_empty_form_shows_a_message_under_each_field(client):
    response = client.post(LOGIN, {"username": "", "password": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_username_error"' in html and "Enter the email address" in html
    assert 'id="id_password_error"' in html and "Enter your password" in html


def test_signing_in_rotates_the_session_key_and_is_audited(client, nurse):
    client.get(LOGIN)
    session = client.session
    session["something"] = "before sign-in"
    session.save()
    old_key = session.session_key
    response = _sign_in(client, nurse)
    assert response.status_code == 302
    assert client.session.session_key != old_key
    assert not SessionStore().exists(old_key)
    assert client.session["_auth_user_id"] == str(nurse.pk)
    event = AuditEvent.objects.get(event_type="auth.login")
    assert event.actor_id == nurse.pk
    assert "password" not in json.dumps(event.after)


def test_email_is_matched_whatever_its_case(client, nurse):
    response = client.post(LOGIN, {"username": nurse.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_a_nurse_without_an_authenticator_goes_straight_to_work(client, nurse):
    response = _sign_in(client, nurse, follow=True)
    assert response.redirect_chain[0][0] == reverse("clinics:choose")
    assert response.redirect_chain[-1][0] == home_url()


def test_a_safe_next_address_is_kept_through_sign_in_and_a_foreign_one_dropped(client, nurse):
    response = client.post(
        LOGIN, {"username": nurse.email, "password": TEST_PASSWORD, "next": "/_test/staff/"}
    )
    assert response["Location"] == "/clinics/choose/?next=%2F_test%2Fstaff%2F"
    final = client.get(response["Location"])
    assert final["Location"] == "/_test/staff/"

    client.post(reverse("accounts:logout"))
    response = client.post(
        LOGIN,
        {"username": nurse.email, "password": TEST_PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/clinics/choose/"


def test_an_inactive_account_cannot_sign_in(client, clinic):
    user = UserFactory(is_active=False)
    MembershipFactory(user=user, clinic=clinic, role="nurse")
    response = _sign_in(client, user)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_pages_send_signed_out_people_to_sign_in(client):
    response = client.get("/_test/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/_test/staff/"


def test_signing_out_destroys_the_server_side_session(client, nurse):
    _sign_in(client, nurse)
    old_key = client.session.session_key
    assert SessionStore().exists(old_key)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not SessionStore().exists(old_key)
    assert client.get("/_test/staff/").status_code == 302
    assert AuditEvent.objects.filter(event_type="auth.logout", actor=nurse).exists()


def test_signing_out_needs_a_post(client, nurse):
    _sign_in(client, nurse)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session


def test_a_session_left_idle_too_long_is_signed_out_with_an_explanation(client, nurse):
    _sign_in(client, nurse)
    assert client.get("/_test/staff/").status_code == 200
    old_key = client.session.session_key
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.SESSION_INACTIVITY_SECONDS - 5
    session.save()

    response = client.get("/_test/staff/", follow=True)
    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "You were signed out after a period of inactivity" in response.content.decode()
    assert not SessionStore().exists(old_key)
    # The explanation is shown once, not on every later visit.
    assert "period of inactivity" not in client.get(LOGIN).content.decode()


def test_activity_within_the_idle_limit_keeps_the_session(client, nurse):
    _sign_in(client, nurse)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.SESSION_INACTIVITY_SECONDS + 60
    session.save()
    assert client.get("/_test/staff/").status_code == 200


def test_argon2_is_the_password_hasher_outside_tests():
    real = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert real[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
