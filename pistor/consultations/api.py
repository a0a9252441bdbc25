"""Consultations over the API: record one, read them with their screen, override a warning."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema
from pistor.clinics.permissions import Action
from pistor.consultations.constants import Anaesthesia
from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.consultations.selectors import (
    consultation_get,
    consultation_list,
    consultation_screen,
)
from pistor.consultations.services import (
    ChecklistAnswer,
    ConsultationInput,
    consultation_record,
    finding_as_dict,
    screening_override_record,
)
from pistor.core import clock
from pistor.intake.api import api_patient, no_store

router = Router(tags=["consultations"])


class ChecklistIn(InputSchema):
    done: bool = False
    note: CleanStr = Field("", max_length=2000, description="Required when not done.")


class ConsultationIn(InputSchema):
    """A consultation. Every point of the catalog's checklist must be done or noted."""

    indications: list[CleanStr] = Field(..., max_length=8, examples=[["localised-fat"]])
    areas: list[CleanStr] = Field(..., max_length=12, examples=[["abdomen"]])
    area_findings: dict[str, list[CleanStr]] = Field(
        {},
        description="Area → what is seen there: infection, inflammation, herpes, wound, "
        "eczema, scar.",
        examples=[{"abdomen": ["scar"]}],
    )
    products: list[CleanStr] = Field([], max_length=20, examples=[["lipostabil"]])
    checklist: dict[str, ChecklistIn] = Field(
        ..., description="Checklist point code → {done, note}; every point answered."
    )
    expectations_discussed: bool = False
    alternatives_discussed: bool = False
    discussion_notes: CleanStr = Field("", max_length=5000)
    anaesthesia: Anaesthesia = Anaesthesia.TOPICAL_CREAM
    baseline_scores: dict[str, dict[str, Decimal]] = Field(
        {}, description="Scale code → item code → value.", examples=[{"pain-nrs": {"pain": 3}}]
    )
    notes: CleanStr = Field("", max_length=5000)


class OverrideIn(InputSchema):
    """Go ahead despite named warnings (practitioners only). Blocks cannot be overridden."""

    finding_codes: list[CleanStr] = Field(..., min_length=1, examples=[["bleeding-risk"]])
    reason: CleanStr = Field(..., min_length=1, max_length=5000)


class FindingOut(Schema):
    code: str
    severity: str
    message: str
    evidence: list[str]


class OverrideOut(Schema):
    id: int
    finding_codes: list[str]
    reason: str
    by: str
    created_at: dt.datetime

    @staticmethod
    def resolve_by(obj: ScreeningOverride) -> str:
        return obj.by.email


class ConsultationOut(Schema):
    id: int
    consulted_at: dt.datetime
    practitioner: str
    indications: list[str]
    areas: list[str]
    area_findings: dict[str, list[str]]
    products: list[str]
    checklist: dict[str, Any]
    expectations_discussed: bool
    alternatives_discussed: bool
    discussion_notes: str
    anaesthesia: str
    baseline_scores: dict[str, Any]
    screening: list[FindingOut] = Field(..., description="The screen when it was recorded.")
    notes: str

    @staticmethod
    def resolve_practitioner(obj: Consultation) -> str:
        return obj.practitioner.email


class ConsultationDetailOut(ConsultationOut):
    screening_now: list[FindingOut] = Field(..., description="The screen against today's record.")
    overrides: list[OverrideOut]

    @staticmethod
    def resolve_overrides(obj: Consultation) -> list[ScreeningOverride]:
        return list(obj.overrides.all())


def _detail(consultation: Consultation) -> Consultation:
    # The screen against today's record travels on the object for ConsultationDetailOut.
    now_findings = consultation_screen(consultation=consultation, now=clock.now()).findings
    consultation.screening_now = [finding_as_dict(f) for f in now_findings]  # type: ignore[attr-defined]
    return consultation


@router.get(
    "/{patient_id}/consultations",
    response={200: list[ConsultationOut], **ERROR_RESPONSES},
    auth=allow(Action.CLINICAL_NOTES_VIEW, doing="read consultations"),
    summary="List a patient's consultations, newest first",
)
def list_consultations(
    request: HttpRequest, response: HttpResponse, patient_id: int
) -> list[Consultation]:
    patient = api_patient(request, patient_id, Action.CLINICAL_NOTES_VIEW)
    no_store(response)
    return consultation_list(patient=patient)


@router.post(
    "/{patient_id}/consultations",
    response={201: ConsultationDetailOut, **ERROR_RESPONSES},
    auth=allow(Action.CONSULTATION_RECORD, doing="record consultations"),
    summary="Record a consultation (the screen is run and kept with it)",
)
def post_consultation(
    request: HttpRequest, response: HttpResponse, patient_id: int, payload: ConsultationIn
) -> Status[Consultation]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.CONSULTATION_RECORD)
    no_store(response)
    data = ConsultationInput(
        **payload.model_dump(exclude={"checklist"}),
        checklist={
            k: ChecklistAnswer(done=v.done, note=v.note) for k, v in payload.checklist.items()
        },
    )
    consultation = consultation_record(
        clinic=caller.clinic, patient=patient, actor=caller.user, data=data, now=clock.now()
    )
    return Status(201, _detail(consultation))


@router.get(
    "/{patient_id}/consultations/{consultation_id}",
    response={200: ConsultationDetailOut, **ERROR_RESPONSES},
    auth=allow(Action.CLINICAL_NOTES_VIEW, doing="read consultations"),
    summary="Read a consultation with its screen then and now, and its overrides",
)
def get_consultation(
    request: HttpRequest, response: HttpResponse, patient_id: int, consultation_id: int
) -> Consultation:
    patient = api_patient(request, patient_id, Action.CLINICAL_NOTES_VIEW)
    no_store(response)
    found = consultation_get(clinic=api_caller(request).clinic, patient=patient, pk=consultation_id)
    return _detail(found)


@router.post(
    "/{patient_id}/consultations/{consultation_id}/overrides",
    response={201: OverrideOut, **ERROR_RESPONSES},
    auth=allow(Action.SCREENING_OVERRIDE, doing="override screening warnings"),
    summary="Go ahead despite screening warnings, with the reason",
)
def post_override(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: int,
    consultation_id: int,
    payload: OverrideIn,
) -> Status[ScreeningOverride]:
    caller = api_caller(request)
    patient = api_patient(request, patient_id, Action.SCREENING_OVERRIDE)
    no_store(response)
    found = consultation_get(clinic=caller.clinic, patient=patient, pk=consultation_id)
    override = screening_override_record(
        clinic=caller.clinic,
        consultation=found,
        actor=caller.user,
        finding_codes=payload.finding_codes,
        reason=payload.reason,
        now=clock.now(),
    )
    return Status(201, override)
