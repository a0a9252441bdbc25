"""Creating staff and changing their roles."""

from __future__ import annotations

import pytest

from pistor.accounts.models import User
from pistor.accounts.services import membership_deactivate, membership_set_role, staff_create
from pistor.audit.models import AuditEvent
from pistor.clinics.models import Membership, Role
from pistor.core.errors import ValidationFailed
from pistor.testing.factories import MembershipFactory

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "lavender-field-road-42"


def test_staff_create_makes_an_account_with_a_role_and_audits_both(clinic, manager):
    user = staff_create(
        email=" Nadia.Ortiz@Example.org ",
        full_name="Nadia Ortiz",
        password=GOOD_PASSWORD,
        clinic=clinic,
        role="nurse",
        actor=manager,
    )
    assert user.email == "nadia.ortiz@example.org"
    assert user.check_password(GOOD_PASSWORD)
    assert user.password != GOOD_PASSWORD
    membership = Membership.objects.get(user=user, clinic=clinic)
    assert membership.role == Role.NURSE and membership.is_active
    events = AuditEvent.objects.filter(clinic=clinic, actor=manager)
    assert set(events.values_list("event_type", flat=True)) == {
        "staff.created",
        "membership.created",
    }
    assert GOOD_PASSWORD not in str(list(events.values("before", "after")))


def test_staff_create_reuses_an_existing_account_for_a_second_clinic(clinic, other_clinic):
    first = staff_create(
        email="sam@example.org",
        full_name="Sam Lee",
        password=GOOD_PASSWORD,
        clinic=clinic,
        role="practitioner",
    )
    second = staff_create(
        email="SAM@example.org",
        full_name="",
        password=None,
        clinic=other_clinic,
        role="manager",
    )
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.check_password(GOOD_PASSWORD)  # the password is left alone
    assert set(second.memberships.values_list("clinic_id", "role")) == {
        (clinic.pk, "practitioner"),
        (other_clinic.pk, "manager"),
    }


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password": "password"}, "password", "too common"),
        ({"password": "short"}, "password", "too short"),
        ({"password": "1234567890123"}, "password", "entirely numeric"),
        ({"password": ""}, "password", "Choose a password"),
        ({"role": "surgeon"}, "role", "not a role"),
        ({"full_name": "  "}, "full_name", "full name"),
    ],
)
def test_staff_create_refuses_bad_input_with_a_message_per_field_and_writes_nothing(
    clinic, overrides, field, fragment
):
    arguments = {
        "email": "new@example.org",
        "full_name": "New Person",
        "password": GOOD_PASSWORD,
        "clinic": clinic,
        "role": "nurse",
    } | overrides
    with pytest.raises(ValidationFailed) as caught:
        staff_create(**arguments)
    assert field in caught.value.fields
    assert fragment in " ".join(caught.value.fields[field])
    assert not User.objects.filter(email="new@example.org").exists()
    assert not AuditEvent.objects.exists()


def test_staff_create_refuses_someone_already_on_the_staff(clinic, nurse):
    with pytest.raises(ValidationFailed) as caught:
        staff_create(email=nurse.email, full_name="X", password=None, clinic=clinic, role="manager")
    assert "already a member" in caught.value.fields["email"][0]
    assert nurse.memberships.get().role == "nurse"


def test_staff_create_reactivates_a_former_member_with_the_new_role(clinic, nurse):
    membership = nurse.memberships.get()
    membership.is_active = False
    membership.save()
    staff_create(email=nurse.email, full_name="", password=None, clinic=clinic, role="reception")
    membership.refresh_from_db()
    assert membership.is_active and membership.role == "reception"
    assert AuditEvent.objects.filter(event_type="membership.reactivated").exists()


def test_membership_set_role_changes_and_audits(clinic, nurse, manager):
    membership = nurse.memberships.get()
    membership_set_role(membership=membership, role="practitioner", actor=manager)
    membership.refresh_from_db()
    assert membership.role == "practitioner"
    event = AuditEvent.objects.get(event_type="membership.role_changed")
    assert event.before == {"role": "nurse"} and event.after == {"role": "practitioner"}


def test_the_last_manager_cannot_be_demoted_or_removed(clinic, manager):
    membership = manager.memberships.get()
    with pytest.raises(ValidationFailed):
        membership_set_role(membership=membership, role="nurse", actor=manager)
    with pytest.raises(ValidationFailed):
        membership_deactivate(membership=membership, actor=manager)
    membership.refresh_from_db()
    assert membership.role == "manager" and membership.is_active

    # With a second manager, that manager may remove the first (not the first themself).
    other = MembershipFactory(clinic=clinic, role="manager").user
    membership_deactivate(membership=membership, actor=other)  # type: ignore[arg-type]
    membership.refresh_from_db()
    assert not membership.is_active
    assert AuditEvent.objects.filter(event_type="membership.deactivated").exists()
