"""The signed-in request's fixed cost: what every staff page pays before its own work."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import signed_in_client
from pistor.accounts.middleware import LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from pistor.audit.models import AuditEvent
from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.factories import ClinicFactory, MembershipFactory
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db

# Anywhere in a statement: on PostgreSQL the record's audit event is written by a WITH
# clause of the statement that reads the patient.
_WRITE = re.compile(
    r'\b(?:INSERT\s+INTO|REPLACE\s+INTO|DELETE\s+FROM|UPDATE)\s+"?(\w+)"?\s*(?:\(|SET\b|VALUES\b|WHERE\b|$)',
    re.IGNORECASE,
)


def _written_tables(statements: list[str]) -> list[str]:
    return [match.group(1).lower() for sql in statements for match in _WRITE.finditer(sql)]


def _run(action):
    with CaptureQueriesContext(connection) as captured:
        response = action()
    return response, [q["sql"] for q in captured.captured_queries]


@pytest.fixture
def staff_client(client, practitioner):
    return signed_in_client(client, practitioner)


def test_a_signed_in_page_costs_two_queries_before_its_own(staff_client):
    # The home page does no work of its own: what it costs is the floor every page pays
    # (the session row; the user row with their membership and second factor's state).
    staff_client.get("/")  # the first request may stamp the session's start
    response, statements = _run(lambda: staff_client.get("/"))
    assert response.status_code == 200
    assert len(statements) == 2, statements
    assert "django_session" in statements[0]
    assert "accounts_user" in statements[1] and "clinics_membership" in statements[1]
    assert _written_tables(statements) == []


def test_a_kept_record_opening_is_three_statements_on_postgresql_four_on_sqlite(
    staff_client, clinic
):
    # Session; user with staff context; patient with the panels' versions and, on
    # PostgreSQL, the audit event written in the same statement; on SQLite the event next.
    patient = PatientFactory.create(clinic=clinic)
    url = reverse("patients:detail", args=[patient.pk])
    staff_client.get(url)
    response, statements = _run(lambda: staff_client.get(url))
    assert response.status_code == 200
    assert len(statements) == (3 if connection.vendor == "postgresql" else 4), statements
    assert "patients_patient" in statements[2] and "treatments_treatmentsession" in statements[2]
    assert _written_tables(statements) == ["audit_auditevent"]


# --- who the session signs in: Django's checks, kept by the one-statement sign-in ---------


def _home(client):
    return client.get("/")


def test_a_session_from_before_a_password_change_is_signed_out(staff_client, practitioner):
    assert _home(staff_client).status_code == 200
    practitioner.set_password("A-new-long-passphrase-42")
    practitioner.save(update_fields=["password"])
    response = _home(staff_client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in staff_client.session  # flushed, not just ignored


def test_a_session_signed_under_a_retired_secret_key_carries_on_under_the_new_one(
    staff_client, settings
):
    old_key = staff_client.cookies["sessionid"].value
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40
    assert _home(staff_client).status_code == 200
    # Moved to the current key: a new session id, its hash the current key's.
    assert staff_client.cookies["sessionid"].value != old_key
    settings.SECRET_KEY_FALLBACKS = []
    assert _home(staff_client).status_code == 200


def test_a_deactivated_persons_session_no_longer_signs_them_in(staff_client, practitioner):
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])
    assert _home(staff_client).status_code == 302


@pytest.mark.parametrize("user_id", ["not-a-number", "0", str(2**70), None])
def test_a_session_naming_no_possible_user_signs_no_one_in(staff_client, user_id):
    session = staff_client.session
    session["_auth_user_id"] = user_id
    session.save()
    assert _home(staff_client).status_code == 302


def test_a_session_of_a_backend_no_longer_configured_signs_no_one_in(staff_client, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert _home(staff_client).status_code == 302


def test_a_session_of_another_backend_is_signed_in_djangos_way(staff_client, settings):
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "django.contrib.auth.backends.ModelBackend",
    ]
    session = staff_client.session
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    response, statements = _run(lambda: _home(staff_client))
    assert response.status_code == 200
    # The user's row, then the staff context on its own: one statement more than ours.
    assert len(statements) == 3, statements


def test_the_record_page_writes_nothing_but_its_audit_event(staff_client, clinic):
    patient = PatientFactory.create(clinic=clinic)
    url = reverse("patients:detail", args=[patient.pk])
    staff_client.get(url)
    before = AuditEvent.objects.filter(event_type="patient.viewed").count()

    response, statements = _run(lambda: staff_client.get(url))

    assert response.status_code == 200
    written = _written_tables(statements)
    assert written, "the view itself must be audited"
    assert set(written) <= {"audit_auditevent", "audit_auditchain"}, written
    assert "django_session" not in written
    assert AuditEvent.objects.filter(event_type="patient.viewed").count() == before + 1


def test_the_record_page_query_count_is_the_same_at_10_and_10000_patients(staff_client, clinic):
    patient = PatientFactory.create(clinic=clinic)
    url = reverse("patients:detail", args=[patient.pk])
    staff_client.get(url)
    assert_query_cap(
        lambda: staff_client.get(url),
        grow=lambda n: _grow(clinic, n),
        sizes=(10, 10_000),
        cap=12,
        check=lambda response: response.status_code == 200,
    )


def _grow(clinic, count):
    from pistor.patients.models import Patient
    from pistor.patients.services import refresh_search_text

    start = Patient.objects.count()
    rows = []
    for i in range(start, start + count):
        patient = Patient(
            clinic=clinic,
            record_number=f"G-{i:06d}",
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            date_of_birth="1980-01-01",
            sex="female",
        )
        refresh_search_text(patient)
        rows.append(patient)
    Patient.objects.bulk_create(rows, batch_size=1000)


def test_last_seen_is_refreshed_at_most_once_a_minute(staff_client):
    session = staff_client.session
    stamp = int(time.time()) - 30
    session[LAST_SEEN_KEY] = stamp
    session.save()
    staff_client.get("/")
    assert staff_client.session[LAST_SEEN_KEY] == stamp  # not rewritten within the minute

    session = staff_client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 90
    session.save()
    _, statements = _run(lambda: staff_client.get("/"))
    assert "django_session" in _written_tables(statements)
    assert staff_client.session[LAST_SEEN_KEY] >= int(time.time()) - 2


def test_the_maximum_session_lifetime_is_absolute_not_sliding(staff_client):
    # Busy all day: seen a moment ago, but signed in longer ago than the maximum.
    session = staff_client.session
    now = int(time.time())
    session[SIGNED_IN_AT_KEY] = now - settings.SESSION_COOKIE_AGE - 5
    session[LAST_SEEN_KEY] = now - 5
    session.save()

    response = staff_client.get("/", follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in staff_client.session
    assert "reached its time limit" in response.content.decode()


def test_a_session_within_its_lifetime_carries_on(staff_client):
    session = staff_client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - settings.SESSION_COOKIE_AGE + 120
    session.save()
    assert staff_client.get("/").status_code == 200


def test_switch_clinic_appears_only_for_people_with_several_clinics(
    staff_client, practitioner, clinic
):
    assert 'id="switch-clinic"' not in staff_client.get("/").content.decode()
    MembershipFactory(user=practitioner, clinic=ClinicFactory(name="Second"), role="nurse")
    session = staff_client.session
    session[CURRENT_CLINIC_SESSION_KEY] = clinic.pk
    session.save()
    page = staff_client.get("/").content.decode()
    assert 'id="switch-clinic"' in page
    assert 'id="current-clinic">Harbour Skin Clinic<' in page  # the chosen one stays


def test_a_session_naming_someone_elses_device_is_not_verified(client, practitioner, nurse, clinic):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    other = TOTPDevice.objects.create(user=nurse, name="Nurse's phone")
    client.force_login(practitioner)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:setup_2fa"))
    assert DEVICE_ID_SESSION_KEY not in client.session
