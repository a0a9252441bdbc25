"""Shared pytest fixtures: clinics, staff of each role, signed-in clients."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from pistor.testing.factories import ClinicFactory, MembershipFactory, UserFactory

pytest_plugins = ["pistor.testing.fuzz"]
pytest_plugins += ["pistor.testing.pathway"]  # moving_clock
pytest_plugins += ["pistor.testing.threads"]  # threads_share_a_file_database
pytest_plugins += ["pistor.testing.audited"]  # every request's changes audited (PostgreSQL)


@pytest.fixture(scope="session", autouse=True)
def _scratch_directories_removed():
    # settings.py gives each test process scratch directories of its own (audit
    # checkpoints, photographs); removed at the end so runs do not pile them up in /tmp.
    yield
    from django.conf import settings
    from django.core.files.storage import storages

    scratch = Path(tempfile.gettempdir())
    photos = str(getattr(storages["photos"], "location", ""))  # a bucket has none
    for path in (Path(settings.AUDIT_CHECKPOINT_FILE).parent, Path(photos)):
        if path.parent == scratch and path.name.startswith("pistor-test-"):
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _own_audit_checkpoint_file(tmp_path, settings):
    # The database is rolled back after each test; a checkpoint file shared between tests
    # would remember chains that no longer exist and fail the next `audit verify`.
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


@pytest.fixture(autouse=True)
def _fresh_record_panels():
    # Rolled-back tests reuse primary keys on SQLite: a panel kept by an earlier test
    # could match a later one's rows made at a frozen time.
    from django.core.cache import caches

    caches["record_panels"].clear()


@pytest.fixture
def record_panels_drawn(settings):
    """The record page's panels drawn on every opening, never kept: for query caps, which
    measure a page's cold path at two sizes of data."""
    settings.CACHES = {
        **settings.CACHES,
        "record_panels": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }


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
    """A test client signed in as ``user``.

    With ``verified`` the second factor counts as passed exactly as the sign-in pages leave
    it: the user has a confirmed authenticator and the session names it (django-otp's
    ``otp_device_id``), which is what ``pistor.accounts.access`` checks. Without it, the
    session has only passed the password step: practitioners and managers are then sent to
    set up or enter a code before reaching any staff page.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test authenticator")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
