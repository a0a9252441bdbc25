"""Writes to the patient registry. Each one validates, commits in one transaction and is audited.

There is no delete: a patient is archived (hidden from search, kept whole) and can be
restored, because appointments, consents and treatment records point at them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.core.errors import Conflict, ValidationFailed, validation_error_from_django
from pistor.patients.constants import RECORD_NUMBER_DIGITS, RECORD_NUMBER_PREFIX
from pistor.patients.models import Patient, PatientNumberSequence
from pistor.patients.search import build_search_text

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic

SUBJECT_TYPE = "patient"

# What staff may set on a patient; everything else is maintained by the services.
EDITABLE_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "preferred_language",
    "emergency_contact_name",
    "emergency_contact_phone",
    "gp_name",
    "gp_contact",
    "fitzpatrick_type",
    "notes",
)


def _clean_input(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            "Some details need correcting.",
            fields={name: ["This detail cannot be set here."] for name in unknown},
        )
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "fitzpatrick_type" and value == "":
            value = None
        if value is None and name not in ("fitzpatrick_type", "date_of_birth"):
            value = ""
        cleaned[name] = value
    return cleaned


def _full_clean(patient: Patient) -> None:
    try:
        patient.full_clean()
    except ValidationError as exc:
        failed = validation_error_from_django(exc)
        # Django says "cannot be null" for a missing date; say it the way a person would.
        for messages in failed.fields.values():
            messages[:] = [
                "This field is required." if m == "This field cannot be null." else m
                for m in messages
            ]
        raise ValidationFailed(failed.message, fields=failed.fields) from None


def _snapshot_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _snapshot(patient: Patient, names: tuple[str, ...] | list[str] = EDITABLE_FIELDS) -> dict:
    return {name: _snapshot_value(getattr(patient, name)) for name in names}


def refresh_search_text(patient: Patient) -> None:
    """Recompute the normalised search and sort columns from the fields they are built from."""
    patient.search_text = build_search_text(
        [patient.given_name, patient.family_name, patient.record_number, patient.email],
        phones=[patient.phone],
    )[:1000]
    patient.sort_name = build_search_text([patient.family_name, patient.given_name])[:300]


def _next_record_number(clinic: Clinic) -> str:
    # The sequence row is locked until the transaction ends, so concurrent registrations
    # at one clinic queue here and never receive the same number.
    PatientNumberSequence.objects.get_or_create(clinic=clinic)
    sequence = PatientNumberSequence.objects.select_for_update().get(clinic=clinic)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number", "updated_at"])
    return f"{RECORD_NUMBER_PREFIX}{sequence.last_number:0{RECORD_NUMBER_DIGITS}d}"


def patient_create(*, clinic: Clinic, actor: User | None, **fields: Any) -> Patient:
    """Register a patient at ``clinic`` with the next record number ("P-000123")."""
    data = _clean_input(fields)
    patient = Patient(clinic=clinic, **data)
    with transaction.atomic():
        # A failed validation rolls the number back with everything else.
        patient.record_number = _next_record_number(clinic)
        _full_clean(patient)
        refresh_search_text(patient)
        patient.save(force_insert=True)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.PATIENT_CREATED,
            subject_type=SUBJECT_TYPE,
            subject_id=patient.pk,
            after={"record_number": patient.record_number, **_snapshot(patient)},
        )
    return patient


def _locked(patient: Patient) -> Patient:
    return Patient.objects.for_clinic(patient.clinic_id).select_for_update().get(pk=patient.pk)


def patient_update(*, patient: Patient, actor: User | None, **fields: Any) -> Patient:
    """Change a patient's details; the audit event holds before/after of changed fields only.

    Returns the saved patient; the object passed in is left as it was.
    """
    data = _clean_input(fields)
    with transaction.atomic():
        current = _locked(patient)
        if current.is_archived:
            raise Conflict("This patient is archived. Restore them before editing their details.")
        before = _snapshot(current)
        for name, value in data.items():
            setattr(current, name, value)
        _full_clean(current)  # also turns typed-in strings into dates and numbers
        after = _snapshot(current)
        changed = [name for name in EDITABLE_FIELDS if before[name] != after[name]]
        if not changed:
            return current
        refresh_search_text(current)
        current.save(update_fields=[*changed, "search_text", "sort_name", "updated_at"])
        audit_record(
            clinic=current.clinic,
            actor=actor,
            event_type=AuditEventType.PATIENT_UPDATED,
            subject_type=SUBJECT_TYPE,
            subject_id=current.pk,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return current


def patient_archive(*, patient: Patient, actor: User | None, reason: str) -> Patient:
    """Hide a patient from everyday search, keeping every record that points at them."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the patient is being archived.",
            fields={"reason": ["Say why the patient is being archived."]},
        )
    with transaction.atomic():
        current = _locked(patient)
        if current.is_archived:
            raise Conflict("This patient is already archived.")
        current.archived_at = timezone.now()
        current.archived_by = actor if actor is not None and actor.is_authenticated else None
        current.archive_reason = reason
        _full_clean(current)
        current.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
        audit_record(
            clinic=current.clinic,
            actor=actor,
            event_type=AuditEventType.PATIENT_ARCHIVED,
            subject_type=SUBJECT_TYPE,
            subject_id=current.pk,
            before={"archived_at": None},
            after={"archived_at": current.archived_at.isoformat(), "archive_reason": reason},
        )
    return current


def patient_restore(*, patient: Patient, actor: User | None) -> Patient:
    """Bring an archived patient back into everyday search."""
    with transaction.atomic():
        current = _locked(patient)
        if not current.is_archived:
            raise Conflict("This patient is not archived.")
        assert current.archived_at is not None  # noqa: S101 - narrowed by is_archived
        before = {
            "archived_at": current.archived_at.isoformat(),
            "archive_reason": current.archive_reason,
        }
        current.archived_at = None
        current.archived_by = None
        current.archive_reason = ""
        current.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
        audit_record(
            clinic=current.clinic,
            actor=actor,
            event_type=AuditEventType.PATIENT_RESTORED,
            subject_type=SUBJECT_TYPE,
            subject_id=current.pk,
            before=before,
            after={"archived_at": None},
        )
    return current
