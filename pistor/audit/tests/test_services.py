from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from pistor.audit.anchor import seal_mac
from pistor.audit.events import AuditEventType
from pistor.audit.models import AuditChain, AuditEvent, AuditSeal
from pistor.audit.services import (
    audit_record,
    audit_seal,
    audit_verify,
    audit_verify_report,
    event_digest,
)
from pistor.audit.tests.conftest import intruder, raw
from pistor.core.context import reset_request_id, set_request_id

pytestmark = pytest.mark.django_db


def record(clinic, actor, n=1, event_type=AuditEventType.PATIENT_UPDATED):
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


def seal_of(event):
    return AuditSeal.objects.get(event_id=event.pk)


def test_appending_is_one_insert_with_no_lock(clinic, manager, django_assert_max_num_queries):
    # The record opening's cost: exactly its INSERT; no SELECT ... FOR UPDATE of a chain
    # row, so two openings have nothing to wait for.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        record(clinic, manager)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1
    assert sql[0].startswith("INSERT INTO")
    assert "FOR UPDATE" not in " ".join(sql)


def test_sealing_links_events_into_a_chain_per_clinic(clinic, other_clinic, manager):
    first, second = record(clinic, manager, 2)
    (elsewhere,) = record(other_clinic, None, 1)
    global_event = audit_record(clinic=None, actor=None, event_type=AuditEventType.SYSTEM_STARTED)

    result = audit_seal()

    assert result.sealed == 4
    seals = {e.pk: seal_of(e) for e in (first, second, elsewhere, global_event)}
    assert [seals[e.pk].position for e in (first, second, elsewhere, global_event)] == [1, 2, 1, 1]
    assert seals[second.pk].previous_mac == seals[first.pk].mac
    assert seals[elsewhere.pk].chain == f"clinic:{other_clinic.pk}"
    assert seals[global_event.pk].chain == "global"
    assert first.actor_label == manager.email
    assert audit_seal().sealed == 0  # nothing left to seal
    assert audit_verify() == []


def test_seal_writes_a_signed_checkpoint_of_every_head(clinic, manager, checkpoint_file):
    record(clinic, manager, 3)
    audit_seal()
    (line,) = checkpoint_file.read_text().splitlines()
    document = json.loads(line)
    head = AuditChain.objects.get(key=f"clinic:{clinic.pk}")
    assert document["chains"][f"clinic:{clinic.pk}"] == [3, head.last_mac]
    assert len(document["sig"]) == 64


def test_events_carry_the_request_id_and_the_enum_stays_a_string(clinic, manager):
    token = set_request_id("req-1234567890")
    try:
        (event,) = record(clinic, manager)
    finally:
        reset_request_id(token)
    assert event.request_id == "req-1234567890"
    (outside,) = record(clinic, manager)
    assert outside.request_id.startswith("cli-")
    assert AuditEvent.objects.filter(event_type="patient.updated").count() == 2
    assert AuditEventType.PATIENT_UPDATED == "patient.updated"


def test_unsealed_events_are_reported_as_such_not_as_tampering(clinic, manager):
    record(clinic, manager, 2)
    audit_seal()
    record(clinic, manager, 3)

    report = audit_verify_report()

    assert report.ok
    assert (report.sealed, report.unsealed) == (2, 3)
    assert any("3 event(s) are not sealed yet" in n for n in report.notices)


def test_an_event_rolls_back_with_the_change_it_records(clinic, manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(clinic, manager)
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == 0
    record(clinic, manager)
    audit_seal()
    assert audit_verify() == []


def test_a_late_committing_event_with_a_lower_id_is_still_sealed(clinic, manager, settings):
    settings.AUDIT_SEAL_GRACE_SECONDS = 0  # the floor advances on every run
    early, late = record(clinic, manager, 2)
    # Pretend the earlier id's transaction had not committed when the sealer first ran.
    with intruder():
        raw("DELETE FROM audit_auditevent WHERE id = %s", [early.pk])
    audit_seal()
    audit_seal()
    early.save(force_insert=True)  # it commits now, below the sealer's newest id
    audit_seal()
    assert audit_verify_report().unsealed == 1  # beyond the grace period: only a full seal
    audit_seal(full=True)
    report = audit_verify_report()
    assert report.ok and report.unsealed == 0
    assert seal_of(early).position == 2  # sealed after the later event


def test_verify_passes_on_untouched_data(clinic, other_clinic, manager):
    record(clinic, manager, 5)
    record(other_clinic, None, 3)
    audit_record(clinic=None, actor=None, event_type=AuditEventType.SYSTEM_STARTED)
    audit_seal()
    report = audit_verify_report()
    assert report.ok and report.sealed == 9 and report.notices == []


# --- tampering by someone with database access (and without the key) -------------------


def test_an_edited_event_is_named(clinic, manager):
    events = record(clinic, manager, 4)
    audit_seal()
    edited = events[1]
    with intruder():
        raw(
            'UPDATE audit_auditevent SET "after" = %s WHERE id = %s',
            ['{"phone": "01234 567890", "name": "Zoë"}', edited.pk],
        )

    problems = audit_verify()

    assert [(p.clinic_id, p.position, p.event_id) for p in problems] == [(clinic.pk, 2, edited.pk)]
    assert "content was altered after it was sealed" in str(problems[0])
    assert "position 2" in str(problems[0])


def test_edited_and_rehashed_events_are_named_from_the_first(clinic, manager):
    events = record(clinic, manager, 4)
    audit_seal()
    # The intruder edits event 2 and rewrites its seal and every later one with plain
    # SHA-256 (the best they can do without the key), so the links still join up.
    with intruder():
        raw("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["x@y.org", events[1].pk])
        previous = seal_of(events[0]).mac
        for event in events[1:]:
            event.refresh_from_db()
            seal = seal_of(event)
            digest = event_digest(event)
            import hashlib

            mac = hashlib.sha256(f"{previous}{digest}".encode()).hexdigest()
            raw(
                "UPDATE audit_auditseal SET event_digest = %s, previous_mac = %s, mac = %s "
                "WHERE id = %s",
                [digest, previous, mac, seal.pk],
            )
            previous = mac

    problems = audit_verify()

    first = problems[0]
    assert (first.position, first.event_id) == (2, events[1].pk)
    assert "altered and re-hashed without the key" in first.problem
    assert {p.position for p in problems} == {2, 3, 4}


def test_a_forged_appended_event_is_named_as_forged(clinic, manager):
    record(clinic, manager, 3)
    audit_seal()
    head = AuditChain.objects.get(key=f"clinic:{clinic.pk}")
    with intruder():
        forged = AuditEvent.objects.create(
            clinic=clinic,
            event_type=AuditEventType.PATIENT_VIEWED,
            subject_type="patient",
            subject_id="1",
            occurred_at=AuditEvent.objects.latest("id").occurred_at,
        )
        import hashlib

        digest = event_digest(forged)
        AuditSeal.objects.create(
            chain=head.key,
            position=4,
            event_id=forged.pk,
            event_digest=digest,
            previous_mac=head.last_mac,
            mac=hashlib.sha256(f"{head.last_mac}{digest}".encode()).hexdigest(),
            sealed_at=forged.occurred_at,
        )

    problems = audit_verify()

    assert [(p.position, p.event_id) for p in problems] == [(4, forged.pk)]
    assert "appended after the latest checkpoint" in problems[0].problem
    assert "forged" in problems[0].problem


def test_deleted_newest_events_are_named(clinic, manager):
    events = record(clinic, manager, 5)
    audit_seal()
    with intruder():
        for event in events[3:]:
            raw("DELETE FROM audit_auditseal WHERE event_id = %s", [event.pk])
            raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        raw(
            "UPDATE audit_auditchain SET last_position = 3, last_mac = %s WHERE key = %s",
            [seal_of(events[2]).mac, f"clinic:{clinic.pk}"],
        )

    problems = audit_verify()

    assert [(p.clinic_id, p.position) for p in problems] == [(clinic.pk, 4)]
    assert "newest events are missing: positions 4..5" in problems[0].problem


def test_a_deleted_event_in_the_middle_is_named(clinic, manager):
    events = record(clinic, manager, 4)
    audit_seal()
    with intruder():
        raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    problems = audit_verify()

    assert [(p.position, p.event_id) for p in problems] == [(2, events[1].pk)]
    assert "missing (deleted)" in problems[0].problem


def test_a_deleted_event_and_its_seal_are_named(clinic, manager):
    events = record(clinic, manager, 4)
    audit_seal()
    with intruder():
        raw("DELETE FROM audit_auditseal WHERE event_id = %s", [events[1].pk])
        raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    problems = audit_verify()

    assert problems[0].position == 2
    assert "positions 2..2 are missing" in problems[0].problem
    assert f"before event id {events[2].pk}" in problems[0].problem


def test_a_clinics_whole_chain_deleted_is_named(clinic, other_clinic, manager):
    record(clinic, manager, 3)
    record(other_clinic, None, 2)
    audit_seal()
    with intruder():
        raw("DELETE FROM audit_auditseal WHERE chain = %s", [f"clinic:{clinic.pk}"])
        raw("DELETE FROM audit_auditevent WHERE clinic_id = %s", [clinic.pk])
        raw("DELETE FROM audit_auditchain WHERE key = %s", [f"clinic:{clinic.pk}"])

    problems = audit_verify()

    assert [(p.clinic_id, p.position, p.event_id) for p in problems] == [(clinic.pk, 1, None)]
    assert "whole chain is missing" in problems[0].problem
    assert "records 3 sealed event(s)" in problems[0].problem


def test_a_tampered_checkpoint_line_is_reported(clinic, manager, checkpoint_file):
    record(clinic, manager, 2)
    audit_seal()
    line = json.loads(checkpoint_file.read_text())
    line["chains"][f"clinic:{clinic.pk}"][0] = 1
    checkpoint_file.write_text(json.dumps(line) + "\n")

    problems = audit_verify()

    assert "no checkpoint verifies with this audit key" in problems[0].problem
    assert [p.problem for p in problems[1:]] == [
        f"checkpoint line 1 of {checkpoint_file} does not verify with the audit key "
        "(altered, or the key is not the one that signed it)"
    ]


def test_a_different_key_verifies_nothing(clinic, manager, settings):
    record(clinic, manager, 2)
    audit_seal()
    settings.AUDIT_KEY = "another-key"
    problems = audit_verify()
    assert "no checkpoint verifies with this audit key" in problems[0].problem
    assert "is not the key this trail was sealed with" in problems[0].problem
    assert all("does not verify with the audit key" in p.problem for p in problems[1:])


def test_mac_depends_on_the_key(settings):
    mac = seal_mac(chain="global", position=1, event_id=1, digest="a" * 64, previous="0" * 64)
    settings.AUDIT_KEY = "other"
    assert mac != seal_mac(
        chain="global", position=1, event_id=1, digest="a" * 64, previous="0" * 64
    )


def test_a_commit_asks_the_task_backend_for_one_seal(
    clinic, manager, django_capture_on_commit_callbacks, checkpoint_file
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        record(clinic, manager, 3)  # three events, one seal request
    assert len(callbacks) == 1
    report = audit_verify_report()
    assert (report.sealed, report.unsealed) == (3, 0)  # ImmediateBackend in tests
    assert checkpoint_file.exists()


def test_a_rolled_back_write_asks_for_no_seal(clinic, manager, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record(clinic, manager)
        raise RuntimeError
    assert callbacks == []


def test_the_sealer_will_not_sign_over_deleted_newest_events(clinic, manager):
    events = record(clinic, manager, 4)
    audit_seal()
    with intruder():
        raw("DELETE FROM audit_auditseal WHERE event_id = %s", [events[3].pk])
        raw("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
        raw(
            "UPDATE audit_auditchain SET last_position = 3, last_mac = %s WHERE key = %s",
            [seal_of(events[2]).mac, f"clinic:{clinic.pk}"],
        )
    record(clinic, manager, 2)  # the clinic carries on working

    result = audit_seal()

    assert result.sealed == 0 and result.refused == {f"clinic:{clinic.pk}"}
    report = audit_verify_report()
    assert [p.position for p in report.problems] == [4]
    assert "newest events are missing" in report.problems[0].problem
    assert report.unsealed == 2


def test_a_deleted_chain_stays_in_later_checkpoints(clinic, other_clinic, manager):
    record(clinic, manager, 3)
    audit_seal()
    with intruder():
        raw("DELETE FROM audit_auditseal WHERE chain = %s", [f"clinic:{clinic.pk}"])
        raw("DELETE FROM audit_auditevent WHERE clinic_id = %s", [clinic.pk])
        raw("DELETE FROM audit_auditchain WHERE key = %s", [f"clinic:{clinic.pk}"])
    record(other_clinic, None, 2)
    record(clinic, manager, 1)

    result = audit_seal()  # seals the other clinic, writes a new checkpoint

    assert result.sealed == 2 and result.refused == {f"clinic:{clinic.pk}"}
    problems = audit_verify()
    assert [(p.clinic_id, p.position) for p in problems] == [(clinic.pk, 1)]
    assert "whole chain is missing" in problems[0].problem


def test_an_event_type_missing_from_the_one_list_is_refused(clinic):
    from pistor.audit.models import AuditEvent

    with pytest.raises(ValueError):
        audit_record(clinic=clinic, actor=None, event_type="patient.peeked")
    assert not AuditEvent.objects.filter(event_type="patient.peeked").exists()


def test_every_index_of_the_trail_starts_with_the_clinic():
    # Each index is written by every audited action, and the trail is only read per clinic:
    # an index that does not start with the clinic is paid for on every record opening and
    # serves no page.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)
    indexes = {
        name: found["columns"]
        for name, found in constraints.items()
        if found["index"] and not found["primary_key"]
    }
    assert len(indexes) == 5, indexes
    assert all(columns[0] == "clinic_id" for columns in indexes.values()), indexes
