"""Outcomes over the API: a patient's scale scores and side effects, resolving and reviewing
side effects, the safety-net calls and the clinic's outcomes report.

Each operation declares its permission where it is routed; patients are fetched through
``pistor.patients.access``; writes go through ``pistor.outcomes.services``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt, StrictStr, StringConstraints

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, ClinicDate, Code, InputSchema
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import NotFound
from pistor.outcomes import selectors, services
from pistor.outcomes.constants import ActionTaken, Timepoint
from pistor.outcomes.models import FollowUpCall, Measurement, SideEffect
from pistor.outcomes.report import outcomes_report
from pistor.patients.access import patient_get_for_user

if TYPE_CHECKING:
    from pistor.patients.models import Patient

router = Router(tags=["outcomes"])
_MAX_ID = 2**63 - 1


class MeasurementIn(InputSchema):
    """A scale scored from its items' answers (item code → value) by the clinical core."""

    scale_code: Code = Field(..., examples=["hexsel-css"])
    indication_code: Code | None = Field(None, examples=["cellulite"])
    answers: dict[Annotated[str, StringConstraints(max_length=40)], StrictInt | StrictStr] = Field(
        ..., max_length=30, examples=[{"A": 2, "B": 2, "C": 1, "D": 1, "E": 2}]
    )
    timepoint: Timepoint
    session_number: int | None = Field(None, ge=1, le=200)
    session_id: int | None = Field(None, ge=1, le=_MAX_ID)
    measured_on: ClinicDate | None = None


class MeasurementOut(Schema):
    id: int
    patient_id: int
    indication_code: str
    protocol_code: str
    scale_code: str
    timepoint: str
    session_number: int | None
    session_id: int | None
    answers: dict[str, str]
    total: Decimal
    band: str
    measured_on: str


class SideEffectIn(InputSchema):
    event_code: Code = Field(..., examples=["bruising"])
    onset: ClinicDate
    resolved_on: ClinicDate | None = None
    grade: int = Field(..., strict=True, description="CTCAE v5.0 grade, 1 to 5.")
    local_kind: str = Field("", max_length=30, examples=["pain"])
    local_grade: int | None = Field(None, strict=True)
    areas: CleanStr = Field("", max_length=500)
    description: CleanStr = Field("", max_length=5000)
    session_id: int | None = Field(None, ge=1, le=_MAX_ID)
    batch_ids: list[int] = Field(default_factory=list, max_length=20)
    action_taken: ActionTaken = ActionTaken.NONE
    action_note: CleanStr = Field("", max_length=5000)
    outcome: str = Field("", max_length=12)


class SideEffectRecordOut(Schema):
    id: int
    patient_id: int
    event_code: str
    onset: str
    resolved_on: str | None
    grade: int
    local_kind: str
    local_grade: int | None
    areas: str
    session_id: int | None
    batch_ids: list[int]
    action_taken: str
    outcome: str
    expected_end_on: str | None
    flagged: bool
    review_reasons: list[str]
    reviewed_at: str | None


class SideEffectResolveIn(InputSchema):
    resolved_on: ClinicDate
    outcome: str = Field("resolved", max_length=12)


class SideEffectReviewIn(InputSchema):
    note: CleanStr = Field(..., max_length=5000)


class FollowUpCallOut(Schema):
    id: int
    patient_id: int
    indication_code: str
    due_on: str
    question: str
    status: str


class FollowUpCallIn(InputSchema):
    status: str = Field(..., max_length=12, examples=["done"])
    notes: CleanStr = Field("", max_length=5000)


class OutcomeChangeOut(Schema):
    group: str
    group_name: str
    scale_code: str
    n: int
    median: Decimal | None
    q1: Decimal | None
    q3: Decimal | None
    direction: str
    note: str


class SideEffectRateOut(Schema):
    scope: str
    event_code: str
    events: int
    sessions: int
    per_100: Decimal | None
    note: str


class OutcomesReportOut(Schema):
    patients_measured: int
    sessions: int
    by_indication: list[OutcomeChangeOut]
    by_protocol: list[OutcomeChangeOut]
    rates: list[SideEffectRateOut]
    rates_by_product: list[SideEffectRateOut]
    rates_by_batch: list[SideEffectRateOut]


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


def _measurement_out(m: Measurement) -> dict[str, Any]:
    return {
        "id": m.pk,
        "patient_id": m.patient_id,
        "indication_code": m.indication_code,
        "protocol_code": m.protocol_code,
        "scale_code": m.scale_code,
        "timepoint": m.timepoint,
        "session_number": m.session_number,
        "session_id": m.session_id,
        "answers": m.answers,
        "total": m.total,
        "band": m.band,
        "measured_on": m.measured_on.isoformat(),
    }


def _effect_out(e: SideEffect, request: HttpRequest) -> dict[str, Any]:
    catalog = catalog_for_clinic(clinic=api_caller(request).clinic)
    reasons = selectors.review_reasons(e, catalog, clock.now().date())
    return {
        "id": e.pk,
        "patient_id": e.patient_id,
        "event_code": e.event_code,
        "onset": e.onset.isoformat(),
        "resolved_on": e.resolved_on.isoformat() if e.resolved_on else None,
        "grade": e.grade,
        "local_kind": e.local_kind,
        "local_grade": e.local_grade,
        "areas": e.areas,
        "session_id": e.session_id,
        "batch_ids": sorted(b.pk for b in e.batches.all()),
        "action_taken": e.action_taken,
        "outcome": e.outcome,
        "expected_end_on": e.expected_end_on.isoformat() if e.expected_end_on else None,
        "flagged": bool(reasons),
        "review_reasons": list(reasons),
        "reviewed_at": e.reviewed_at.isoformat() if e.reviewed_at else None,
    }


def _call_out(c: FollowUpCall) -> dict[str, Any]:
    return {
        "id": c.pk,
        "patient_id": c.patient_id,
        "indication_code": c.indication_code,
        "due_on": c.due_on.isoformat(),
        "question": c.question,
        "status": c.status,
    }


@router.get(
    "/patients/{patient_id}/measurements",
    response={200: list[MeasurementOut], **ERROR_RESPONSES},
    summary="A patient's outcome scores, oldest first",
    auth=allow(Action.OUTCOME_VIEW, doing="read outcome scores"),
)
def list_measurements(request: HttpRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id, Action.OUTCOME_VIEW)
    return [
        _measurement_out(m)
        for m in selectors.measurement_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    ]


@router.post(
    "/patients/{patient_id}/measurements",
    response={201: MeasurementOut, **ERROR_RESPONSES},
    summary="Score an outcome scale for a patient (422 names the item out of range)",
    auth=allow(Action.OUTCOME_RECORD, doing="record outcome scores"),
)
def add_measurement(request: HttpRequest, patient_id: int, payload: MeasurementIn) -> Any:
    patient = _patient(request, patient_id, Action.OUTCOME_RECORD)
    measurement = services.measurement_record(
        clinic=api_caller(request).clinic,
        patient=patient,
        by=api_caller(request).user,
        scale_code=payload.scale_code,
        indication_code=payload.indication_code or "",
        answers=payload.answers,
        timepoint=payload.timepoint,
        session_number=payload.session_number,
        session_id=payload.session_id,
        measured_on=payload.measured_on,
    )
    return Status(201, _measurement_out(measurement))


@router.get(
    "/patients/{patient_id}/side-effects",
    response={200: list[SideEffectRecordOut], **ERROR_RESPONSES},
    summary="A patient's side effects, newest first, with review flags",
    auth=allow(Action.OUTCOME_VIEW, doing="read side effects"),
)
def list_side_effects(request: HttpRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id, Action.OUTCOME_VIEW)
    return [
        _effect_out(e, request)
        for e in selectors.side_effect_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    ]


@router.post(
    "/patients/{patient_id}/side-effects",
    response={201: SideEffectRecordOut, **ERROR_RESPONSES},
    summary="Register a side effect (grade 1-5; it cannot resolve before its onset)",
    auth=allow(Action.OUTCOME_RECORD, doing="record side effects"),
)
def add_side_effect(request: HttpRequest, patient_id: int, payload: SideEffectIn) -> Any:
    patient = _patient(request, patient_id, Action.OUTCOME_RECORD)
    effect = services.side_effect_record(
        clinic=api_caller(request).clinic,
        patient=patient,
        by=api_caller(request).user,
        **payload.dict(),
    )
    return Status(201, _effect_out(effect, request))


def _effect(request: HttpRequest, side_effect_id: int, action: Action) -> SideEffect:
    if not 1 <= side_effect_id <= _MAX_ID:
        raise NotFound("No such side effect at this clinic.")
    effect = selectors.side_effect_get(clinic_id=api_caller(request).clinic.pk, pk=side_effect_id)
    _patient(request, effect.patient_id, action)
    return effect


@router.post(
    "/side-effects/{side_effect_id}/resolve",
    response={200: SideEffectRecordOut, **ERROR_RESPONSES},
    summary="Close an ongoing side effect with the day it resolved",
    auth=allow(Action.OUTCOME_RECORD, doing="record side effects"),
)
def resolve_side_effect(
    request: HttpRequest, side_effect_id: int, payload: SideEffectResolveIn
) -> Any:
    effect = _effect(request, side_effect_id, Action.OUTCOME_RECORD)
    effect = services.side_effect_resolve(
        effect=effect,
        by=api_caller(request).user,
        resolved_on=payload.resolved_on,
        outcome=payload.outcome,
    )
    return _effect_out(effect, request)


@router.post(
    "/side-effects/{side_effect_id}/review",
    response={200: SideEffectRecordOut, **ERROR_RESPONSES},
    summary="Mark a flagged side effect as reviewed, with the conclusion",
    auth=allow(Action.SIDE_EFFECT_REVIEW, doing="review side effects"),
)
def review_side_effect(
    request: HttpRequest, side_effect_id: int, payload: SideEffectReviewIn
) -> Any:
    effect = _effect(request, side_effect_id, Action.SIDE_EFFECT_REVIEW)
    effect = services.side_effect_review(
        effect=effect, by=api_caller(request).user, note=payload.note
    )
    return _effect_out(effect, request)


@router.get(
    "/review",
    response={200: list[SideEffectRecordOut], **ERROR_RESPONSES},
    summary="Flagged side effects not yet reviewed",
    auth=allow(Action.SIDE_EFFECT_REVIEW, doing="review side effects"),
)
def review_list(request: HttpRequest) -> Any:
    clinic = api_caller(request).clinic
    return [
        _effect_out(e, request)
        for e in selectors.review_list(clinic_id=clinic.pk, today=clock.now().date())
    ]


@router.get(
    "/follow-up-calls",
    response={200: list[FollowUpCallOut], **ERROR_RESPONSES},
    summary="Safety-net calls still to make, earliest due first",
    auth=allow(Action.OUTCOME_VIEW, doing="read follow-up calls"),
)
def calls_list(request: HttpRequest) -> Any:
    clinic = api_caller(request).clinic
    return [
        _call_out(c)
        for c in selectors.follow_up_due_list(clinic_id=clinic.pk, today=clock.now().date())
    ]


@router.post(
    "/follow-up-calls/{call_id}",
    response={200: FollowUpCallOut, **ERROR_RESPONSES},
    summary="Record what came of a safety-net call",
    auth=allow(Action.OUTCOME_RECORD, doing="record follow-up calls"),
)
def call_record(request: HttpRequest, call_id: int, payload: FollowUpCallIn) -> Any:
    if not 1 <= call_id <= _MAX_ID:
        raise NotFound("No such follow-up call at this clinic.")
    call = selectors.follow_up_call_get(clinic_id=api_caller(request).clinic.pk, pk=call_id)
    _patient(request, call.patient_id, Action.OUTCOME_RECORD)
    call = services.follow_up_call_record(
        call=call, by=api_caller(request).user, status=payload.status, notes=payload.notes
    )
    return _call_out(call)


@router.get(
    "/report",
    response={200: OutcomesReportOut, **ERROR_RESPONSES},
    summary="The clinic's outcomes report: score changes and side-effect rates",
    auth=allow(Action.OUTCOME_REPORT, doing="read the outcomes report"),
)
def report(request: HttpRequest) -> Any:
    clinic = api_caller(request).clinic
    data = outcomes_report(clinic_id=clinic.pk, catalog=catalog_for_clinic(clinic=clinic))

    def change(r: Any) -> dict[str, Any]:
        return {"group": r.group, "group_name": r.group_name, "scale_code": r.scale_code,
                "n": r.n, "median": r.median, "q1": r.q1, "q3": r.q3,
                "direction": r.direction, "note": r.note}  # fmt: skip

    def rate(r: Any) -> dict[str, Any]:
        return {"scope": r.scope, "event_code": r.event_code, "events": r.events,
                "sessions": r.sessions, "per_100": r.per_100, "note": r.note}  # fmt: skip

    return {
        "patients_measured": data.patients_measured,
        "sessions": data.sessions,
        "by_indication": [change(r) for r in data.by_indication],
        "by_protocol": [change(r) for r in data.by_protocol],
        "rates": [rate(r) for r in data.rates],
        "rates_by_product": [rate(r) for r in data.rates_by_product],
        "rates_by_batch": [rate(r) for r in data.rates_by_batch],
    }
