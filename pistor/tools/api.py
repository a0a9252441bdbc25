"""The clinical tools over the API: the same questions the pages ask, the same answers.

Each endpoint parses its body, calls one ``pistor.tools.services`` function and returns the
core's answer. Amounts are ``{"value": "0.2", "unit": "mL"}``. Bad clinical data (an unknown
code, a negative depth, a unit that does not fit) answers 422 with
``{"message": ..., "extra": {"field": "areas[0].depth"}}``. Every endpoint needs
``clinical_tools.use`` (practitioners, nurses, managers; not reception).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, PlainDate
from pistor.catalog.api import PlannedSessionOut, QuantityOut
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Catalog
from pistor.clinical.findings import Finding
from pistor.clinical.units import Quantity
from pistor.clinics.permissions import Action
from pistor.tools import services

router = Router(tags=["clinical"])

Number = str | int | float


# Declared on every route: the role is checked before the body is parsed.
USE = allow(Action.CLINICAL_TOOLS_USE, doing="use the clinical tools")


def _use(request: HttpRequest) -> Any:
    return api_caller(request)


def _quantity(value: Quantity | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"value": format(value.value.normalize(), "f"), "unit": value.unit.value}


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class QuantityIn(Schema):
    value: Number = Field(..., description='A decimal number, best sent as text: "0.2".')
    unit: str = Field(..., max_length=20, description="mL, uL, mg, mcg, mm, mg/mL, %, ...")


class PatientIn(Schema):
    """The patient's facts as catalog codes; with ``patient_id`` the registry's win."""

    birth_date: PlainDate | None = None
    age_years: int | None = Field(None, description="Used when the birth date is not given.")
    sex: str | None = Field(None, max_length=20)
    weight_kg: Number | None = None
    pregnant: bool = False
    breastfeeding: bool = False
    conditions: list[str] = Field(default_factory=list, max_length=100)
    medications: list[str] = Field(default_factory=list, max_length=100)
    allergens: list[str] = Field(default_factory=list, max_length=100)
    fitzpatrick: int | None = Field(None, description="Fitzpatrick skin type, 1 to 6.")


class NeedleIn(Schema):
    gauge: int
    length: QuantityIn


class AreaIn(Schema):
    area: str = Field("", max_length=100)
    technique: str = Field(..., max_length=100, description="A technique code: papule, ...")
    depth: QuantityIn
    needle: NeedleIn | None = None
    injections: int | None = None
    volume_per_injection: QuantityIn | None = None


class CocktailLineIn(Schema):
    code: str = Field(..., max_length=100, description="An ingredient or product code.")
    volume: QuantityIn | None = None
    concentration: QuantityIn | None = None
    amount: QuantityIn | None = Field(None, description="The mass, for an ingredient.")


class ProposalIn(Schema):
    indication: str = Field(..., max_length=100)
    protocol: str | None = Field(None, max_length=100)
    date: PlainDate | None = Field(None, description="The treatment date; today if absent.")
    areas: list[AreaIn] = Field(default_factory=list, max_length=services.MAX_AREAS)
    cocktail: list[CocktailLineIn] = Field(
        default_factory=list, max_length=services.MAX_COCKTAIL_LINES
    )


class ScreenIn(Schema):
    patient_id: int | None = Field(
        None, description="Attach a patient record: the opening and the run are audited."
    )
    patient: PatientIn | None = None
    proposal: ProposalIn


class EvidenceOut(Schema):
    tag: str
    label: str
    url: str | None
    kind: str = Field(..., description="source, patient, protocol or other.")


class FindingOut(Schema):
    code: str
    severity: str = Field(..., description="block, warn or info.")
    message: str
    evidence: list[EvidenceOut]


class ScreenOut(Schema):
    verdict: str = Field(..., description="block, warn, info (notes only) or none.")
    blocked: bool
    findings: list[FindingOut]
    catalog_version: str
    patient_id: int | None


class PlanIn(Schema):
    protocol: str = Field(..., max_length=100, description="A built-in or clinic protocol.")
    first_session: PlainDate
    sessions: int | None = Field(None, description="Sessions in the first phase.")
    done_dates: list[PlainDate] = Field(default_factory=list, max_length=services.MAX_DONE_DATES)


class ProtocolRefOut(Schema):
    code: str
    name: str


class PlanOut(Schema):
    protocol: ProtocolRefOut
    first_session: dt.date
    planned: list[PlannedSessionOut]
    adherence: list[FindingOut]
    replanned: list[PlannedSessionOut] = Field(
        ..., description="The sessions still to come, from today; empty if none was done."
    )
    today: dt.date


class CocktailIn(Schema):
    indication: str = Field(..., max_length=100)
    patient_id: int | None = None
    patient: PatientIn | None = None


class SuggestionOut(Schema):
    family: str
    code: str
    kind: str = Field(..., description="ingredient or product.")
    name: str
    usual_concentration: QuantityOut | None
    excluded: bool
    reasons: list[str] = Field(..., description="Why it is excluded for this patient.")
    cautions: list[str]


class CocktailOut(Schema):
    note: str
    indication: str
    suggestions: list[SuggestionOut]


class LidocaineIn(Schema):
    weight_kg: Number
    with_adrenaline: bool = False
    concentration: QuantityIn | None = None
    volume: QuantityIn | None = None


class LidocaineOut(Schema):
    weight_kg: str
    with_adrenaline: bool
    maximum: QuantityOut
    planned: QuantityOut | None
    percent_of_maximum: str | None
    max_volume: QuantityOut | None = Field(..., description="The most at this concentration.")
    over_maximum: bool


class ScoreIn(Schema):
    scale: str = Field(..., max_length=100)
    answers: dict[str, Number] = Field(..., description="Item code to value.")


class ItemScoreOut(Schema):
    code: str
    label: str
    value: str


class ScoreOut(Schema):
    scale: str
    total: str
    band: str | None
    band_uncertain: bool
    items: list[ItemScoreOut]


def _findings(findings: tuple[Finding, ...] | list[Finding], catalog: Catalog) -> list[Any]:
    return [
        {
            "code": f.code,
            "severity": f.severity.value,
            "message": f.message,
            "evidence": [vars(e) for e in services.evidence_for(f, catalog)],
        }
        for f in findings
    ]


# --------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------


@router.post("/plan", response={200: PlanOut, **ERROR_RESPONSES}, summary="Plan a course", auth=USE)
def plan(request: HttpRequest, payload: PlanIn) -> dict[str, Any]:
    """A protocol's dated course; with ``done_dates``, adherence and the rest replanned."""
    caller = _use(request)
    result = services.course_plan(
        clinic=caller.clinic,
        protocol_code=payload.protocol,
        first_session=payload.first_session,
        sessions=payload.sessions,
        done_dates=payload.done_dates,
        today=timezone.localdate(),
    )
    catalog = catalog_for_clinic(clinic=caller.clinic)
    return {
        "protocol": {"code": result.protocol.code, "name": result.protocol.name},
        "first_session": result.first_session,
        "planned": [vars(s) for s in result.planned],
        "adherence": _findings(result.adherence, catalog),
        "replanned": [vars(s) for s in result.replanned],
        "today": result.today,
    }


@router.post(
    "/screen", response={200: ScreenOut, **ERROR_RESPONSES}, summary="Safety screen", auth=USE
)
def screen(request: HttpRequest, payload: ScreenIn) -> dict[str, Any]:
    """Every finding for giving the proposed session to this patient, blocks first."""
    caller = _use(request)
    body = payload.model_dump()
    outcome = services.screen_run(
        request_or_user=request,
        clinic=caller.clinic,
        patient_id=payload.patient_id,
        patient_data=body["patient"],
        proposal_data=body["proposal"],
        today=timezone.localdate(),
    )
    screening = outcome.screening
    verdict = (
        "block"
        if screening.blocked
        else "warn"
        if screening.warnings
        else "info"
        if screening.findings
        else "none"
    )
    return {
        "verdict": verdict,
        "blocked": screening.blocked,
        "findings": _findings(screening.findings, outcome.catalog),
        "catalog_version": outcome.catalog.version,
        "patient_id": outcome.patient.pk if outcome.patient else None,
    }


@router.post(
    "/cocktail-suggestions",
    response={200: CocktailOut, **ERROR_RESPONSES},
    summary="Cocktail suggestions",
    auth=USE,
)
def cocktail_suggestions(request: HttpRequest, payload: CocktailIn) -> dict[str, Any]:
    """A starting point to tailor, never a prescription: excluded entries say why."""
    caller = _use(request)
    outcome = services.cocktail_suggest(
        request_or_user=request,
        clinic=caller.clinic,
        indication=payload.indication,
        patient_id=payload.patient_id,
        patient_data=payload.model_dump()["patient"],
        today=timezone.localdate(),
    )
    return {
        "note": "A starting point to tailor, never a prescription.",
        "indication": outcome.indication,
        "suggestions": [
            {
                "family": s.family,
                "code": s.ingredient_code,
                "kind": s.kind,
                "name": s.name,
                "usual_concentration": _quantity(s.usual_concentration),
                "excluded": s.excluded,
                "reasons": list(s.reasons),
                "cautions": list(s.cautions),
            }
            for s in outcome.suggestions
        ],
    }


@router.post(
    "/lidocaine-max",
    response={200: LidocaineOut, **ERROR_RESPONSES},
    summary="Lidocaine maximum",
    auth=USE,
)
def lidocaine_max(request: HttpRequest, payload: LidocaineIn) -> dict[str, Any]:
    """The label maximum for the weight; with a concentration and volume, the dose against it."""
    _use(request)
    body = payload.model_dump()
    result = services.lidocaine_maximum(
        weight_kg=body["weight_kg"],
        with_adrenaline=body["with_adrenaline"],
        concentration=body["concentration"],
        volume=body["volume"],
    )
    return {
        "weight_kg": _decimal(result.weight_kg),
        "with_adrenaline": result.with_adrenaline,
        "maximum": _quantity(result.maximum),
        "planned": _quantity(result.planned),
        "percent_of_maximum": _decimal(result.percent_of_maximum),
        "max_volume": _quantity(result.max_volume),
        "over_maximum": result.over,
    }


@router.post(
    "/score", response={200: ScoreOut, **ERROR_RESPONSES}, summary="Score a scale", auth=USE
)
def score(request: HttpRequest, payload: ScoreIn) -> dict[str, Any]:
    """The total and band; errors name the item code as their field."""
    _use(request)
    result = services.scale_score(scale_code=payload.scale, answers=payload.answers)
    return {
        "scale": result.scale.code,
        "total": _decimal(result.total),
        "band": result.band,
        "band_uncertain": result.band_uncertain,
        "items": [
            {"code": i.code, "label": i.label, "value": _decimal(i.value)} for i in result.items
        ],
    }
