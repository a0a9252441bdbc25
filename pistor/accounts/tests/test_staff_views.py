"""The staff pages, the invitation page, the account page and password changes and resets."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from conftest import signed_in_client
from pistor.accounts.models import StaffInvitation, User
from pistor.audit.models import AuditEvent
from pistor.clinics.models import Membership, Role
from pistor.testing.factories import TEST_PASSWORD, MembershipFactory
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "quiet-meadow-lantern-73"  # noqa: S105


def _membership(user, clinic) -> Membership:
    return Membership.objects.get(user=user, clinic=clinic)


def _invite_link(client, email="nadia@example.org", role="nurse", capture=None) -> str:
    with capture(execute=True):
        response = client.post(
            "/staff/invite/", {"email": email, "full_name": "Nadia Ortiz", "role": role}
        )
    assert response.status_code == 302, response.content
    body = str(mail.outbox[-1].body)
    match = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", body)
    assert match
    return match.group(1)


@pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist"])
def test_only_managers_open_the_staff_pages(client, request, clinic, role):
    user = request.getfixturevalue(role)
    signed_in_client(client, user)
    assert client.get("/staff/").status_code == 403
    response = client.post(f"/staff/{_membership(user, clinic).pk}/deactivate/")
    assert response.status_code == 403
    assert _membership(user, clinic).is_active


def test_signed_out_visitors_are_sent_to_sign_in(client, clinic, nurse):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_staff_page_lists_members_and_is_not_cached(client, manager, nurse):
    signed_in_client(client, manager)
    response = client.get("/staff/")
    assert response.status_code == 200
    html = response.content.decode()
    assert nurse.email in html and manager.email in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_staff_page_costs_the_same_queries_at_any_size(client, clinic, manager):
    signed_in_client(client, manager)

    def grow(n: int) -> None:
        for _ in range(n):
            MembershipFactory(clinic=clinic, role=Role.NURSE)

    assert_query_cap(
        lambda: client.get("/staff/"),
        grow=grow,
        sizes=(2, 30),
        cap=20,
        check=lambda r: r.status_code == 200,
    )


def test_invite_follow_the_link_set_a_password_and_sign_in(
    client, clinic, manager, django_capture_on_commit_callbacks
):
    signed_in_client(client, manager)
    path = _invite_link(client, capture=django_capture_on_commit_callbacks)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "Join Harbour Skin Clinic" in page.content.decode()
    mismatch = client.post(
        path, {"full_name": "Nadia Ortiz", "password1": NEW_PASSWORD, "password2": "other"}
    )
    assert mismatch.status_code == 422
    assert not User.objects.filter(email="nadia@example.org").exists()
    done = client.post(
        path, {"full_name": "Nadia Ortiz", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"].startswith("/accounts/login/")
    user = User.objects.get(email="nadia@example.org")
    assert _membership(user, clinic).role == Role.NURSE
    assert client.get(path).status_code == 404  # used up
    signed_in = client.post(
        "/accounts/login/", {"username": "nadia@example.org", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302 and "/accounts/login/" not in signed_in["Location"]


def test_a_bad_invitation_form_is_422_beside_the_field(client, manager):
    signed_in_client(client, manager)
    response = client.post("/staff/invite/", {"email": "nope", "role": "nurse"})
    assert response.status_code == 422
    assert 'id="id_email_error"' in response.content.decode()
    assert not StaffInvitation.objects.exists()


def test_an_unknown_invitation_link_is_404(client):
    response = client.get("/accounts/invitation/not-a-real-secret/")
    assert response.status_code == 404
    assert "cannot be used" in response.content.decode()


def test_change_role_and_deactivate_from_the_page(client, clinic, manager, nurse):
    signed_in_client(client, manager)
    membership = _membership(nurse, clinic)
    assert client.post(f"/staff/{membership.pk}/role/", {"role": "reception"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.RECEPTION
    assert client.post(f"/staff/{membership.pk}/deactivate/").status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert (
        AuditEvent.objects.filter(
            actor=manager, event_type__in=["membership.role_changed", "membership.deactivated"]
        ).count()
        == 2
    )


def test_a_refused_change_is_422_and_says_why(client, clinic, manager):
    signed_in_client(client, manager)
    mine = _membership(manager, clinic)
    response = client.post(f"/staff/{mine.pk}/role/", {"role": "nurse"})
    assert response.status_code == 422
    assert "your own account" in response.content.decode()
    bogus = client.post(f"/staff/{mine.pk}/role/", {"role": "surgeon"})
    assert bogus.status_code == 422


def test_another_clinics_member_is_404(client, manager, other_clinic, other_clinic_user):
    signed_in_client(client, manager)
    theirs = _membership(other_clinic_user, other_clinic)
    for action in ("role", "deactivate", "reset-authenticator", "unlock"):
        response = client.post(f"/staff/{theirs.pk}/{action}/", {"role": "nurse"})
        assert response.status_code == 404, action
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.role == Role.MANAGER


def test_the_account_page_leads_to_authenticator_set_up(client, nurse):
    signed_in_client(client, nurse, verified=False)
    response = client.get("/accounts/")
    assert response.status_code == 200
    assert 'href="/accounts/setup-2fa/"' in response.content.decode()


def test_changing_ones_own_password(client, nurse):
    signed_in_client(client, nurse)
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    done = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password(NEW_PASSWORD)
    assert client.get("/accounts/").status_code == 200  # still signed in here
    assert AuditEvent.objects.filter(event_type="auth.password_changed", actor=nurse).exists()


def test_a_forgotten_password_is_reset_by_a_single_use_emailed_link(client, nurse):
    response = client.post("/accounts/password-reset/", {"email": nurse.email.upper()})
    assert response.status_code == 302
    client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert len(mail.outbox) == 1  # the same answer, but nothing sent to strangers
    body = str(mail.outbox[0].body)
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/\S+/)", body)
    assert link
    set_page = client.get(link.group(1), follow=True)
    form_url = set_page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(event_type="auth.password_reset", actor=nurse).exists()
    again = client.get(link.group(1), follow=True)
    assert 'id="reset-link-invalid"' in again.content.decode()


def test_an_invited_practitioner_sets_up_an_authenticator_after_signing_in(
    client, clinic, manager, django_capture_on_commit_callbacks
):
    signed_in_client(client, manager)
    path = _invite_link(client, role="practitioner", capture=django_capture_on_commit_callbacks)
    assert "authenticator" in str(mail.outbox[-1].body)
    client.logout()
    client.post(path, {"full_name": "Dr Lee", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = client.post(
        "/accounts/login/", {"username": "nadia@example.org", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/setup-2fa/")


def test_a_mail_server_failure_keeps_the_invitation_and_answers_normally(
    client, manager, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "pistor.accounts.tests.test_staff_views.BrokenMailBackend"
    signed_in_client(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/invite/", {"email": "nadia@example.org", "full_name": "", "role": "nurse"}
        )
    assert response.status_code == 302
    assert StaffInvitation.objects.filter(email="nadia@example.org").exists()
    assert "Could not send staff invitation" in caplog.text
    assert "nadia@example.org" not in caplog.text


class BrokenMailBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise OSError("connection refused")
