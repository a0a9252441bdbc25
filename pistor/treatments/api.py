"""Treatment sessions over the API: start (the gate's reasons on a 409), the cocktail, chart
areas and points, sign-off, addenda and the aftercare sheet.

Each operation declares its permission where it is routed; patients are fetched through
``pistor.patients.access``; writes go through ``pistor.treatments.services``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, AddendumIn, CleanStr, InputSchema
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound
from pistor.patients.access import patient_get_for_user
from pistor.plans.selectors import plan_get
from pistor.treatments import services
from pistor.treatments.models import TreatmentSession
from pistor.treatments.pdf import aftercare_pdf
from pistor.treatments.selectors import (
    aftercare_for_session,
    chart_area_get,
    cocktail_summary,
    session_addenda,
    session_duration,
    session_get,
    session_list,
)

router = Router(tags=["treatments"])
_MAX_ID = 2**63 - 1


class SessionIn(InputSchema):
    """From a plan (``plan_id``), or unplanned: ``patient_id``, ``indication_code`` and a
    ``reason``."""

    plan_id: int | None = Field(None, ge=1, le=_MAX_ID)
    patient_id: int | None = Field(None, ge=1, le=_MAX_ID)
    indication_code: CleanStr = Field("", max_length=60)
    reason: CleanStr = Field("", max_length=5000)


class LineIn(InputSchema):
    code: CleanStr = Field(..., min_length=1, max_length=60, examples=["nctf-135ha"])
    volume: str = Field(..., max_length=20, examples=["3"])
    volume_unit: str = Field("mL", max_length=10)
    concentration: str | None = Field(None, max_length=20)
    concentration_unit: str = Field("mg/mL", max_length=10)
    batch_id: int | None = Field(None, ge=1, le=_MAX_ID)


class PointSchema(InputSchema):
    x: float = Field(..., description="Fraction of the drawing's width, 0 to 1.")
    y: float = Field(..., description="Fraction of the drawing's height, 0 to 1.")


class SessionAreaIn(InputSchema):
    region: CleanStr = Field(..., max_length=40, examples=["thigh-front-left"])
    technique_code: CleanStr = Field(..., max_length=60, examples=["nappage"])
    depth: str = Field(..., max_length=20, examples=["3"])
    depth_unit: str = Field("mm", max_length=10)
    needle_gauge: int | None = Field(None, ge=1, le=50)
    needle_length: str | None = Field(None, max_length=20)
    device: str = Field("manual", max_length=12)
    injections: int = Field(..., ge=1, le=10000)
    volume: str = Field("0", max_length=20)
    volume_unit: str = Field("mL", max_length=10)
    points: list[PointSchema] = Field(default_factory=list, max_length=500)


class PointIn(InputSchema):
    x: float
    y: float


class SessionReactionIn(InputSchema):
    kind: str = Field(..., max_length=20, examples=["bruising"])
    severity: str = Field(..., max_length=20, examples=["mild"])


class SessionDetailsIn(InputSchema):
    """The rest of the session: numbing cream, first and last injection, reactions, notes.
    Times without an offset are read in the clinic's time zone. The body replaces what was
    recorded, so ``notes`` is required (it may be empty): a stray empty body clears nothing.
    """

    anaesthetic_product: CleanStr = Field("", max_length=120, examples=["Lidocaine 5 % cream"])
    anaesthetic_applied_at: datetime | None = None
    treatment_start: datetime | None = None
    treatment_end: datetime | None = None
    reactions: list[SessionReactionIn] = Field(default_factory=list, max_length=6)
    notes: CleanStr = Field(..., max_length=10000)


class SignIn(InputSchema):
    # Required (it may be empty): signing is final, so an empty or stray body must not sign.
    notes: CleanStr = Field(..., max_length=10000)


def _session(request: HttpRequest, session_id: int, action: Action) -> TreatmentSession:
    if not 1 <= session_id <= _MAX_ID:
        raise NotFound("No such session.")
    session = session_get(clinic_id=api_caller(request).clinic.pk, pk=session_id)
    session.patient = patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=session.patient_id,
        action=action,
    )  # fmt: skip
    return session


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def session_out(session: TreatmentSession) -> dict[str, Any]:
    summary = cocktail_summary(session=session, weight_kg=None)
    minutes, duration_finding = session_duration(session=session)
    return {
        "id": session.pk,
        "patient_id": session.patient_id,
        "plan_id": session.plan_id,
        "indication_code": session.indication_code,
        "unplanned_reason": session.unplanned_reason,
        "status": session.status,
        "started_at": session.started_at.isoformat(),
        "signed_at": session.signed_at.isoformat() if session.signed_at else None,
        "notes": session.notes,
        "anaesthetic_product": session.anaesthetic_product,
        "anaesthetic_applied_at": _iso(session.anaesthetic_applied_at),
        "treatment_start": _iso(session.treatment_start),
        "treatment_end": _iso(session.treatment_end),
        "duration_minutes": minutes,
        "duration_finding": None
        if duration_finding is None
        else {"code": duration_finding.code, "message": duration_finding.message},
        "reactions": [{"kind": k, "severity": v} for k, v in (session.reactions or {}).items()],
        "cocktail": [
            {
                "id": line.pk,
                "code": line.code,
                "volume_ml": str(line.volume_ml),
                "concentration_mg_ml": None
                if line.concentration_mg_ml is None
                else str(line.concentration_mg_ml),
                "batch_id": line.batch_id,
                "lot": line.lot,
            }
            for line in session.cocktail_lines.all()
        ],  # fmt: skip
        "totals_mg": {k: str(v) for k, v in summary.totals_mg.items()},
        "total_ml": str(summary.total_ml),
        "areas": [
            {
                "id": a.pk,
                "region": a.region,
                "technique_code": a.technique_code,
                "depth_mm": str(a.depth_mm),
                "needle_gauge": a.needle_gauge,
                "needle_length_mm": None if a.needle_length_mm is None else str(a.needle_length_mm),
                "device": a.device,
                "injections": a.injections,
                "volume_ml": str(a.volume_ml),
                "points": [{"id": p.pk, "x": str(p.x), "y": str(p.y)} for p in a.points.all()],
            }
            for a in session.chart_areas.all()
        ],  # fmt: skip
        "addenda": [
            {
                "text": a.text,
                "reason": a.reason,
                "written_at": a.written_at.isoformat(),
                "author": str(a.author),
            }
            for a in session_addenda(session=session)
        ],  # fmt: skip
    }


def _fresh(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return session_out(_session(request, session_id, Action.TREATMENT_VIEW))


@router.post(
    "/sessions",
    response={201: dict[str, Any], **ERROR_RESPONSES},
    summary="Start a treatment session (409 with the gate's reasons when refused)",
    auth=allow(Action.TREATMENT_RECORD, doing="start treatment sessions"),
)
def start_session(request: HttpRequest, payload: SessionIn) -> Any:
    caller = api_caller(request)
    plan = None
    if payload.plan_id is not None:
        plan = plan_get(clinic_id=caller.clinic.pk, pk=payload.plan_id)
        patient_id = plan.patient_id
    elif payload.patient_id is not None:
        patient_id = payload.patient_id
    else:
        from pistor.core.errors import ValidationFailed

        raise ValidationFailed(
            "Give a plan, or a patient with an indication and a reason.",
            fields={"plan_id": ["Required unless patient_id is given."]},
        )
    patient = patient_get_for_user(
        request_or_user=request, clinic=caller.clinic, pk=patient_id,
        action=Action.TREATMENT_RECORD,
    )  # fmt: skip
    if plan is not None:
        plan.patient = patient
    session = services.session_start(
        clinic=caller.clinic, patient=patient, plan=plan, by=caller.user,
        indication_code=payload.indication_code, unplanned_reason=payload.reason,
    )  # fmt: skip
    return Status(201, _fresh(request, session.pk))


@router.get(
    "/patients/{patient_id}/sessions",
    response={200: list[dict[str, Any]], **ERROR_RESPONSES},
    summary="A patient's treatment sessions, newest first",
    auth=allow(Action.TREATMENT_VIEW, doing="read treatment sessions"),
)
def list_sessions(request: HttpRequest, patient_id: int) -> Any:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    patient = patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id,
        action=Action.TREATMENT_VIEW,
    )  # fmt: skip
    return [
        {"id": s.pk, "status": s.status, "started_at": s.started_at.isoformat(),
         "indication_code": s.indication_code, "plan_id": s.plan_id}
        for s in session_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    ]  # fmt: skip


@router.get(
    "/sessions/{session_id}",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="A session with its cocktail, chart, addenda",
    auth=allow(Action.TREATMENT_VIEW, doing="read treatment sessions"),
)
def get_session(request: HttpRequest, session_id: int) -> Any:
    return _fresh(request, session_id)


@router.post(
    "/sessions/{session_id}/lines",
    response={201: dict[str, Any], **ERROR_RESPONSES},
    summary="Add a cocktail line (re-screened; a block answers 409)",
    auth=allow(Action.TREATMENT_RECORD, doing="record treatment sessions"),
)
def add_line(request: HttpRequest, session_id: int, payload: LineIn) -> Any:
    session = _session(request, session_id, Action.TREATMENT_RECORD)
    services.cocktail_line_add(session=session, by=api_caller(request).user, **payload.dict())
    return Status(201, _fresh(request, session_id))


@router.post(
    "/sessions/{session_id}/areas",
    response={201: dict[str, Any], **ERROR_RESPONSES},
    summary="Chart an area with its points",
    auth=allow(Action.TREATMENT_RECORD, doing="record treatment sessions"),
)
def add_area(request: HttpRequest, session_id: int, payload: SessionAreaIn) -> Any:
    session = _session(request, session_id, Action.TREATMENT_RECORD)
    data = payload.dict()
    points = [services.PointIn(p["x"], p["y"]) for p in data.pop("points")]
    services.chart_area_add(session=session, by=api_caller(request).user, points=points, **data)
    return Status(201, _fresh(request, session_id))


@router.post(
    "/sessions/{session_id}/areas/{area_id}/points",
    response={201: dict[str, Any], **ERROR_RESPONSES},
    summary="Mark one more point of an area",
    auth=allow(Action.TREATMENT_RECORD, doing="record treatment sessions"),
)
def add_point(request: HttpRequest, session_id: int, area_id: int, payload: PointIn) -> Any:
    session = _session(request, session_id, Action.TREATMENT_RECORD)
    area = chart_area_get(session=session, pk=area_id)
    services.chart_point_add(area=area, by=api_caller(request).user, x=payload.x, y=payload.y)
    return Status(201, _fresh(request, session_id))


@router.post(
    "/sessions/{session_id}/details",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="Record the numbing cream, the injection times, immediate reactions and notes",
    auth=allow(Action.TREATMENT_RECORD, doing="record treatment sessions"),
)
def set_details(request: HttpRequest, session_id: int, payload: SessionDetailsIn) -> Any:
    session = _session(request, session_id, Action.TREATMENT_RECORD)
    data = payload.dict()
    reactions = [services.ReactionIn(r["kind"], r["severity"]) for r in data.pop("reactions")]
    services.session_details_set(
        session=session, by=api_caller(request).user, reactions=reactions, **data
    )
    return _fresh(request, session_id)


@router.post(
    "/sessions/{session_id}/sign",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="Sign and lock the session; takes the volumes used out of stock",
    auth=allow(Action.TREATMENT_SIGN, doing="sign treatment sessions"),
)
def sign_session(request: HttpRequest, session_id: int, payload: SignIn) -> Any:
    session = _session(request, session_id, Action.TREATMENT_SIGN)
    services.session_sign(session=session, signer=api_caller(request).user, notes=payload.notes)
    return _fresh(request, session_id)


@router.post(
    "/sessions/{session_id}/addenda",
    response={201: dict[str, Any], **ERROR_RESPONSES},
    summary="Add an addendum to a signed session",
    auth=allow(Action.TREATMENT_RECORD, doing="add addenda to treatment sessions"),
)
def add_addendum(request: HttpRequest, session_id: int, payload: AddendumIn) -> Any:
    session = _session(request, session_id, Action.TREATMENT_RECORD)
    services.session_add_addendum(
        session=session, author=api_caller(request).user, text=payload.text,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, _fresh(request, session_id))


@router.get(
    "/sessions/{session_id}/aftercare",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="The aftercare advice for a session",
    auth=allow(Action.TREATMENT_VIEW, doing="read aftercare"),
)
def get_aftercare(request: HttpRequest, session_id: int) -> Any:
    care = aftercare_for_session(session=_session(request, session_id, Action.TREATMENT_VIEW))
    return {
        "do": [{"title": t, "text": x, "timing": m} for t, x, m in care.do],
        "expected": [{"side_effect": n, "duration": d} for n, d in care.expected],
        "call_us": list(care.call_us),
        "next_window": [d.isoformat() for d in care.next_window] if care.next_window else None,
    }


@router.get(
    "/sessions/{session_id}/aftercare.pdf",
    response={200: None, **ERROR_RESPONSES},
    summary="The aftercare sheet as a PDF",
    auth=allow(Action.TREATMENT_VIEW, doing="read aftercare"),
)
def get_aftercare_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id, Action.TREATMENT_VIEW)
    pdf = aftercare_pdf(session=session, aftercare=aftercare_for_session(session=session))
    return HttpResponse(pdf, content_type="application/pdf")


__all__ = ["router"]
