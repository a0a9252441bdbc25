"""Two record openings never wait for each other (real connections, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from pistor.audit.events import AuditEventType
from pistor.audit.models import AuditEvent
from pistor.audit.services import audit_record, audit_seal, audit_verify

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has one database-wide write lock; the no-lock proof there is "
        "test_appending_is_one_insert_with_no_lock",
    ),
]


def test_an_opening_does_not_wait_for_another_still_in_its_transaction(clinic, manager):
    first_written = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                audit_record(clinic=clinic, actor=manager, event_type=AuditEventType.PATIENT_VIEWED)
                first_written.set()
                # Hold the transaction open until the other opening has committed.
                assert second_done.wait(10), "the second opening waited for the first"
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_written.wait(10)
            with connection.cursor() as cursor:
                # Waiting on any lock at all would fail this opening, not hang it.
                cursor.execute("SET lock_timeout = '2s'")
            with transaction.atomic():
                audit_record(clinic=clinic, actor=manager, event_type=AuditEventType.PATIENT_VIEWED)
            second_done.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert errors == []
    assert AuditEvent.objects.filter(clinic=clinic).count() == 2
    audit_seal()
    assert audit_verify() == []
