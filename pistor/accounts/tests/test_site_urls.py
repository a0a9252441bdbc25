"""The account and clinic pages as mounted in the real site's URLconf."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.testing.factories import TEST_PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_pages_live_at_their_documented_addresses():
    assert reverse("accounts:login") == "/accounts/login/"
    assert reverse("accounts:logout") == "/accounts/logout/"
    assert reverse("accounts:verify") == "/accounts/verify/"
    assert reverse("accounts:setup_2fa") == "/accounts/setup-2fa/"
    assert reverse("accounts:recovery_codes") == "/accounts/recovery-codes/"
    assert reverse("clinics:choose") == "/clinics/choose/"


def test_a_nurse_signs_in_and_lands_on_the_home_page(client, nurse):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/", {"username": nurse.email, "password": TEST_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("web:home")


def test_the_chooser_renders_inside_the_site_layout(client, receptionist, other_clinic):
    MembershipFactory(user=receptionist, clinic=other_clinic, role="reception")
    signed_in_client(client, receptionist)
    response = client.get("/clinics/choose/")
    assert response.status_code == 200
    assert 'id="sign-out"' in response.content.decode()
