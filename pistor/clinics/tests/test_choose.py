"""Choosing the clinic to work in."""

from __future__ import annotations

import pytest

from conftest import signed_in_client
from pistor.accounts.access import home_url
from pistor.audit.models import AuditEvent
from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
from pistor.clinics.models import Clinic
from pistor.testing.factories import MembershipFactory, UserFactory

CHOOSE = "/clinics/choose/"
pytestmark = [pytest.mark.django_db, pytest.mark.urls("pistor.accounts.tests.urls")]


@pytest.fixture
def two_clinic_nurse(clinic, other_clinic, nurse):
    MembershipFactory(user=nurse, clinic=other_clinic, role="manager")
    return nurse


def test_someone_with_one_clinic_goes_straight_in(client, nurse, clinic):
    signed_in_client(client, nurse)
    response = client.get(CHOOSE)
    assert response.status_code == 302
    assert response["Location"] == home_url()
    assert client.session[CURRENT_CLINIC_SESSION_KEY] == clinic.pk


def test_someone_with_several_clinics_sees_each_with_their_role(client, two_clinic_nurse):
    signed_in_client(client, two_clinic_nurse)
    response = client.get(CHOOSE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Harbour Skin Clinic" in html and "Hillside Aesthetics" in html
    assert "Your role: Nurse" in html and "Your role: Clinic manager" in html


def test_staff_pages_ask_someone_with_several_clinics_to_choose_first(client, two_clinic_nurse):
    signed_in_client(client, two_clinic_nurse)
    response = client.get("/_test/staff/")
    assert response["Location"] == f"{CHOOSE}?next=%2F_test%2Fstaff%2F"


def test_choosing_a_clinic_sets_it_for_the_session_and_is_audited(
    client, two_clinic_nurse, clinic, other_clinic
):
    signed_in_client(client, two_clinic_nurse)
    response = client.post(CHOOSE, {"clinic_id": other_clinic.pk, "next": "/_test/staff/"})
    assert response["Location"] == "/_test/staff/"
    assert client.session[CURRENT_CLINIC_SESSION_KEY] == other_clinic.pk
    assert client.get("/_test/staff/").content == f"staff page at {other_clinic.pk}".encode()

    client.post(CHOOSE, {"clinic_id": clinic.pk})
    assert client.get("/_test/staff/").content == f"staff page at {clinic.pk}".encode()
    events = list(AuditEvent.objects.filter(event_type="clinic.switched").order_by("pk"))
    assert [(e.clinic_id, e.before, (e.after or {})["clinic_id"]) for e in events] == [
        (other_clinic.pk, {"clinic_id": None}, other_clinic.pk),
        (clinic.pk, {"clinic_id": other_clinic.pk}, clinic.pk),
    ]
    assert all(e.actor_id == two_clinic_nurse.pk for e in events)


def test_the_role_follows_the_chosen_clinic(client, two_clinic_nurse, other_clinic):
    signed_in_client(client, two_clinic_nurse)
    client.post(CHOOSE, {"clinic_id": other_clinic.pk})
    assert client.get("/_test/audit/").status_code == 200  # manager at Hillside


@pytest.mark.parametrize("clinic_id", ["not-a-number", "", "999999"])
def test_an_unknown_clinic_answers_404(client, two_clinic_nurse, clinic_id):
    signed_in_client(client, two_clinic_nurse)
    assert client.post(CHOOSE, {"clinic_id": clinic_id}).status_code == 404


def test_a_clinic_the_person_does_not_work_at_answers_404_and_changes_nothing(
    client, two_clinic_nurse
):
    stranger_clinic = Clinic.objects.create(name="Elsewhere", slug="elsewhere")
    signed_in_client(client, two_clinic_nurse)
    assert client.post(CHOOSE, {"clinic_id": stranger_clinic.pk}).status_code == 404
    assert CURRENT_CLINIC_SESSION_KEY not in client.session
    assert not AuditEvent.objects.filter(event_type="clinic.switched").exists()


def test_a_deactivated_membership_is_neither_listed_nor_choosable(
    client, two_clinic_nurse, other_clinic
):
    membership = two_clinic_nurse.memberships.get(clinic=other_clinic)
    membership.is_active = False
    membership.save()
    signed_in_client(client, two_clinic_nurse)
    assert client.post(CHOOSE, {"clinic_id": other_clinic.pk}).status_code == 404


def test_someone_with_no_clinic_is_told_what_to_do(client, clinic):
    user = UserFactory()
    signed_in_client(client, user)
    response = client.get(CHOOSE)
    assert response.status_code == 200
    assert "not a member of staff at any clinic" in response.content.decode()
    assert client.get("/_test/staff/")["Location"].startswith(CHOOSE)


def test_the_chooser_needs_the_second_factor_first(client, two_clinic_nurse, other_clinic):
    signed_in_client(client, two_clinic_nurse, verified=False)  # a manager at Hillside
    response = client.post(CHOOSE, {"clinic_id": other_clinic.pk})
    assert response["Location"].startswith("/accounts/setup-2fa/")
    assert CURRENT_CLINIC_SESSION_KEY not in client.session
