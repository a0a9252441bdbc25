"""The database itself refuses to change or delete audit rows (PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from pistor.audit.guard import audit_guard
from pistor.audit.models import AuditEvent, AuditSeal
from pistor.audit.services import audit_record, audit_seal

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed_event(clinic, manager):
    event = audit_record(clinic=clinic, actor=manager, event_type="patient.viewed")
    audit_seal()
    return event


@pytest.mark.parametrize(
    "change",
    [
        lambda e: AuditEvent.objects.filter(pk=e.pk).update(actor_label="someone@else.org"),
        lambda e: AuditEvent.objects.filter(pk=e.pk).delete(),
        lambda e: AuditSeal.objects.filter(event_id=e.pk).update(mac="f" * 64),
        lambda e: AuditSeal.objects.filter(event_id=e.pk).delete(),
    ],
    ids=["update-event", "delete-event", "update-seal", "delete-seal"],
)
def test_the_database_refuses(change, sealed_event):
    with audit_guard(True), pytest.raises(DatabaseError), transaction.atomic():
        change(sealed_event)
    assert AuditEvent.objects.filter(pk=sealed_event.pk, actor_label__contains="@").exists()
    assert AuditSeal.objects.filter(event_id=sealed_event.pk).exclude(mac="f" * 64).exists()


def test_appending_still_works_with_the_guard_on(clinic, manager):
    with audit_guard(True):
        audit_record(clinic=clinic, actor=manager, event_type="patient.viewed")
        assert audit_seal().sealed == 1
