from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from pistor.audit.models import AuditEvent
from pistor.core.errors import Conflict, ValidationFailed
from pistor.patients.models import Patient, PatientNumberSequence
from pistor.patients.services import (
    patient_archive,
    patient_create,
    patient_restore,
    patient_update,
)
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

VALID: dict[str, Any] = {
    "given_name": "José",
    "family_name": "Martín",
    "date_of_birth": dt.date(1985, 3, 2),
    "sex": "male",
    "phone": "+44 (0)7700-900123",
}


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("pk"))


def test_create_gives_clinic_numbers_in_order_and_audits(clinic, other_clinic, practitioner):
    first = patient_create(clinic=clinic, actor=practitioner, **VALID)
    second = patient_create(clinic=clinic, actor=practitioner, confirm_not_duplicate=True, **VALID)
    elsewhere = patient_create(clinic=other_clinic, actor=None, **VALID)

    assert (first.record_number, second.record_number) == ("P-000001", "P-000002")
    assert elsewhere.record_number == "P-000001"  # each clinic counts on its own
    created = events("patient.created")
    assert [e.subject_id for e in created] == [str(first.pk), str(second.pk), str(elsewhere.pk)]
    assert created[0].actor == practitioner
    assert created[0].clinic == clinic
    after = created[0].after or {}
    assert after["family_name"] == "Martín"
    assert after["date_of_birth"] == "1985-03-02"


def test_create_fills_a_normalised_search_column(clinic, practitioner):
    patient = patient_create(clinic=clinic, actor=practitioner, **VALID, email="Jose@Example.org")
    assert "jose" in patient.search_text
    assert "martin" in patient.search_text
    assert "p000001" in patient.search_text  # punctuation is dropped on both sides
    assert "4407700900123" in patient.search_text
    assert "joseexampleorg" in patient.search_text


def test_create_accepts_a_typed_date_string(clinic, practitioner):
    patient = patient_create(
        clinic=clinic, actor=practitioner, **{**VALID, "date_of_birth": "1990-12-31"}
    )
    patient.refresh_from_db()
    assert patient.date_of_birth == dt.date(1990, 12, 31)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("date_of_birth", timezone.localdate() + dt.timedelta(days=1), "future"),
        ("date_of_birth", dt.date(1850, 1, 1), "older than"),
        ("phone", "call me maybe", "digits"),
        ("phone", "12345", "6 to 20 digits"),
        ("phone", "1" * 21, "6 to 20 digits"),
        ("emergency_contact_phone", "0770x", "digits"),
        ("sex", "robot", "not a valid choice"),
        ("fitzpatrick_type", 7, "not a valid choice"),
        ("email", "not-an-email", "valid email"),
        ("given_name", "  ", "cannot be blank"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_stored(
    clinic, practitioner, field, value, expected
):
    with pytest.raises(ValidationFailed) as caught:
        patient_create(clinic=clinic, actor=practitioner, **{**VALID, field: value})

    assert list(caught.value.fields) == [field]
    assert expected.lower() in " ".join(caught.value.fields[field]).lower()
    assert caught.value.status == 422
    assert Patient.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    # The refused registration did not use up a record number.
    assert not PatientNumberSequence.objects.filter(clinic=clinic, last_number__gt=0).exists()


def test_missing_date_of_birth_says_it_is_required(clinic, practitioner):
    data = {k: v for k, v in VALID.items() if k != "date_of_birth"}
    with pytest.raises(ValidationFailed) as caught:
        patient_create(clinic=clinic, actor=practitioner, **data)
    assert caught.value.fields == {"date_of_birth": ["This field is required."]}


def test_fields_the_services_maintain_cannot_be_set(clinic, practitioner):
    with pytest.raises(ValidationFailed) as caught:
        patient_create(clinic=clinic, actor=practitioner, **VALID, record_number="P-999999")
    assert "record_number" in caught.value.fields
    assert Patient.objects.count() == 0


def test_update_audits_before_and_after_of_changed_fields_only(clinic, practitioner):
    patient = patient_create(clinic=clinic, actor=practitioner, **VALID)
    saved = patient_update(
        patient=patient,
        actor=practitioner,
        phone="07700 900999",
        given_name="José",
        gp_name="Dr Ward",
    )

    assert saved.phone == "07700 900999"
    assert "07700900999" in saved.search_text
    (event,) = events("patient.updated")
    assert event.before == {"phone": "+44 (0)7700-900123", "gp_name": ""}
    assert event.after == {"phone": "07700 900999", "gp_name": "Dr Ward"}
    assert event.subject_type == "patient"
    assert event.subject_id == str(patient.pk)


def test_update_without_changes_writes_no_event(clinic, practitioner):
    patient = patient_create(clinic=clinic, actor=practitioner, **VALID)
    patient_update(patient=patient, actor=practitioner, family_name="Martín ")
    assert events("patient.updated") == []


def test_bad_update_changes_nothing(clinic, practitioner):
    patient = patient_create(clinic=clinic, actor=practitioner, **VALID)
    with pytest.raises(ValidationFailed) as caught:
        patient_update(
            patient=patient,
            actor=practitioner,
            family_name="Garcia",
            date_of_birth=timezone.localdate() + dt.timedelta(days=3),
        )
    assert set(caught.value.fields) == {"date_of_birth"}
    patient.refresh_from_db()
    assert patient.family_name == "Martín"
    assert events("patient.updated") == []


def test_archive_needs_a_reason(clinic, practitioner):
    patient = patient_create(clinic=clinic, actor=practitioner, **VALID)
    with pytest.raises(ValidationFailed) as caught:
        patient_archive(patient=patient, actor=practitioner, reason="   ")
    assert "reason" in caught.value.fields
    patient.refresh_from_db()
    assert patient.archived_at is None


def test_archive_and_restore_are_audited_and_reversible(clinic, practitioner):
    patient = patient_create(clinic=clinic, actor=practitioner, **VALID)
    archived = patient_archive(patient=patient, actor=practitioner, reason="Moved to Spain")
    assert archived.is_archived
    assert archived.archived_by == practitioner
    assert Patient.objects.filter(pk=patient.pk).exists()  # kept, not deleted

    with pytest.raises(Conflict):
        patient_archive(patient=archived, actor=practitioner, reason="again")
    with pytest.raises(Conflict):
        patient_update(patient=archived, actor=practitioner, phone="07700 900000")

    restored = patient_restore(patient=archived, actor=practitioner)
    assert not restored.is_archived
    assert restored.archive_reason == ""
    with pytest.raises(Conflict):
        patient_restore(patient=restored, actor=practitioner)

    (archived_event,) = events("patient.archived")
    assert (archived_event.after or {})["archive_reason"] == "Moved to Spain"
    (restored_event,) = events("patient.restored")
    assert (restored_event.before or {})["archive_reason"] == "Moved to Spain"


def test_database_refuses_a_duplicate_record_number(clinic):
    PatientFactory.create(clinic=clinic, record_number="P-000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory.create(clinic=clinic, record_number="P-000001")


def test_database_refuses_fitzpatrick_out_of_range(clinic):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory.create(clinic=clinic, fitzpatrick_type=9)


def test_database_refuses_an_unknown_sex_code(clinic):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory.create(clinic=clinic, sex="robot")


def test_database_refuses_archiving_without_a_reason(clinic):
    patient = PatientFactory.create(clinic=clinic)
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(archived_at=timezone.now())
