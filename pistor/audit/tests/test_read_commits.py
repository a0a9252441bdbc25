"""Which audit events commit without waiting for PostgreSQL's WAL flush (issue 7).

Only an event that records a look, committed on its own, skips the wait; every change's
event commits with its change and waits. These tests run outside a test transaction
(``transaction=True``), as requests do, since only a statement that is its own
transaction may skip the wait.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import signed_in_client
from pistor.audit.events import VIEW_EVENTS, AuditEventType
from pistor.audit.models import AuditEvent, AuditSeal
from pistor.audit.services import audit_record, audit_seal, audit_verify
from pistor.core.rows import model_get, model_insert
from pistor.patients.models import Patient
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

_SKIPS_FLUSH = "set_config('synchronous_commit', 'off', true)"
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _commits_wait_on_this_connection():
    # The test server runs with synchronous_commit off for speed (scripts/test): set it on
    # for this connection, as a production server has it, so that a setting outliving its
    # statement would show.
    if not ON_POSTGRESQL:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")


def _sent(action):
    with CaptureQueriesContext(connection) as captured:
        action()
    return [query["sql"] for query in captured.captured_queries]


def _skipping(statements):
    return [sql for sql in statements if _SKIPS_FLUSH in sql]


def _synchronous_commit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _record(clinic, actor, event_type):
    return audit_record(
        clinic=clinic,
        actor=actor,
        event_type=event_type,
        subject_type="patient",
        subject_id=1,
        after={"what": str(event_type)},
    )


def test_only_an_event_that_records_a_look_commits_without_waiting(clinic, manager):
    # Every event type, each committed on its own: the reads skip the wait on PostgreSQL,
    # every other event waits; SQLite's statements never carry the setting.
    for event_type in AuditEventType:
        statements = _sent(lambda event_type=event_type: _record(clinic, manager, event_type))
        expected = ON_POSTGRESQL and event_type in VIEW_EVENTS
        assert bool(_skipping(statements)) is expected, (event_type, statements)
        if ON_POSTGRESQL:
            # Set for the one statement's transaction; the connection's next ones wait.
            assert _synchronous_commit() == "on", event_type
    assert AuditEvent.objects.count() == len(AuditEventType)


def test_inside_a_transaction_a_read_event_waits_like_the_writes_around_it(clinic, manager):
    with transaction.atomic():
        statements = _sent(lambda: _record(clinic, manager, AuditEventType.PATIENT_VIEWED))
        opened = AuditEvent(
            clinic_id=clinic.pk,
            event_type=AuditEventType.PATIENT_VIEWED,
            occurred_at=timezone.now(),
        )
        statements += _sent(lambda: model_insert(opened, waits_for_flush=False))
        if ON_POSTGRESQL:
            assert _synchronous_commit() == "on"
    assert _skipping(statements) == []
    assert AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_VIEWED).count() == 2


def test_the_setting_makes_read_events_wait_too(clinic, manager, settings):
    settings.AUDIT_READS_WAIT_FOR_FLUSH = True
    for event_type in VIEW_EVENTS:
        statements = _sent(lambda event_type=event_type: _record(clinic, manager, event_type))
        assert _skipping(statements) == [], event_type
    assert AuditEvent.objects.count() == len(VIEW_EVENTS)


def test_a_read_that_writes_its_record_skips_the_wait_and_still_finds_and_writes(clinic, manager):
    patient = PatientFactory.create(clinic=clinic)
    opened = AuditEvent(
        clinic_id=clinic.pk,
        actor=manager,
        event_type=AuditEventType.PATIENT_VIEWED,
        subject_type="patient",
        subject_id=str(patient.pk),
        occurred_at=timezone.now(),
    )
    found = []
    statements = _sent(
        lambda: found.append(
            model_get(
                Patient,
                "r.id = %(patient)s AND r.clinic_id = %(clinic)s",
                {"patient": patient.pk, "clinic": clinic.pk},
                annotations={"its_name": "r.family_name"},
                insert=opened,
                insert_waits_for_flush=False,
            )
        )
    )
    read = found[0]
    assert read is not None and read.pk == patient.pk
    assert read.its_name == patient.family_name  # type: ignore[attr-defined]
    assert AuditEvent.objects.get(pk=opened.pk).subject_id == str(patient.pk)
    assert len(_skipping(statements)) == (1 if ON_POSTGRESQL else 0)
    if ON_POSTGRESQL:
        assert _synchronous_commit() == "on"


def test_the_record_page_commits_its_opening_without_waiting_and_the_seal_holds(
    client, clinic, practitioner
):
    patient = PatientFactory.create(clinic=clinic)
    staff = signed_in_client(client, practitioner)
    url = reverse("patients:detail", args=[patient.pk])
    statements = _sent(lambda: staff.get(url))
    opened = AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_VIEWED, subject_id=str(patient.pk)
    )
    assert opened.count() == 1
    # On PostgreSQL the statement that reads the patient writes the event and skips the
    # wait; no other statement of the page does.
    skipping = _skipping(statements)
    assert len(skipping) == (1 if ON_POSTGRESQL else 0), statements
    assert all("patients_patient" in sql and "audit_auditevent" in sql for sql in skipping)
    if ON_POSTGRESQL:
        assert _synchronous_commit() == "on"
    # Sealed after the commit like any other event (the tests' task backend runs the seal
    # at once); the sealer's own commit waits for the flush.
    audit_seal()
    assert AuditSeal.objects.filter(event_id=opened.get().pk).exists()
    assert audit_verify() == []
