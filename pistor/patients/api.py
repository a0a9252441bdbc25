"""The patient registry over the API: search, register, read, correct, archive.

Thin on purpose: each endpoint checks the caller's role, then calls one service or
selector of ``pistor.patients``; a patient is only ever fetched through ``access``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, ErrorOut, InputSchema, PlainDate
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound
from pistor.patients.access import (
    PATIENT_COUNT_LIMIT,
    PATIENT_OFFSET_MAX,
    PATIENT_PAGE_MAX,
    patient_get_for_user,
    patient_list_for_user,
)
from pistor.patients.constants import Sex
from pistor.patients.models import Patient
from pistor.patients.services import patient_archive, patient_create, patient_update

router = Router(tags=["patients"])

# Ids beyond this are not ids at all; answering 404 beats letting the database choke.
_MAX_ID = 2**63 - 1


class PatientIn(InputSchema):
    """A new patient. Names and date of birth are required; the rest may be left out."""

    given_name: CleanStr = Field(..., min_length=1, max_length=100, examples=["Amara"])
    family_name: CleanStr = Field(..., min_length=1, max_length=100, examples=["Okafor"])
    date_of_birth: PlainDate = Field(..., description="YYYY-MM-DD; not in the future.")
    sex: Sex = Field(Sex.UNKNOWN, description="Administrative sex (FHIR AdministrativeGender).")
    phone: CleanStr = Field("", max_length=32, examples=["+44 7700 900123"])
    email: CleanStr = Field("", max_length=254)
    address: CleanStr = Field("", max_length=2000)
    preferred_language: CleanStr = Field("", max_length=60)
    emergency_contact_name: CleanStr = Field("", max_length=200)
    emergency_contact_phone: CleanStr = Field("", max_length=32)
    gp_name: CleanStr = Field("", max_length=200)
    gp_contact: CleanStr = Field("", max_length=2000)
    fitzpatrick_type: int | None = Field(None, ge=1, le=6, description="Skin phototype 1–6.")
    notes: CleanStr = Field("", max_length=5000)
    confirm_not_duplicate: bool = Field(
        False,
        description="Register even though a patient with the same names and date of birth "
        "exists (the 409 lists them). Send true only once you know it is another person.",
    )


class PatientPatch(InputSchema):
    """Only the fields sent are changed. Names, date of birth and sex cannot be emptied."""

    # Typed without None on purpose: leaving these out is fine, sending null is refused
    # (the default is never validated), and the schema says so.
    given_name: CleanStr = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    family_name: CleanStr = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    date_of_birth: PlainDate = Field(None, description="YYYY-MM-DD; not in the future.")  # type: ignore[assignment]
    sex: Sex = Field(None)  # type: ignore[assignment]
    phone: CleanStr | None = Field(None, max_length=32)
    email: CleanStr | None = Field(None, max_length=254)
    address: CleanStr | None = Field(None, max_length=2000)
    preferred_language: CleanStr | None = Field(None, max_length=60)
    emergency_contact_name: CleanStr | None = Field(None, max_length=200)
    emergency_contact_phone: CleanStr | None = Field(None, max_length=32)
    gp_name: CleanStr | None = Field(None, max_length=200)
    gp_contact: CleanStr | None = Field(None, max_length=2000)
    fitzpatrick_type: int | None = Field(None, ge=1, le=6)
    notes: CleanStr | None = Field(None, max_length=5000)


class ArchiveIn(InputSchema):
    reason: CleanStr = Field(..., max_length=2000, examples=["Moved abroad; asked us to close."])


class PatientOut(Schema):
    id: int
    record_number: str
    given_name: str
    family_name: str
    full_name: str
    date_of_birth: dt.date
    age: int
    sex: Sex
    phone: str
    email: str
    address: str
    preferred_language: str
    emergency_contact_name: str
    emergency_contact_phone: str
    gp_name: str
    gp_contact: str
    fitzpatrick_type: int | None
    notes: str
    is_archived: bool
    archived_at: dt.datetime | None
    archive_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientSummaryOut(Schema):
    """What a list shows; the full record (contacts, GP, notes) is read one patient at a
    time from ``GET /patients/{id}``, which records that it was opened."""

    id: int
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    is_archived: bool


class DuplicateCandidateOut(Schema):
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class PossibleDuplicateOut(Schema):
    message: str
    extra: dict[str, list[DuplicateCandidateOut]] = Field(
        ..., description='{"candidates": [...]}: the patients the new one may duplicate.'
    )


class PatientPage(Schema):
    items: list[PatientSummaryOut]
    total: int = Field(
        ...,
        description="How many patients match, across all pages: exact up to "
        f"{PATIENT_COUNT_LIMIT}; {PATIENT_COUNT_LIMIT + 1} means more than "
        f"{PATIENT_COUNT_LIMIT} (narrow the search).",
    )
    limit: int
    offset: int


class PatientListQuery(Schema):
    q: CleanStr = Field(
        "",
        max_length=200,
        description="Words of the name, e-mail, record number, phone digits or a date of "
        "birth (1985-03-02 or 02/03/1985); every word must match.",
    )
    include_archived: bool = False
    limit: int = Field(50, ge=1, le=PATIENT_PAGE_MAX)
    offset: int = Field(0, ge=0, le=PATIENT_OFFSET_MAX)


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


@router.get(
    "",
    response={200: PatientPage, **ERROR_RESPONSES},
    summary="Find patients",
    description="Summary fields only, archived patients left out unless asked for. The "
    "search is recorded in the audit trail with the records it returned.",
    auth=allow(Action.PATIENT_VIEW, doing="look up patients"),
)
def list_patients(request: HttpRequest, filters: Query[PatientListQuery]) -> dict[str, Any]:
    caller = api_caller(request)
    items, total = patient_list_for_user(
        request_or_user=request,
        clinic=caller.clinic,
        query=filters.q,
        include_archived=filters.include_archived,
        limit=filters.limit,
        offset=filters.offset,
        where="api",
    )
    return {"items": items, "total": total, "limit": filters.limit, "offset": filters.offset}


@router.post(
    "",
    response={
        201: PatientOut,
        409: PossibleDuplicateOut,
        frozenset({400, 401, 403, 404, 422}): ErrorOut,
    },
    summary="Register a patient",
    description="Answers 409 with the possible duplicates (record number, names, date of "
    "birth) when a patient with the same names and date of birth exists, unless "
    "`confirm_not_duplicate` is true.",
    auth=allow(Action.PATIENT_CREATE, doing="register patients"),
)
def create_patient(request: HttpRequest, payload: PatientIn) -> Status[Patient]:
    caller = api_caller(request)
    patient = patient_create(clinic=caller.clinic, actor=caller.user, **payload.model_dump())
    return Status(201, patient)


@router.get(
    "/{patient_id}",
    response={200: PatientOut, **ERROR_RESPONSES},
    summary="Open a patient",
    auth=allow(Action.PATIENT_VIEW, doing="open patient records"),
)
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    return _patient(request, patient_id, Action.PATIENT_VIEW)


@router.patch(
    "/{patient_id}",
    response={200: PatientOut, **ERROR_RESPONSES},
    summary="Correct a patient's details",
    auth=allow(Action.PATIENT_EDIT, doing="change patient details"),
)
def update_patient(request: HttpRequest, patient_id: int, payload: PatientPatch) -> Patient:
    caller = api_caller(request)
    patient = _patient(request, patient_id, Action.PATIENT_EDIT)
    return patient_update(
        patient=patient, actor=caller.user, **payload.model_dump(exclude_unset=True)
    )


@router.post(
    "/{patient_id}/archive",
    response={200: PatientOut, **ERROR_RESPONSES},
    summary="Archive a patient",
    description="Hides the patient from everyday search; every record stays. Says why.",
    auth=allow(Action.PATIENT_ARCHIVE, doing="archive patients"),
)
def archive_patient(request: HttpRequest, patient_id: int, payload: ArchiveIn) -> Patient:
    caller = api_caller(request)
    patient = _patient(request, patient_id, Action.PATIENT_ARCHIVE)
    return patient_archive(patient=patient, actor=caller.user, reason=payload.reason)
