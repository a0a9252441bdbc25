"""Sign-in limits behind a TLS proxy, the per-account ceiling, and odd ``next`` values."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from conftest import signed_in_client
from pistor.accounts import limiter
from pistor.testing.factories import TEST_PASSWORD

LOGIN = "/accounts/login/"
PROXY_IP = "10.0.0.2"
pytestmark = pytest.mark.django_db


def _post(client, email, password, *, ip=PROXY_IP, forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def _address(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return limiter.client_address(RequestFactory().get("/", **meta))


def test_without_a_proxy_the_forwarded_header_is_ignored():
    assert _address("198.51.100.4", "203.0.113.9") == "198.51.100.4"


@override_settings(PISTOR_BEHIND_PROXY=True, PISTOR_PROXY_HOPS=1)
def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended():
    # The client may send its own X-Forwarded-For; the proxy appends the real address last.
    assert _address(PROXY_IP, "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert _address(PROXY_IP, "203.0.113.9") == "203.0.113.9"
    # No header or a garbled one: counted against the sender, never trusted.
    assert _address(PROXY_IP) == PROXY_IP
    assert _address(PROXY_IP, "not-an-address") == PROXY_IP


@override_settings(PISTOR_BEHIND_PROXY=True, PISTOR_PROXY_HOPS=2)
def test_two_hops_read_the_entry_the_outer_proxy_wrote():
    assert _address(PROXY_IP, "6.6.6.6, 203.0.113.9, 10.0.0.1") == "203.0.113.9"
    assert _address(PROXY_IP, "10.0.0.1") == PROXY_IP


@override_settings(PISTOR_BEHIND_PROXY=True, PISTOR_PROXY_HOPS=1)
def test_behind_the_proxy_a_stranger_does_not_lock_the_real_user_out(nurse):
    attacker = Client()
    for _ in range(8):
        _post(attacker, nurse.email, "wrong-password-1", forwarded="203.0.113.7")
    assert _post(
        attacker, nurse.email, "wrong-password-1", forwarded="203.0.113.7"
    ).status_code == (429)
    home = Client()
    response = _post(home, nurse.email, TEST_PASSWORD, forwarded="198.51.100.20")
    assert response.status_code == 302
    assert home.session["_auth_user_id"] == str(nurse.pk)


@override_settings(PISTOR_LOGIN_ACCOUNT_HOURLY_LIMIT=6)
def test_the_account_ceiling_stops_guesses_spread_over_many_addresses(nurse):
    outcomes = []
    for i in range(10):
        response = _post(Client(), nurse.email, "wrong-password-1", ip=f"203.0.113.{i + 1}")
        outcomes.append(response.status_code)
    assert outcomes[:6] == [200] * 6
    assert outcomes[6:] == [429] * 4
    # The password is not even checked past the ceiling: the right one is refused too...
    stranger = Client()
    assert _post(stranger, nurse.email, TEST_PASSWORD, ip="203.0.113.99").status_code == 429


@override_settings(PISTOR_LOGIN_ACCOUNT_HOURLY_LIMIT=3)
def test_a_browser_that_signed_in_before_is_not_held_to_the_account_ceiling(nurse):
    own = Client()
    assert _post(own, nurse.email, TEST_PASSWORD, ip="198.51.100.20").status_code == 302
    assert limiter.KNOWN_DEVICE_COOKIE in own.cookies
    own.post("/accounts/logout/")
    for i in range(5):
        _post(Client(), nurse.email, "wrong-password-1", ip=f"203.0.113.{i + 1}")
    assert _post(Client(), nurse.email, TEST_PASSWORD, ip="203.0.113.50").status_code == 429
    # ...but the nurse's own browser still gets in.
    response = _post(own, nurse.email, TEST_PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    assert own.session["_auth_user_id"] == str(nurse.pk)


def test_a_known_device_cookie_is_tied_to_its_account(nurse, receptionist):
    response = HttpResponse()
    limiter.remember_device(response, nurse.email)
    value = response.cookies[limiter.KNOWN_DEVICE_COOKIE].value
    request = RequestFactory().get("/")
    request.COOKIES[limiter.KNOWN_DEVICE_COOKIE] = value
    assert limiter.is_known_device(request, nurse.email)
    assert not limiter.is_known_device(request, receptionist.email)
    request.COOKIES[limiter.KNOWN_DEVICE_COOKIE] = value[:-2] + "xx"
    assert not limiter.is_known_device(request, nurse.email)


@pytest.mark.parametrize("value", ["foo", "patients", "//evil.example", "/\\evil.example", ""])
def test_an_odd_next_never_fails_sign_in(client, nurse, value):
    assert client.get(LOGIN, {"next": value}).status_code == 200
    response = client.post(
        f"{LOGIN}?next={value}", {"username": nurse.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]


@pytest.mark.parametrize("value", ["foo", "patients", "//evil.example", "https://evil.example/"])
def test_an_odd_next_never_fails_the_clinic_chooser(client, practitioner, value):
    signed_in_client(client, practitioner)
    response = client.get("/clinics/choose/", {"next": value})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = client.post("/clinics/choose/", {"clinic_id": "", "next": value})
    assert response.status_code < 500


def test_a_path_next_is_still_followed(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.get("/clinics/choose/", {"next": "/patients/"})
    assert response["Location"] == "/patients/"
