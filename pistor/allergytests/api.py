"""Allergy tests over the API: list, place, and read (once; refused before the window)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from pistor.allergytests.constants import Result
from pistor.allergytests.models import AllergyTest, AllergyTestReading
from pistor.allergytests.selectors import allergy_test_get, allergy_test_list
from pistor.allergytests.services import (
    allergy_reading_add_addendum,
    allergy_test_place,
    allergy_test_read,
)
from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, AddendumIn, AddendumOut, CleanStr, InputSchema
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import NotFound
from pistor.intake.api import api_patient, no_store
from pistor.records.models import Addendum
from pistor.records.selectors import record_addenda_list

router = Router(tags=["allergy tests"])


class PlaceIn(InputSchema):
    """Test injections placed: when (default now), where, which products and their lots."""

    placed_at: AwareDatetime | None = Field(None, description="With its offset; default now.")
    sites: CleanStr = Field(..., max_length=200, examples=["left forearm, inner"])
    products: list[CleanStr] = Field(..., max_length=10, examples=[["lipostabil"]])
    batches: CleanStr = Field("", max_length=500, examples=["lipostabil L2345"])
    notes: CleanStr = Field("", max_length=2000)


class ReadingIn(InputSchema):
    """The reading: not before the clinic's observation window (at least 24 h) has passed."""

    read_at: AwareDatetime | None = Field(None, description="With its offset; default now.")
    result: Result
    notes: CleanStr = Field("", max_length=2000)


class ReadingOut(Schema):
    read_at: dt.datetime
    result: str
    notes: str
    read_by: str
    signed_at: dt.datetime
    content_sha256: str = Field(..., description="SHA-256 of the reading as it was signed.")

    @staticmethod
    def resolve_read_by(obj: AllergyTestReading) -> str:
        return obj.read_by.email


class AllergyTestOut(Schema):
    id: int
    placed_at: dt.datetime
    placed_by: str
    sites: str
    products: list[str]
    batches: str
    notes: str
    reading: ReadingOut | None
    reading_addenda: list[AddendumOut] = Field(
        ..., description="Corrections added beside the signed reading, oldest first."
    )

    @staticmethod
    def resolve_placed_by(obj: AllergyTest) -> str:
        return obj.placed_by.email

    @staticmethod
    def resolve_reading_addenda(obj: AllergyTest) -> list[Addendum]:
        listed = getattr(obj, "reading_addenda", None)
        if listed is not None:
            return list(listed)
        reading = getattr(obj, "reading", None)
        return record_addenda_list(record=reading) if reading is not None else []

    @staticmethod
    def resolve_reading(obj: AllergyTest) -> AllergyTestReading | None:
        return getattr(obj, "reading", None)


@router.get(
    "/{patient_id}/allergy-tests",
    response={200: list[AllergyTestOut], **ERROR_RESPONSES},
    auth=allow(Action.CLINICAL_NOTES_VIEW, doing="read allergy tests"),
    summary="List a patient's allergy tests and readings, newest first",
)
def list_tests(request: HttpRequest, response: HttpResponse, patient_id: int) -> list[AllergyTest]:
    patient = api_patient(request, patient_id, Action.CLINICAL_NOTES_VIEW)
    no_store(response)
    return allergy_test_list(patient=patient)


@router.post(
    "/{patient_id}/allergy-tests",
    response={201: AllergyTestOut, **ERROR_RESPONSES},
    auth=allow(Action.ALLERGY_TEST_RECORD, doing="record allergy tests"),
    summary="Record test injections placed",
)
def place_test(
    request: HttpRequest, response: HttpResponse, patient_id: int, payload: PlaceIn
) -> Status[AllergyTest]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.ALLERGY_TEST_RECORD)
    no_store(response)
    now = clock.now()
    test = allergy_test_place(
        clinic=caller.clinic,
        patient=patient,
        actor=caller.user,
        placed_at=payload.placed_at or now,
        sites=payload.sites,
        products=payload.products,
        batches=payload.batches,
        notes=payload.notes,
        now=now,
    )
    return Status(201, test)


@router.post(
    "/{patient_id}/allergy-tests/{test_id}/reading",
    response={201: AllergyTestOut, **ERROR_RESPONSES},
    auth=allow(Action.ALLERGY_TEST_RECORD, doing="record allergy tests"),
    summary="Record the reading of a test (signed, final; a positive result records the allergy)",
)
def read_test(
    request: HttpRequest, response: HttpResponse, patient_id: int, test_id: int, payload: ReadingIn
) -> Status[AllergyTest]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.ALLERGY_TEST_RECORD)
    no_store(response)
    test = allergy_test_get(clinic=caller.clinic, patient=patient, pk=test_id)
    now = clock.now()
    allergy_test_read(
        clinic=caller.clinic,
        test=test,
        actor=caller.user,
        read_at=payload.read_at or now,
        result=payload.result,
        notes=payload.notes,
        now=now,
    )
    return Status(201, allergy_test_get(clinic=caller.clinic, patient=patient, pk=test_id))


@router.post(
    "/{patient_id}/allergy-tests/{test_id}/reading/addenda",
    response={201: AllergyTestOut, **ERROR_RESPONSES},
    auth=allow(Action.ALLERGY_TEST_RECORD, doing="add addenda to allergy-test readings"),
    summary="Add a correction beside a signed reading (the reading itself never changes)",
)
def add_reading_addendum(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: int,
    test_id: int,
    payload: AddendumIn,
) -> Status[AllergyTest]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.ALLERGY_TEST_RECORD)
    no_store(response)
    test = allergy_test_get(clinic=caller.clinic, patient=patient, pk=test_id)
    reading = getattr(test, "reading", None)
    if reading is None:
        raise NotFound("This test has not been read yet; an addendum goes beside a reading.")
    allergy_reading_add_addendum(
        reading=reading, author=caller.user, text=payload.text, reason=payload.reason
    )
    return Status(201, test)
