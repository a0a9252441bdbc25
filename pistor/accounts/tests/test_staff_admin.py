"""Managers running the clinic's staff: invitations, roles, deactivation, sign-in help."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import signed_in_client
from pistor.accounts.models import StaffInvitation, User
from pistor.accounts.services import (
    account_is_locked,
    account_unlock,
    authenticator_reset,
    invitation_accept,
    membership_deactivate,
    membership_set_role,
    staff_invite,
)
from pistor.api.models import ApiToken
from pistor.api.tokens import token_generate, token_hash, token_prefix
from pistor.audit.models import AuditEvent
from pistor.clinics.models import Membership, Role
from pistor.core.errors import NotFound, ValidationFailed
from pistor.testing.factories import MembershipFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "quiet-meadow-lantern-73"  # noqa: S105
LINK = re.compile(r"https?://\S+/accounts/invitation/[^/\s]+/")


def _url(path: str) -> str:
    return f"http://testserver{path}"


def _invite(clinic, manager, email="nadia@example.org", role="nurse", **kwargs):
    return staff_invite(
        clinic=clinic,
        email=email,
        full_name="Nadia Ortiz",
        role=role,
        actor=manager,
        build_url=_url,
        **kwargs,
    )


def _secret(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def _membership(user, clinic) -> Membership:
    return Membership.objects.get(user=user, clinic=clinic)


# --- Invitations -------------------------------------------------------------------------


def test_an_invitation_is_emailed_once_committed_and_stores_no_usable_secret(
    clinic, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = _invite(clinic, manager)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia@example.org"]
    assert clinic.name in message.subject
    found = LINK.search(str(message.body))
    assert found is not None
    link = found.group(0)
    assert link == sent.link
    secret = _secret(link)
    assert len(secret) >= 40
    invitation = StaffInvitation.objects.get()
    assert secret not in invitation.secret_hash
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    event = AuditEvent.objects.get(event_type="staff.invited")
    assert event.actor == manager and event.clinic == clinic
    assert secret not in str(event.after)


def test_accepting_creates_the_account_and_role_and_the_link_then_stops_working(clinic, manager):
    sent = _invite(clinic, manager)
    user = invitation_accept(secret=_secret(sent.link), full_name="", password=NEW_PASSWORD)
    assert user.email == "nadia@example.org" and user.full_name == "Nadia Ortiz"
    assert user.check_password(NEW_PASSWORD)
    assert _membership(user, clinic).role == Role.NURSE
    with pytest.raises(NotFound):
        invitation_accept(secret=_secret(sent.link), full_name="X", password=NEW_PASSWORD)
    assert set(AuditEvent.objects.filter(actor=user).values_list("event_type", flat=True)) == {
        "staff.created",
        "membership.created",
    }


def test_an_expired_invitation_cannot_be_used(clinic, manager):
    sent = _invite(clinic, manager, now=timezone.now() - timedelta(days=8))
    with pytest.raises(NotFound):
        invitation_accept(secret=_secret(sent.link), full_name="N", password=NEW_PASSWORD)
    assert not User.objects.filter(email="nadia@example.org").exists()


def test_inviting_again_withdraws_the_earlier_link(clinic, manager):
    first = _invite(clinic, manager)
    second = _invite(clinic, manager, role="practitioner")
    with pytest.raises(NotFound):
        invitation_accept(secret=_secret(first.link), full_name="N", password=NEW_PASSWORD)
    user = invitation_accept(secret=_secret(second.link), full_name="N", password=NEW_PASSWORD)
    assert _membership(user, clinic).role == Role.PRACTITIONER


def test_a_weak_password_is_refused_and_leaves_the_link_usable(clinic, manager):
    sent = _invite(clinic, manager)
    with pytest.raises(ValidationFailed) as caught:
        invitation_accept(secret=_secret(sent.link), full_name="N", password="password")
    assert "password" in caught.value.fields
    assert not User.objects.filter(email="nadia@example.org").exists()
    invitation_accept(secret=_secret(sent.link), full_name="N", password=NEW_PASSWORD)


def test_inviting_a_current_member_or_a_bad_address_or_role_is_refused(clinic, manager, nurse):
    with pytest.raises(ValidationFailed) as caught:
        _invite(clinic, manager, email=nurse.email.upper())
    assert "email" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        _invite(clinic, manager, email="not-an-address", role="surgeon")
    assert set(caught.value.fields) == {"email", "role"}
    assert not StaffInvitation.objects.exists()


def test_someone_with_an_account_elsewhere_joins_and_keeps_their_password(
    clinic, other_clinic, manager, other_clinic_user
):
    sent = _invite(clinic, manager, email=other_clinic_user.email)
    user = invitation_accept(secret=_secret(sent.link), full_name="", password=None)
    assert user.pk == other_clinic_user.pk
    assert user.check_password("correct-horse-battery-9")
    assert _membership(user, clinic).is_active
    assert _membership(user, other_clinic).role == Role.MANAGER


# --- Roles and deactivation --------------------------------------------------------------


def test_a_manager_cannot_demote_or_deactivate_themself(clinic, manager):
    MembershipFactory(clinic=clinic, role=Role.MANAGER)  # not the last manager
    mine = _membership(manager, clinic)
    with pytest.raises(ValidationFailed):
        membership_set_role(membership=mine, role="nurse", actor=manager)
    with pytest.raises(ValidationFailed):
        membership_deactivate(membership=mine, actor=manager)
    mine.refresh_from_db()
    assert mine.role == Role.MANAGER and mine.is_active


def test_the_last_manager_cannot_be_removed_by_anyone(clinic, manager):
    mine = _membership(manager, clinic)
    with pytest.raises(ValidationFailed):
        membership_deactivate(membership=mine, actor=None)


def test_deactivating_someone_with_no_other_clinic_closes_the_account(clinic, manager, nurse):
    membership_deactivate(membership=_membership(nurse, clinic), actor=manager)
    nurse.refresh_from_db()
    assert not nurse.is_active
    event = AuditEvent.objects.get(event_type="membership.deactivated")
    assert event.actor == manager and (event.after or {})["account_closed"] is True


def test_deactivating_at_one_clinic_keeps_the_account_for_the_other(
    clinic, other_clinic, manager, nurse
):
    MembershipFactory(user=nurse, clinic=other_clinic, role=Role.NURSE)
    membership_deactivate(membership=_membership(nurse, clinic), actor=manager)
    nurse.refresh_from_db()
    assert nurse.is_active
    assert _membership(nurse, other_clinic).is_active


def test_a_deactivated_person_invited_again_gets_their_account_back(clinic, manager, nurse):
    membership_deactivate(membership=_membership(nurse, clinic), actor=manager)
    sent = _invite(clinic, manager, email=nurse.email)
    invitation_accept(secret=_secret(sent.link), full_name="", password=NEW_PASSWORD)
    nurse.refresh_from_db()
    assert nurse.is_active and nurse.check_password(NEW_PASSWORD)
    assert _membership(nurse, clinic).is_active


# --- Sign-in help ------------------------------------------------------------------------


def test_resetting_an_authenticator_removes_devices_and_codes(clinic, manager, practitioner):
    TOTPDevice.objects.create(user=practitioner, name="phone", confirmed=True)
    StaticDevice.objects.create(user=practitioner, name="codes", confirmed=True)
    removed = authenticator_reset(membership=_membership(practitioner, clinic), actor=manager)
    assert removed == 2
    assert not TOTPDevice.objects.filter(user=practitioner).exists()
    assert not StaticDevice.objects.filter(user=practitioner).exists()
    assert AuditEvent.objects.filter(event_type="auth.2fa_reset", actor=manager).exists()


def test_unlocking_clears_the_pause_from_every_address(clinic, manager, nurse):
    for address in ("10.0.0.1", "10.0.0.2"):
        AccessAttempt.objects.create(
            username=nurse.email.upper(),
            ip_address=address,
            user_agent="test",
            failures_since_start=10,
            get_data="",
            post_data="",
            http_accept="",
            path_info="/accounts/login/",
        )
    assert account_is_locked(nurse.email)
    assert account_unlock(membership=_membership(nurse, clinic), actor=manager) == 2
    assert not account_is_locked(nurse.email)
    assert AuditEvent.objects.filter(event_type="auth.unlocked", actor=manager).exists()


# --- Deactivation reaches sessions and tokens -------------------------------------------


def test_a_deactivated_members_session_and_token_stop_working(client, clinic, manager, nurse):
    raw = token_generate()
    ApiToken.objects.create(
        clinic=clinic,
        user=nurse,
        name="script",
        prefix=token_prefix(raw),
        secret_hash=token_hash(raw),
    )
    signed_in_client(client, nurse)
    assert client.get("/patients/").status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/clinic/settings", **auth).status_code == 200

    membership_deactivate(membership=_membership(nurse, clinic), actor=manager)

    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/clinic/settings", **auth).status_code == 401
