"""The intake over the API: versions of the medical history, links, and the patient's facts.

Thin: each operation declares its permission where routed, fetches the patient through
``pistor.patients.access`` and calls one service or selector of ``pistor.intake``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import NotFound
from pistor.intake.constants import IntakeSource, IntakeStatus
from pistor.intake.models import IntakeForm
from pistor.intake.selectors import (
    intake_get,
    intake_latest_complete,
    intake_list,
    patient_facts_get,
)
from pistor.intake.services import IntakeAnswers, intake_link_create, intake_submit
from pistor.patients.access import patient_get_for_user
from pistor.patients.models import Patient

router = Router(tags=["intake"])
_MAX_ID = 2**63 - 1


def api_patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    """The patient of the caller's clinic, through ``access`` (404 for another clinic's)."""
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


def no_store(response: HttpResponse) -> None:
    # Medical history must not be kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"


class IntakeIn(InputSchema):
    """A new version of the medical history. Codes are the catalog's screening facts
    (``GET /api/v1/catalog/...``); an unknown code is a 422 naming the field."""

    complete: bool = Field(
        True,
        description="True: a complete history (pregnancy, breastfeeding, weight, skin type, "
        "smoking and sun exposure must be answered). False: a draft, not used by the screen.",
    )
    conditions: list[CleanStr] = Field([], max_length=60, examples=[["epilepsy"]])
    medications: list[CleanStr] = Field([], max_length=60, examples=[["coumarin", "fish-oil"]])
    allergens: list[CleanStr] = Field([], max_length=60, examples=[["soy"]])
    other_history: CleanStr = Field("", max_length=2000)
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    previous_treatments: CleanStr = Field("", max_length=2000)
    smoking: CleanStr = Field("", description="never, former or current.")
    sun_exposure: CleanStr = Field("", description="low, moderate or high.")
    activity: CleanStr = Field("", description="low, moderate or high.")
    diet: CleanStr = Field("", max_length=2000)
    weight_kg: Decimal | None = Field(None, description="Kilograms, 20 to 350.", examples=[68.5])
    fitzpatrick: int | None = Field(None, description="Fitzpatrick skin type 1 to 6.")

    def answers(self) -> IntakeAnswers:
        data = self.model_dump(exclude={"complete"})
        return IntakeAnswers(**data)


class IntakeOut(Schema):
    id: int
    version: int
    status: IntakeStatus
    source: IntakeSource
    conditions: list[str]
    medications: list[str]
    allergens: list[str]
    other_history: str
    pregnant: bool | None
    breastfeeding: bool | None
    previous_treatments: str
    smoking: str
    sun_exposure: str
    activity: str
    diet: str
    weight_kg: Decimal | None
    fitzpatrick: int | None
    submitted_by: str | None = Field(None, description="Staff e-mail; empty when the patient.")
    created_at: dt.datetime

    @staticmethod
    def resolve_submitted_by(obj: IntakeForm) -> str | None:
        return obj.submitted_by.email if obj.submitted_by is not None else None


class IntakeHistoryOut(Schema):
    latest_complete: IntakeOut | None
    versions: list[IntakeOut] = Field(..., description="Newest first, at most 50.")


class IntakeLinkOut(Schema):
    url: str = Field(..., description="Send this to the patient; it is shown only once.")
    expires_at: dt.datetime


class FactsOut(Schema):
    """The patient's facts as the safety screen, suggestions, plans and the gate read them."""

    birth_date: dt.date | None
    sex: str | None
    weight_kg: Decimal | None
    pregnant: bool
    breastfeeding: bool
    conditions: list[str]
    medications: list[str]
    allergens: list[str]
    fitzpatrick: int | None
    from_intake_version: int | None


@router.get(
    "/{patient_id}/intake",
    response={200: IntakeHistoryOut, **ERROR_RESPONSES},
    auth=allow(Action.CLINICAL_NOTES_VIEW, doing="read medical histories"),
    summary="Read a patient's medical history (every version)",
)
def get_intake(request: HttpRequest, response: HttpResponse, patient_id: int) -> dict[str, Any]:
    patient = api_patient(request, patient_id, Action.CLINICAL_NOTES_VIEW)
    no_store(response)
    versions = intake_list(patient=patient)
    latest = next((v for v in versions if v.status == IntakeStatus.COMPLETE), None)
    return {"latest_complete": latest, "versions": versions}


@router.get(
    "/{patient_id}/intake/{version}",
    response={200: IntakeOut, **ERROR_RESPONSES},
    auth=allow(Action.CLINICAL_NOTES_VIEW, doing="read medical histories"),
    summary="Read one version of a patient's medical history",
)
def get_intake_version(
    request: HttpRequest, response: HttpResponse, patient_id: int, version: int
) -> IntakeForm:
    patient = api_patient(request, patient_id, Action.CLINICAL_NOTES_VIEW)
    no_store(response)
    if not 1 <= version <= 2**31 - 1:
        raise NotFound("No such intake version for this patient.")
    return intake_get(patient=patient, version=version)


@router.post(
    "/{patient_id}/intake",
    response={201: IntakeOut, **ERROR_RESPONSES},
    auth=allow(Action.INTAKE_RECORD, doing="record medical histories"),
    summary="Record a new version of a patient's medical history",
)
def post_intake(
    request: HttpRequest, response: HttpResponse, patient_id: int, payload: IntakeIn
) -> Status[IntakeForm]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.INTAKE_RECORD)
    no_store(response)
    form = intake_submit(
        clinic=caller.clinic,
        patient=patient,
        actor=caller.user,
        answers=payload.answers(),
        complete=payload.complete,
        source=IntakeSource.API,
    )
    return Status(201, form)


@router.post(
    "/{patient_id}/intake-links",
    response={201: IntakeLinkOut, **ERROR_RESPONSES},
    auth=allow(Action.INTAKE_LINK_SEND, doing="send intake links"),
    summary="Make a single-use link for the patient to fill in their medical history",
    description="No body. The link expires after 7 days and works once; only its hash is kept.",
)
def post_intake_link(
    request: HttpRequest, response: HttpResponse, patient_id: int
) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.INTAKE_LINK_SEND)
    no_store(response)
    link, token = intake_link_create(
        clinic=caller.clinic, patient=patient, actor=caller.user, now=clock.now()
    )
    url = request.build_absolute_uri(reverse("intake:fill", args=[token]))
    return Status(201, {"url": url, "expires_at": link.expires_at})


@router.get(
    "/{patient_id}/facts",
    response={200: FactsOut, **ERROR_RESPONSES},
    auth=allow(Action.CLINICAL_NOTES_VIEW, doing="read medical histories"),
    summary="The patient's facts as the safety screen reads them",
)
def get_facts(request: HttpRequest, response: HttpResponse, patient_id: int) -> dict[str, Any]:
    patient = api_patient(request, patient_id, Action.CLINICAL_NOTES_VIEW)
    no_store(response)
    facts = patient_facts_get(patient=patient, now=timezone.now())
    latest = intake_latest_complete(patient=patient)
    return {
        "birth_date": facts.birth_date,
        "sex": facts.sex,
        "weight_kg": facts.weight_kg,
        "pregnant": facts.pregnant,
        "breastfeeding": facts.breastfeeding,
        "conditions": sorted(facts.conditions),
        "medications": sorted(facts.medications),
        "allergens": sorted(facts.allergens),
        "fitzpatrick": facts.fitzpatrick,
        "from_intake_version": latest.version if latest is not None else None,
    }
