"""Writes to the patient registry. Each one validates, commits in one transaction and is audited.

There is no delete: a patient is archived (hidden from search, kept whole) and can be
restored, because appointments, consents and treatment records point at them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.core.errors import Conflict, ValidationFailed, validation_error_from_django
from pistor.patients.constants import MAX_AGE_YEARS, RECORD_NUMBER_DIGITS, RECORD_NUMBER_PREFIX
from pistor.patients.models import Patient, PatientNumberSequence
from pistor.patients.search import build_search_column, build_search_text
from pistor.patients.selectors import patient_possible_duplicates

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


class PossibleDuplicate(Conflict):
    """The new patient's names and date of birth match patients already registered.

    ``candidates`` are those patients; ``extra["candidates"]`` carries only what a person
    needs to recognise them (record number, names, date of birth). Registering anyway takes
    ``confirm_not_duplicate=True``.
    """

    def __init__(self, candidates: list[Patient]) -> None:
        self.candidates = candidates
        super().__init__(
            "A patient with the same name and date of birth is already registered. Open "
            "their record instead, or confirm this is a different person.",
            extra={
                "candidates": [
                    {
                        "record_number": p.record_number,
                        "given_name": p.given_name,
                        "family_name": p.family_name,
                        "date_of_birth": p.date_of_birth.isoformat(),
                    }
                    for p in candidates
                ]
            },
        )


# What each database constraint protects, said the way the pages say it. The database is
# the only place these rules are checked in SQL (full_clean skips them; see _full_clean).
_CONSTRAINT_MESSAGES: dict[str, tuple[str, str]] = {
    "patient_fitzpatrick_1_to_6": ("fitzpatrick_type", "Fitzpatrick skin types run from 1 to 6."),
    "patient_sex_valid": ("sex", "Choose one of the listed options."),
    "patient_dob_plausible": (
        "date_of_birth",
        f"That would make the patient older than {MAX_AGE_YEARS}; please check the year.",
    ),
    "patient_names_present": ("__all__", "First and last name are both required."),
    "patient_archive_has_reason": ("archive_reason", "Say why the patient is being archived."),
    "patient_unique_record_number": (
        "record_number",
        "That record number is already in use at this clinic. Please try again.",
    ),
}
# SQLite names a failed UNIQUE constraint by its columns, not its name.
_SQLITE_UNIQUE_RECORD = "patients_patient.clinic_id, patients_patient.record_number"


def refusal_from_integrity_error(exc: IntegrityError) -> ValidationFailed:
    """The database refused a row: say which rule it broke, as a field message (422)."""
    text = str(exc)
    for name, (field, message) in _CONSTRAINT_MESSAGES.items():
        if name in text:
            return ValidationFailed("Some details need correcting.", fields={field: [message]})
    if _SQLITE_UNIQUE_RECORD in text:
        field, message = _CONSTRAINT_MESSAGES["patient_unique_record_number"]
        return ValidationFailed("Some details need correcting.", fields={field: [message]})
    # An unnamed refusal (a foreign key, say): still a clear 422, never a 500.
    return ValidationFailed(
        "The details could not be saved: they break a rule of the clinic's records.",
        fields={"__all__": ["The details could not be saved; please check them."]},
    )


# Set by the services, or foreign keys whose Python check is a query the database repeats.
_DATABASE_CHECKED = ["record_number", "clinic", "archived_by", "search_text", "sort_name"]


def _full_clean(patient: Patient) -> None:
    """Field-level checks in Python (formats, lengths, choices, dates) and ``clean()``.

    Unique and check constraints are left to the database, which enforces them anyway:
    Django's ``validate_unique``/``validate_constraints`` would send one more query (and
    savepoint) each. The database's refusal becomes a field message through
    ``refusal_from_integrity_error``.
    """
    try:
        patient.full_clean(
            exclude=_DATABASE_CHECKED, validate_unique=False, validate_constraints=False
        )
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
    patient.search_text = build_search_column(
        [patient.given_name, patient.family_name, patient.record_number, patient.email],
        phones=[patient.phone],
    )
    patient.sort_name = build_search_text([patient.family_name, patient.given_name])[:300]


def format_record_number(number: int) -> str:
    return f"{RECORD_NUMBER_PREFIX}{number:0{RECORD_NUMBER_DIGITS}d}"


def _next_record_number(clinic: Clinic) -> str:
    # One statement takes the next number: the upsert creates the clinic's counter on its
    # first patient and otherwise increments it, holding the row lock until the transaction
    # ends, so concurrent registrations at one clinic queue here and never share a number.
    # (INSERT … ON CONFLICT … RETURNING: PostgreSQL 9.5+, SQLite 3.35+.)
    table = connection.ops.quote_name(PatientNumberSequence._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (clinic_id, last_number, created_at, updated_at) "  # noqa: S608 - table name from the model
            "VALUES (%s, 1, %s, %s) ON CONFLICT (clinic_id) DO UPDATE "
            f"SET last_number = {table}.last_number + 1, updated_at = excluded.updated_at "
            "RETURNING last_number",
            [clinic.pk, now, now],
        )
        (number,) = cursor.fetchone()
    return format_record_number(number)


def patient_create(
    *,
    clinic: Clinic,
    actor: User | None,
    confirm_not_duplicate: bool = False,
    **fields: Any,
) -> Patient:
    """Register a patient at ``clinic`` with the next record number ("P-000123").

    A patient whose names and date of birth match one already registered (case, accents
    and punctuation aside) raises ``PossibleDuplicate`` unless ``confirm_not_duplicate``:
    a second record for one person splits their history. At most 12 statements.
    """
    data = _clean_input(fields)
    patient = Patient(clinic=clinic, **data)
    _full_clean(patient)
    if not confirm_not_duplicate:
        candidates = patient_possible_duplicates(
            clinic=clinic,
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
        )
        if candidates:
            raise PossibleDuplicate(candidates)
    try:
        with transaction.atomic():
            # A refused insert rolls the number back with everything else.
            patient.record_number = _next_record_number(clinic)
            refresh_search_text(patient)
            patient.save(force_insert=True)
            _audit_created(patient, actor)
    except IntegrityError as exc:
        raise refusal_from_integrity_error(exc) from None
    return patient


def _audit_created(patient: Patient, actor: User | None) -> None:
    audit_record(
        clinic=patient.clinic,
        actor=actor,
        event_type="patient.created",
        subject_type=SUBJECT_TYPE,
        subject_id=patient.pk,
        after={"record_number": patient.record_number, **_snapshot(patient)},
    )


def _locked(patient: Patient) -> Patient:
    return Patient.objects.for_clinic(patient.clinic_id).select_for_update().get(pk=patient.pk)


def patient_update(*, patient: Patient, actor: User | None, **fields: Any) -> Patient:
    """Change a patient's details; the audit event holds before/after of changed fields only.

    Returns the saved patient; the object passed in is left as it was.
    """
    data = _clean_input(fields)
    try:
        return _update(patient, actor, data)
    except IntegrityError as exc:
        raise refusal_from_integrity_error(exc) from None


def _update(patient: Patient, actor: User | None, data: dict[str, Any]) -> Patient:
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
