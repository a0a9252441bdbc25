"""Lock-out after repeated wrong passwords, and the atomic limiter under a flood."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.utils import timezone

from pistor.accounts import limiter
from pistor.accounts.models import LoginAttemptWindow
from pistor.audit.models import AuditEvent
from pistor.testing.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from pistor.testing.threads import in_threads

LOGIN = "/accounts/login/"
ATTACKER_IP = "203.0.113.7"
HOME_IP = "198.51.100.20"
LIMIT = settings.AXES_FAILURE_LIMIT
pytestmark = pytest.mark.urls("pistor.accounts.tests.urls")


def _post(client, email, password, ip):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


# --- The limiter on its own ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_limiter_allows_the_failure_limit_then_refuses_until_the_cooloff_passes():
    now = timezone.now()
    results = [limiter.claim("Ann@Example.org", ATTACKER_IP, now=now) for _ in range(LIMIT + 2)]
    assert [r.allowed for r in results] == [True] * LIMIT + [False, False]
    assert results[-1].retry_at == now + settings.AXES_COOLOFF_TIME
    later = now + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    assert limiter.claim("ann@example.org", ATTACKER_IP, now=later).allowed
    # A fresh window: one attempt used, the rest still available.
    pair = limiter.pair_key("ann@example.org", ATTACKER_IP)
    assert LoginAttemptWindow.objects.get(key=pair).attempts == 1


@pytest.mark.django_db
def test_the_limiter_counts_each_account_and_address_pair_separately():
    for _ in range(LIMIT):
        assert limiter.claim("ann@example.org", ATTACKER_IP).allowed
    assert not limiter.claim("ann@example.org", ATTACKER_IP).allowed
    assert limiter.claim("ann@example.org", HOME_IP).allowed
    assert limiter.claim("bob@example.org", ATTACKER_IP).allowed


@pytest.mark.django_db
def test_a_reset_frees_the_pair_and_the_table_holds_no_email_addresses():
    for _ in range(LIMIT):
        limiter.claim("ann@example.org", ATTACKER_IP)
    limiter.reset("ANN@example.org", ATTACKER_IP)
    assert limiter.claim("ann@example.org", ATTACKER_IP).allowed
    # The pair's row and the account's hourly row: keyed hashes, neither readable.
    assert LoginAttemptWindow.objects.count() == 2
    for row in LoginAttemptWindow.objects.all():
        assert "ann" not in row.key and ATTACKER_IP not in row.key


# --- Through the sign-in page ------------------------------------------------------------


@pytest.mark.django_db
def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_from_that_address(
    client, nurse
):
    for _ in range(LIMIT - 1):
        assert _post(client, nurse.email, "wrong-password-1", ATTACKER_IP).status_code == 200
    # The last allowed failure already answers with the pause page.
    assert _post(client, nurse.email, "wrong-password-1", ATTACKER_IP).status_code == 429
    response = _post(client, nurse.email, TEST_PASSWORD, ATTACKER_IP)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in paused" in html and "15 minutes" in html
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event_type="auth.locked_out").exists()


@pytest.mark.django_db
def test_the_real_user_elsewhere_is_not_locked_out(client, nurse):
    for _ in range(LIMIT + 3):
        _post(client, nurse.email, "wrong-password-1", ATTACKER_IP)
    home = Client()
    response = _post(home, nurse.email, TEST_PASSWORD, HOME_IP)
    assert response.status_code == 302
    assert home.session["_auth_user_id"] == str(nurse.pk)


@pytest.mark.django_db
def test_the_pause_page_does_not_reveal_whether_an_account_exists(client, nurse):
    for email in (nurse.email, "nobody@example.org"):
        for _ in range(LIMIT):
            _post(client, email, "wrong-password-1", ATTACKER_IP)
    existing = _post(client, nurse.email, "wrong-password-1", ATTACKER_IP)
    missing = _post(client, "nobody@example.org", "wrong-password-1", ATTACKER_IP)
    assert existing.status_code == missing.status_code == 429
    for response in (existing, missing):
        html = response.content.decode()
        assert "Sign-in paused" in html
        assert nurse.email not in html and "nobody@example.org" not in html


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_count(client, nurse):
    for _ in range(LIMIT - 1):
        _post(client, nurse.email, "wrong-password-1", ATTACKER_IP)
    assert _post(client, nurse.email, TEST_PASSWORD, ATTACKER_IP).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(LIMIT - 1):
        assert _post(client, nurse.email, "wrong-password-1", ATTACKER_IP).status_code == 200


# --- A flood of simultaneous guesses ------------------------------------------------------


@pytest.fixture
def flood_target(transactional_db):
    user = UserFactory(email="target@example.org")
    MembershipFactory(user=user, role="nurse")
    return user


def test_a_hundred_simultaneous_wrong_passwords_reach_the_password_check_at_most_limit_times(
    flood_target, threads_share_a_file_database, monkeypatch
):
    checks = 0
    count_lock = threading.Lock()
    real_authenticate = ModelBackend.authenticate

    def counting_authenticate(self, request, username=None, password=None, **kwargs):
        nonlocal checks
        with count_lock:
            checks += 1
        return real_authenticate(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting_authenticate)

    statuses = in_threads(
        100,
        lambda: _post(Client(), flood_target.email, "wrong-password-1", ATTACKER_IP).status_code,
    )

    assert len(statuses) == 100
    assert set(statuses) <= {200, 429}
    assert 1 <= checks <= LIMIT
    assert statuses.count(429) >= 100 - LIMIT

    # The same account from the person's own address still signs in.
    def sign_in_from_home() -> tuple[int, str]:
        home = Client()
        response = _post(home, flood_target.email, TEST_PASSWORD, HOME_IP)
        return response.status_code, home.session.get("_auth_user_id", "")

    [(status, user_id)] = in_threads(1, sign_in_from_home)
    assert status == 302
    assert user_id == str(flood_target.pk)
