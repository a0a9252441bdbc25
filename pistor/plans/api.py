"""Plans, quotes, the gate and the price list over the API.

Each operation declares its permission where it is routed; patients are fetched through
``pistor.patients.access``; writes go through ``pistor.plans.services``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema, PlainDate
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import NotFound
from pistor.patients.access import patient_get_for_user
from pistor.patients.models import Patient
from pistor.plans.constants import MAX_AREAS, MAX_SESSIONS, PriceKind
from pistor.plans.models import Plan
from pistor.plans.pdf import quote_pdf
from pistor.plans.selectors import (
    GatePanel,
    Quote,
    QuotePart,
    plan_gate,
    plan_get,
    plan_list,
    plan_quote,
    plan_session_get,
    price_list,
    vat_rate_get,
)
from pistor.plans.services import (
    plan_create,
    plan_session_update,
    price_item_delete,
    price_item_set,
    pricing_settings_set,
)

router = Router(tags=["plans"])

_MAX_ID = 2**63 - 1
_PDF = {
    "responses": {
        "200": {
            "description": "PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class PlanIn(InputSchema):
    """A plan from a catalog or clinic protocol for the indication. A session count
    outside the protocol's range needs a ``reason``."""

    patient_id: int = Field(..., ge=1, le=_MAX_ID)
    indication_code: CleanStr = Field(
        ..., min_length=1, max_length=60, examples=["skin-rejuvenation"]
    )
    protocol_code: CleanStr = Field(
        ..., min_length=1, max_length=60, examples=["seed-course-10-weekly"]
    )
    first_session: PlainDate = Field(..., description="YYYY-MM-DD")
    sessions: int | None = Field(None, ge=1, le=MAX_SESSIONS)
    areas: list[CleanStr] = Field(..., min_length=1, max_length=MAX_AREAS, examples=[["face"]])
    technique_code: CleanStr = Field(..., min_length=1, max_length=60, examples=["nappage"])
    product_codes: list[CleanStr] = Field(
        ..., min_length=1, max_length=30, examples=[["nctf-135ha"]]
    )
    reason: CleanStr = Field("", max_length=5000)


class PlanSessionIn(InputSchema):
    """Move a session or change what it plans; outside its window needs a ``note``."""

    planned_on: PlainDate
    areas: list[CleanStr] = Field(..., min_length=1, max_length=MAX_AREAS)
    technique_code: CleanStr = Field(..., min_length=1, max_length=60)
    product_codes: list[CleanStr] = Field(..., min_length=1, max_length=30)
    note: CleanStr = Field("", max_length=5000)


class PlanSessionOut(Schema):
    number: int
    phase: str
    maintenance: bool
    earliest: dt.date
    target: dt.date
    latest: dt.date
    planned_on: dt.date
    areas: list[str]
    technique_code: str
    product_codes: list[str]
    note: str


class PlanOut(Schema):
    id: int
    patient_id: int
    indication_code: str
    protocol_code: str
    protocol_name: str
    catalog_version: str
    technique_code: str
    areas: list[str]
    product_codes: list[str]
    first_session: dt.date
    warnings: list[str]
    adjustment_reason: str
    sessions: list[PlanSessionOut]


class PlanSummaryOut(Schema):
    id: int
    protocol_name: str
    indication_code: str
    first_session: dt.date


class QuoteLineOut(Schema):
    description: str
    quantity: int
    unit_price: Decimal
    total: Decimal


class QuotePartOut(Schema):
    sessions: int
    lines: list[QuoteLineOut]
    net: Decimal
    vat: Decimal
    gross: Decimal


class QuoteOut(Schema):
    currency: str
    vat_rate: Decimal
    course: QuotePartOut
    maintenance_year: QuotePartOut
    missing_prices: list[str]


class GateStepOut(Schema):
    key: str
    title: str
    done: bool
    problems: list[str]
    link: str


class GateOut(Schema):
    open: bool
    steps: list[GateStepOut]


class PriceIn(InputSchema):
    """A price before VAT: a session for an indication (optionally one area), or a product."""

    kind: PriceKind
    indication_code: CleanStr = Field("", max_length=60)
    area: CleanStr = Field("", max_length=60)
    product_code: CleanStr = Field("", max_length=60)
    amount: Decimal = Field(..., ge=0, le=100000, max_digits=8, decimal_places=2)


class PriceOut(Schema):
    id: int
    kind: str
    indication_code: str
    area: str
    product_code: str
    amount: Decimal


class PriceListOut(Schema):
    currency: str
    vat_rate: Decimal
    items: list[PriceOut]


class VatIn(InputSchema):
    vat_rate: Decimal = Field(..., ge=0, le=100, max_digits=5, decimal_places=2)


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


def _plan(request: HttpRequest, plan_id: int, action: Action) -> Plan:
    if not 1 <= plan_id <= _MAX_ID:
        raise NotFound("No such plan.")
    plan = plan_get(clinic_id=api_caller(request).clinic.pk, pk=plan_id)
    plan.patient = _patient(request, plan.patient_id, action)
    return plan


def _plan_out(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "patient_id": plan.patient_id,
        "indication_code": plan.indication_code,
        "protocol_code": plan.protocol_code,
        "protocol_name": plan.protocol_name,
        "catalog_version": plan.catalog_version,
        "technique_code": plan.technique_code,
        "areas": plan.areas,
        "product_codes": plan.product_codes,
        "first_session": plan.first_session,
        "warnings": plan.warnings,
        "adjustment_reason": plan.adjustment_reason,
        "sessions": list(plan.planned_sessions.all()),
    }


def _part(part: QuotePart) -> dict[str, Any]:
    return {
        "sessions": part.sessions,
        "lines": list(part.lines),
        "net": part.net,
        "vat": part.vat,
        "gross": part.gross,
    }


def _quote_out(quote: Quote) -> dict[str, Any]:
    return {
        "currency": quote.currency,
        "vat_rate": quote.vat_rate,
        "course": _part(quote.course),
        "maintenance_year": _part(quote.maintenance),
        "missing_prices": list(quote.missing),
    }


def _gate_out(panel: GatePanel) -> dict[str, Any]:
    return {
        "open": panel.open,
        "steps": [
            {
                "key": s.key,
                "title": s.title,
                "done": s.done,
                "problems": list(s.problems),
                "link": s.link,
            }
            for s in panel.steps
        ],
    }


@router.post(
    "",
    response={201: PlanOut, **ERROR_RESPONSES},
    summary="Lay out a treatment plan from a protocol",
    auth=allow(Action.PLAN_MANAGE, doing="make treatment plans"),
)
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    patient = _patient(request, payload.patient_id, Action.PLAN_MANAGE)
    data = payload.model_dump(exclude={"patient_id"})
    plan = plan_create(clinic=caller.clinic, patient=patient, by=caller.user, **data)
    return Status(201, _plan_out(plan_get(clinic_id=caller.clinic.pk, pk=plan.pk)))


@router.get(
    "/patient/{patient_id}",
    response={200: list[PlanSummaryOut], **ERROR_RESPONSES},
    summary="A patient's plans",
    auth=allow(Action.PLAN_VIEW, doing="read treatment plans"),
)
def list_plans(request: HttpRequest, patient_id: int) -> list[Plan]:
    patient = _patient(request, patient_id, Action.PLAN_VIEW)
    return plan_list(clinic_id=patient.clinic_id, patient_id=patient.pk)


@router.get(
    "/prices",
    response={200: PriceListOut, **ERROR_RESPONSES},
    summary="The clinic's price list and VAT rate",
    auth=allow(Action.PLAN_VIEW, doing="read the price list"),
)
def get_prices(request: HttpRequest) -> dict[str, Any]:
    clinic = api_caller(request).clinic
    return {
        "currency": clinic.currency,
        "vat_rate": vat_rate_get(clinic_id=clinic.pk),
        "items": price_list(clinic_id=clinic.pk),
    }


@router.post(
    "/prices",
    response={200: PriceOut, **ERROR_RESPONSES},
    summary="Set a price (replaces the line for the same item)",
    auth=allow(Action.PRICE_LIST_MANAGE, doing="change prices"),
)
def set_price(request: HttpRequest, payload: PriceIn) -> Any:
    caller = api_caller(request)
    return price_item_set(clinic=caller.clinic, by=caller.user, **payload.model_dump())


@router.delete(
    "/prices/{price_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a price",
    auth=allow(Action.PRICE_LIST_MANAGE, doing="change prices"),
)
def delete_price(request: HttpRequest, price_id: int) -> Status[None]:
    if not 1 <= price_id <= _MAX_ID:
        raise NotFound("No such price.")
    caller = api_caller(request)
    price_item_delete(clinic=caller.clinic, by=caller.user, pk=price_id)
    return Status(204, None)


@router.put(
    "/vat",
    response={200: PriceListOut, **ERROR_RESPONSES},
    summary="Set the clinic's VAT rate for quotes",
    auth=allow(Action.PRICE_LIST_MANAGE, doing="change prices"),
)
def set_vat(request: HttpRequest, payload: VatIn) -> dict[str, Any]:
    caller = api_caller(request)
    pricing_settings_set(clinic=caller.clinic, by=caller.user, vat_rate=payload.vat_rate)
    return get_prices(request)


@router.get(
    "/{plan_id}",
    response={200: PlanOut, **ERROR_RESPONSES},
    summary="A plan with its dated course",
    auth=allow(Action.PLAN_VIEW, doing="read treatment plans"),
)
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    plan = _plan(request, plan_id, Action.PLAN_VIEW)
    return _plan_out(plan)


@router.put(
    "/{plan_id}/sessions/{number}",
    response={200: PlanSessionOut, **ERROR_RESPONSES},
    summary="Move a session or change what it plans",
    auth=allow(Action.PLAN_MANAGE, doing="change treatment plans"),
)
def update_session(request: HttpRequest, plan_id: int, number: int, payload: PlanSessionIn) -> Any:
    plan = _plan(request, plan_id, Action.PLAN_MANAGE)
    session = plan_session_get(plan=plan, number=number)
    return plan_session_update(session=session, by=api_caller(request).user, **payload.model_dump())


@router.get(
    "/{plan_id}/quote",
    response={200: QuoteOut, **ERROR_RESPONSES},
    summary="The plan's cost: the course and a year of maintenance, with VAT",
    auth=allow(Action.PLAN_VIEW, doing="read treatment plans"),
)
def get_quote(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    plan = _plan(request, plan_id, Action.PLAN_VIEW)
    return _quote_out(plan_quote(plan=plan))


@router.get(
    "/{plan_id}/quote.pdf",
    response=ERROR_RESPONSES,
    summary="The quote as a PDF with the clinic's details",
    auth=allow(Action.PLAN_VIEW, doing="read treatment plans"),
    openapi_extra=_PDF,
)
def get_quote_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id, Action.PLAN_VIEW)
    pdf = quote_pdf(plan=plan, patient=plan.patient, quote=plan_quote(plan=plan))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="quote-plan-{plan.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/{plan_id}/gate",
    response={200: GateOut, **ERROR_RESPONSES},
    summary="What is still missing before the first session",
    auth=allow(Action.PLAN_VIEW, doing="read treatment plans"),
)
def get_gate(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    plan = _plan(request, plan_id, Action.PLAN_VIEW)
    return _gate_out(plan_gate(plan=plan, now=clock.now()))
