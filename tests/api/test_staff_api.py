"""Staff administration over the API: who may call it, what it changes, how it refuses."""

from __future__ import annotations

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.accounts.models import StaffInvitation
from pistor.audit.models import AuditEvent
from pistor.clinics.models import Membership, Role
from pistor.testing.factories import MembershipFactory
from pistor.testing.queries import assert_query_cap
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_api(client, manager, clinic) -> ApiClient:
    return ApiClient(client, token_for(manager, clinic))


def _membership(user, clinic) -> Membership:
    return Membership.objects.get(user=user, clinic=clinic)


def test_signed_out_callers_get_401(anonymous_api):
    assert_error_shape(anonymous_api.get("/api/v1/staff"), 401)
    assert_error_shape(anonymous_api.post("/api/v1/staff/invitations", {}), 401)


@pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist"])
def test_other_roles_get_403_before_the_body_is_read(client, clinic, request, role):
    user = request.getfixturevalue(role)
    api = ApiClient(client, token_for(user, clinic))
    assert_error_shape(api.get("/api/v1/staff"), 403)
    body = assert_error_shape(api.post("/api/v1/staff/invitations", raw="not json"), 403)
    assert body["extra"]["action"] == "staff.manage"
    target = _membership(user, clinic)
    assert_error_shape(api.post(f"/api/v1/staff/{target.pk}/deactivate"), 403)
    assert _membership(user, clinic).is_active


def test_the_list_shows_members_and_open_invitations(manager_api, clinic, manager, nurse):
    manager_api.post(
        "/api/v1/staff/invitations", {"email": "new@example.org", "role": "practitioner"}
    )
    response = manager_api.get("/api/v1/staff")
    assert response.status_code == 200
    body = response.json()
    emails = {m["email"]: m for m in body["members"]}
    assert set(emails) == {manager.email, nurse.email}
    assert emails[nurse.email]["role"] == "nurse"
    assert [i["email"] for i in body["invitations"]] == ["new@example.org"]


def test_inviting_sends_an_email_and_returns_no_secret(
    manager_api, clinic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(
            "/api/v1/staff/invitations",
            {"email": "Nadia@Example.org", "full_name": "Nadia Ortiz", "role": "nurse"},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "nadia@example.org" and body["role"] == "nurse"
    assert set(body) == {"invitation_id", "email", "full_name", "role", "expires_at"}
    assert len(mail.outbox) == 1 and "/accounts/invitation/" in mail.outbox[0].body
    assert StaffInvitation.objects.for_clinic(clinic).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not an address", "role": "nurse"}, "email"),
        ({"email": "a@example.org", "role": "surgeon"}, "role"),
        ({"email": "a@example.org"}, "role"),
        ({"email": "a@example.org", "role": "nurse", "password": "x"}, "password"),
        ({"email": 42, "role": "nurse"}, "email"),
    ],
)
def test_bad_invitations_are_422_in_the_one_shape(manager_api, body, field):
    response = manager_api.post("/api/v1/staff/invitations", body)
    error = assert_error_shape(response, 422)
    assert field in error["extra"]["fields"]
    assert not StaffInvitation.objects.exists()


def test_changing_a_role_is_audited(manager_api, clinic, manager, nurse):
    membership = _membership(nurse, clinic)
    response = manager_api.patch(f"/api/v1/staff/{membership.pk}", {"role": "practitioner"})
    assert response.status_code == 200, response.content
    assert response.json()["membership"]["role"] == "practitioner"
    event = AuditEvent.objects.get(event_type="membership.role_changed")
    assert event.actor == manager and event.before == {"role": "nurse"}


def test_a_manager_cannot_demote_themself_nor_remove_the_last_manager(manager_api, clinic, manager):
    mine = _membership(manager, clinic)
    assert_error_shape(manager_api.patch(f"/api/v1/staff/{mine.pk}", {"role": "nurse"}), 422)
    assert_error_shape(manager_api.post(f"/api/v1/staff/{mine.pk}/deactivate"), 422)
    mine.refresh_from_db()
    assert mine.role == Role.MANAGER and mine.is_active


def test_deactivating_cuts_off_the_members_token(client, manager_api, clinic, nurse):
    nurse_api = ApiClient(client, token_for(nurse, clinic))
    assert nurse_api.get("/api/v1/clinic/settings").status_code == 200
    membership = _membership(nurse, clinic)
    response = manager_api.post(f"/api/v1/staff/{membership.pk}/deactivate")
    assert response.status_code == 200
    assert response.json()["membership"]["is_active"] is False
    assert_error_shape(nurse_api.get("/api/v1/clinic/settings"), 401)


def test_reset_authenticator_and_unlock(manager_api, clinic, practitioner):
    TOTPDevice.objects.create(user=practitioner, name="phone", confirmed=True)
    membership = _membership(practitioner, clinic)
    response = manager_api.post(f"/api/v1/staff/{membership.pk}/reset-authenticator")
    assert response.status_code == 200
    assert response.json()["membership"]["has_authenticator"] is False
    assert manager_api.post(f"/api/v1/staff/{membership.pk}/unlock").status_code == 200
    assert (
        AuditEvent.objects.filter(event_type__in=["auth.2fa_reset", "auth.unlocked"]).count() == 2
    )


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("patch", ""), ("post", "/deactivate"), ("post", "/reset-authenticator"), ("post", "/unlock")],
)
def test_another_clinics_members_are_404(
    manager_api, other_clinic_user, other_clinic, method, suffix
):
    theirs = _membership(other_clinic_user, other_clinic)
    body = {"role": "nurse"} if method == "patch" else None
    response = getattr(manager_api, method)(f"/api/v1/staff/{theirs.pk}{suffix}", body)
    assert_error_shape(response, 404)
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.role == Role.MANAGER
    assert_error_shape(manager_api.post("/api/v1/staff/99999999999999999999/unlock"), 404)


def test_the_list_costs_the_same_queries_at_any_staff_size(manager_api, clinic):
    def grow(n: int) -> None:
        for _ in range(n):
            MembershipFactory(clinic=clinic, role=Role.NURSE)

    manager_api.get("/api/v1/staff")  # the token's first use records it; later ones do not
    assert_query_cap(
        lambda: manager_api.get("/api/v1/staff"),
        grow=grow,
        sizes=(2, 30),
        cap=12,
        check=lambda r: r.status_code == 200,
    )
