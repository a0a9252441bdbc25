from __future__ import annotations

import pytest
from django.db import connection

from pistor.audit.models import AuditChain, AuditEvent
from pistor.audit.services import audit_record, audit_verify, compute_hash
from pistor.core.context import reset_request_id, set_request_id

pytestmark = pytest.mark.django_db


def record(clinic, actor, n=1, event_type="patient.updated"):
    return [
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=event_type,
            subject_type="patient",
            subject_id=i,
            before={"phone": "07700 900000"},
            after={"phone": f"07700 90000{i}", "name": "Zoë"},
        )
        for i in range(1, n + 1)
    ]


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_events_form_a_chain_per_clinic(clinic, other_clinic, manager):
    first, second = record(clinic, manager, 2)
    (elsewhere,) = record(other_clinic, None, 1)
    global_event = audit_record(clinic=None, actor=None, event_type="system.started")

    assert (first.sequence, second.sequence, elsewhere.sequence, global_event.sequence) == (
        1,
        2,
        1,
        1,
    )
    assert second.previous_hash == first.hash
    assert elsewhere.previous_hash == "0" * 64
    assert first.actor_label == manager.email
    assert elsewhere.actor is None


def test_the_stored_row_still_matches_its_hash(clinic, manager):
    (event,) = record(clinic, manager)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert compute_hash(stored) == stored.hash
    assert stored.after == {"phone": "07700 900001", "name": "Zoë"}


def test_events_carry_the_request_id(clinic, manager):
    token = set_request_id("req-1234567890")
    try:
        (event,) = record(clinic, manager)
    finally:
        reset_request_id(token)
    assert event.request_id == "req-1234567890"
    (outside,) = record(clinic, manager)
    assert outside.request_id.startswith("cli-")


def test_verify_passes_on_untouched_data(clinic, other_clinic, manager):
    record(clinic, manager, 5)
    record(other_clinic, None, 3)
    audit_record(clinic=None, actor=None, event_type="system.started")
    assert audit_verify() == []


def test_verify_reports_a_row_edited_with_raw_sql(clinic, manager):
    events = record(clinic, manager, 4)
    edited = events[1]
    raw(
        'UPDATE audit_auditevent SET "after" = %s WHERE id = %s',
        ['{"phone": "01234 567890", "name": "Zoë"}', edited.pk],
    )

    problems = audit_verify()

    assert [(p.clinic_id, p.sequence, p.event_id) for p in problems] == [
        (clinic.pk, edited.sequence, edited.pk)
    ]
    assert "edited" in str(problems[0])
    assert f"sequence {edited.sequence}" in str(problems[0])


def test_verify_reports_an_edit_that_also_rewrote_the_hash(clinic, manager):
    events = record(clinic, manager, 3)
    raw(
        "UPDATE audit_auditevent SET actor_label = %s, hash = %s WHERE id = %s",
        ["someone@else.org", "f" * 64, events[0].pk],
    )

    problems = {(p.sequence, p.event_id) for p in audit_verify()}

    assert (1, events[0].pk) in problems  # its content no longer matches
    assert (2, events[1].pk) in problems  # the next event's link no longer holds


def test_verify_reports_a_deleted_row(clinic, manager):
    events = record(clinic, manager, 4)
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    problems = audit_verify()

    assert [(p.clinic_id, p.sequence) for p in problems] == [(clinic.pk, 2)]
    assert "missing" in str(problems[0])
    assert f"event id {events[2].pk}" in str(problems[0])


def test_verify_reports_deleted_newest_events(clinic, manager):
    events = record(clinic, manager, 3)
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])

    problems = audit_verify()

    assert [(p.clinic_id, p.sequence) for p in problems] == [(clinic.pk, 3)]
    assert "newest" in str(problems[0])


def test_verify_reports_a_deleted_chain_head(clinic, manager):
    record(clinic, manager, 2)
    AuditChain.objects.filter(key=f"clinic:{clinic.pk}").delete()

    problems = audit_verify()

    assert [(p.clinic_id, p.event_id) for p in problems] == [(clinic.pk, None)]
    assert "unverified" in str(problems[0])


def test_an_event_rolls_back_with_the_change_it_records(clinic, manager):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        record(clinic, manager)
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == 0
    record(clinic, manager)
    assert audit_verify() == []
