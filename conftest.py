"""Shared pytest fixtures: clinics, staff of each role, signed-in clients."""

from __future__ import annotations

import pytest

from pistor.testing.factories import ClinicFactory, MembershipFactory, UserFactory


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Harbour Skin Clinic")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Hillside Aesthetics")


def _staff(clinic, role):
    user = UserFactory()
    MembershipFactory(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture
def practitioner(clinic):
    return _staff(clinic, "practitioner")


@pytest.fixture
def nurse(clinic):
    return _staff(clinic, "nurse")


@pytest.fixture
def receptionist(clinic):
    return _staff(clinic, "reception")


@pytest.fixture
def manager(clinic):
    return _staff(clinic, "manager")


@pytest.fixture
def other_clinic_user(other_clinic):
    return _staff(other_clinic, "manager")


def signed_in_client(client, user, *, verified: bool = True):
    """A test client signed in as ``user`` (second factor counted as passed if ``verified``)."""
    client.force_login(user)
    if verified:
        session = client.session
        session["pistor_otp_verified"] = True
        session.save()
    return client
