"""API tokens: issued for a membership, stored hashed, refused the moment they lapse."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from conftest import signed_in_client
from pistor.api.models import ApiToken
from pistor.api.selectors import api_token_get_by_prefix, api_token_list
from pistor.api.services import api_token_create, api_token_revoke
from pistor.audit.models import AuditEvent
from pistor.audit.services import audit_verify
from pistor.clinics.models import Membership
from pistor.core.errors import Conflict, ValidationFailed
from pistor.testing.factories import UserFactory
from tests.api.helpers import ApiClient, assert_error_shape, make_patient, token_for

PATIENTS = "/api/v1/patients"


def test_a_token_is_stored_only_as_a_hash_with_a_visible_prefix(practitioner, clinic, manager):
    token, raw = api_token_create(
        user=practitioner, clinic=clinic, name="Booking site", actor=manager
    )

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.secret_hash, stored.prefix, stored.name}
    assert stored.prefix == raw[:8]
    assert len(raw) >= 43 and raw.isalnum()
    assert api_token_get_by_prefix(stored.prefix) == stored
    assert api_token_list(user=practitioner) == [stored]


def test_issuing_and_revoking_a_token_are_audited_without_the_secret(practitioner, clinic, manager):
    token, raw = api_token_create(user=practitioner, clinic=clinic, name="Script", actor=manager)
    api_token_revoke(token=token, actor=manager)

    events = list(AuditEvent.objects.filter(clinic=clinic, subject_type="api_token"))
    assert [e.event_type for e in events] == ["api_token.created", "api_token.revoked"]
    assert all(e.actor == manager for e in events)
    assert events[1].after is not None and events[1].after["revoked_at"] is not None
    for event in events:
        assert raw not in str(event.after) and token.secret_hash not in str(event.after)
    assert audit_verify() == []


def test_a_token_needs_an_active_membership_of_its_clinic(practitioner, other_clinic):
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(user=practitioner, clinic=other_clinic, name="x", actor=None)
    assert "clinic" in refused.value.fields
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(practitioner, clinic):
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(user=practitioner, clinic=clinic, name="   ", actor=None)
    assert "name" in refused.value.fields
    assert not ApiToken.objects.exists()


def test_revoking_twice_says_it_was_already_revoked(practitioner, clinic):
    token, _raw = api_token_create(user=practitioner, clinic=clinic, name="x", actor=None)
    api_token_revoke(token=token, actor=None)
    with pytest.raises(Conflict, match="already revoked"):
        api_token_revoke(token=token, actor=None)


def test_a_valid_token_is_accepted_and_its_use_noted(api, practitioner):
    response = api.get(PATIENTS)

    assert response.status_code == 200
    assert ApiToken.objects.get(user=practitioner).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer not-a-real-token",
        "Bearer " + "x" * 5000,
        "Token abcdefgh",
        "Basic dXNlcjpwYXNz",
        "Bearer \u00e9\u00e8",
    ],
    ids=["missing", "empty", "blank", "wrong", "huge", "other-scheme", "basic", "non-ascii"],
)
def test_a_missing_wrong_or_malformed_token_answers_401(client, practitioner_token, header):
    headers = {"Authorization": header} if header is not None else {}

    for method in ("get", "post"):
        response = getattr(client, method)(PATIENTS, headers=headers)
        body = assert_error_shape(response, 401)
        assert "Bearer" in body["message"]
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_answers_401(client, practitioner, clinic):
    token, raw = api_token_create(user=practitioner, clinic=clinic, name="x", actor=None)
    api = ApiClient(client, raw)
    assert api.get(PATIENTS).status_code == 200

    api_token_revoke(token=token, actor=None)

    assert_error_shape(api.get(PATIENTS), 401)


def test_a_token_stops_working_when_the_membership_is_deactivated(api, practitioner, clinic):
    Membership.objects.filter(user=practitioner, clinic=clinic).update(is_active=False)
    assert_error_shape(api.get(PATIENTS), 401)


def test_a_token_stops_working_when_the_user_is_deactivated(api, practitioner):
    practitioner.is_active = False
    practitioner.save()
    assert_error_shape(api.get(PATIENTS), 401)


def test_a_token_stops_working_when_the_clinic_is_deactivated(api, clinic):
    clinic.is_active = False
    clinic.save()
    assert_error_shape(api.get(PATIENTS), 401)


def test_a_token_acts_with_the_role_of_its_membership(client, clinic, receptionist):
    patient = make_patient(clinic)
    api = ApiClient(client, token_for(receptionist, clinic))

    body = assert_error_shape(
        api.post(f"{PATIENTS}/{patient.pk}/archive", {"reason": "moved away"}), 403
    )
    assert "reception" in body["message"]


def test_a_person_at_two_clinics_gets_the_clinic_of_the_token(client, clinic, other_clinic):
    from pistor.testing.factories import MembershipFactory

    user = UserFactory()
    MembershipFactory(user=user, clinic=clinic, role="practitioner")
    MembershipFactory(user=user, clinic=other_clinic, role="practitioner")
    here = make_patient(clinic)
    there = make_patient(other_clinic)

    api = ApiClient(client, token_for(user, other_clinic))

    listed = api.get(PATIENTS).json()
    assert [p["id"] for p in listed["items"]] == [there.pk]
    assert api.get(f"{PATIENTS}/{here.pk}").status_code == 404


def test_a_signed_in_session_can_read_the_api(client, practitioner):
    signed_in_client(client, practitioner)
    assert client.get(PATIENTS).status_code == 200


def test_a_session_write_without_csrf_token_is_refused_and_nothing_stored(practitioner):
    from pistor.patients.models import Patient

    browser = signed_in_client(Client(enforce_csrf_checks=True), practitioner)

    response = browser.post(
        PATIENTS,
        data={"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1985-12-10"},
        content_type="application/json",
    )

    assert_error_shape(response, 403)
    assert Patient.objects.count() == 0


def test_a_wrong_token_is_not_rescued_by_a_session(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.get(PATIENTS, headers={"Authorization": "Bearer nope"})
    assert_error_shape(response, 401)
