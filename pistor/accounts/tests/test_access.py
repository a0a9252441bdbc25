"""The staff gate: what it does with each kind of refusal."""

from __future__ import annotations

import pytest

from conftest import signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("pistor.accounts.tests.urls")]


def test_require_action_inside_a_view_answers_403_for_a_role_without_it(client, nurse):
    signed_in_client(client, nurse)
    response = client.get("/_test/staff-manage/")
    assert response.status_code == 403
    assert "does not allow this" in response.content.decode()


def test_not_found_raised_in_a_view_answers_404(client, nurse):
    signed_in_client(client, nurse)
    assert client.get("/_test/not-found/").status_code == 404


def test_htmx_requests_are_told_to_go_to_sign_in_rather_than_swapping_it_in(client):
    response = client.get("/_test/staff/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F_test%2Fstaff%2F"


def test_a_deactivated_member_loses_access_at_once(client, nurse):
    signed_in_client(client, nurse)
    assert client.get("/_test/staff/").status_code == 200
    nurse.memberships.update(is_active=False)
    assert client.get("/_test/staff/")["Location"].startswith("/clinics/choose/")
