"""The clinical tools over the API: the same questions the pages ask, the same answers.

Each body schema is strict (unknown fields and wrong types refused, bounds stated in the
OpenAPI schema) and builds the clinical core's inputs itself (``PatientFacts``,
``TreatmentProposal``, ``Quantity``); the endpoint calls one ``pistor.tools.services``
function and returns the core's answer. Amounts are ``{"value": "0.2", "unit": "mL"}``. Bad
data (an unknown code, a negative depth, a unit that does not fit) answers 422 with
``{"message": ..., "extra": {"fields": {"areas[0].depth": [...]}, ...}}``. Every endpoint
declares ``clinical_tools.use`` (practitioners, nurses, managers; not reception).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from pydantic import Strict, StrictBool, StrictInt, StringConstraints, model_validator

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, ClinicDate, Code, InputSchema
from pistor.catalog.api import PlannedSessionOut, QuantityOut
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Catalog, Needle
from pistor.clinical.dosing import CocktailLine
from pistor.clinical.findings import Finding
from pistor.clinical.safety import AreaPlan, EarlierSession, PatientFacts, TreatmentProposal
from pistor.clinical.units import Dimension, Quantity
from pistor.clinics.permissions import Action
from pistor.tools import services
from pistor.tools.limits import (
    MAX_AGE_YEARS,
    MAX_AMOUNT,
    MAX_AREAS,
    MAX_COCKTAIL_LINES,
    MAX_DONE_DATES,
    MAX_EARLIER_SESSIONS,
    MAX_FACT_CODES,
    MAX_INJECTIONS,
    MAX_NEEDLE_GAUGE,
    MAX_SESSIONS,
    MAX_WEIGHT_KG,
)

router = Router(tags=["clinical"])

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


Amount = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=6, allow_inf_nan=False),
]


class AmountIn(InputSchema):
    """An amount with its unit: ``{"value": "0.2", "unit": "mL"}``."""

    value: Amount = Field(..., description='A decimal number, best sent as text: "0.2".')
    unit: str = Field(
        ..., min_length=1, max_length=20, description="mL, uL, mg, mcg, mm, mg/mL, %, ..."
    )

    def quantity(self, field: str) -> Quantity:
        return Quantity.of(self.value, self.unit, field=field)


def _quantity_of(amount: AmountIn | None, field: str) -> Quantity | None:
    return None if amount is None else amount.quantity(field)


class CocktailLineIn(InputSchema):
    code: Code = Field(..., description="An ingredient or product code.")
    volume: AmountIn | None = None
    concentration: AmountIn | None = None
    amount: AmountIn | None = Field(None, description="The mass, for an ingredient.")

    def line(self, index: int, *, prefix: str = "cocktail") -> CocktailLine:
        where = f"{prefix}[{index}]"
        return CocktailLine(
            code=self.code,
            volume=_quantity_of(self.volume, f"{where}.volume"),
            concentration=_quantity_of(self.concentration, f"{where}.concentration"),
            amount=_quantity_of(self.amount, f"{where}.amount"),
        )


class EarlierSessionIn(InputSchema):
    """A session the patient has already had, for label intervals and session counts."""

    date: ClinicDate
    protocol: Code | None = None
    ingredients: list[CocktailLineIn] = Field(..., max_length=MAX_COCKTAIL_LINES)

    def session(self, index: int) -> EarlierSession:
        where = f"patient.earlier_sessions[{index}].ingredients"
        return EarlierSession(
            date=self.date,
            ingredients=tuple(
                line.line(i, prefix=where) for i, line in enumerate(self.ingredients)
            ),
            protocol=self.protocol,
        )


class PatientFactsIn(InputSchema):
    """The patient's facts as catalog codes; with ``patient_id`` the registry's win."""

    birth_date: ClinicDate | None = None
    age_years: StrictInt | None = Field(
        None, ge=0, le=MAX_AGE_YEARS, description="Used when the birth date is not given."
    )
    sex: Literal["female", "male", "other", "unknown"] | None = None
    weight_kg: (
        Annotated[
            Decimal,
            Field(gt=0, le=MAX_WEIGHT_KG, max_digits=6, decimal_places=2, allow_inf_nan=False),
        ]
        | None
    ) = None
    pregnant: StrictBool = False
    breastfeeding: StrictBool = False
    conditions: list[Code] = Field(default_factory=list, max_length=MAX_FACT_CODES)
    medications: list[Code] = Field(default_factory=list, max_length=MAX_FACT_CODES)
    allergens: list[Code] = Field(default_factory=list, max_length=MAX_FACT_CODES)
    fitzpatrick: StrictInt | None = Field(
        None, ge=1, le=6, description="Fitzpatrick skin type, 1 to 6."
    )
    earlier_sessions: list[EarlierSessionIn] = Field(
        default_factory=list,
        max_length=MAX_EARLIER_SESSIONS,
        description="Sessions already given: the screen checks label intervals and counts.",
    )

    def facts(self) -> PatientFacts:
        """The core's ``PatientFacts``, built straight from the validated body."""
        return PatientFacts(
            birth_date=self.birth_date,
            age_years=self.age_years,
            sex=self.sex,
            weight_kg=self.weight_kg,
            pregnant=self.pregnant,
            breastfeeding=self.breastfeeding,
            conditions=frozenset(self.conditions),
            medications=frozenset(self.medications),
            allergens=frozenset(self.allergens),
            fitzpatrick=self.fitzpatrick,
            earlier_sessions=tuple(
                session.session(i) for i, session in enumerate(self.earlier_sessions)
            ),
        )


class NeedleIn(InputSchema):
    gauge: StrictInt = Field(..., ge=1, le=MAX_NEEDLE_GAUGE)
    length: AmountIn


class ProposalAreaIn(InputSchema):
    area: CleanStr = Field("", max_length=100)
    technique: Code = Field(..., description="A technique code: papule, ...")
    depth: AmountIn
    needle: NeedleIn | None = None
    injections: StrictInt | None = Field(None, ge=1, le=MAX_INJECTIONS)
    volume_per_injection: AmountIn | None = None

    def plan(self, index: int) -> AreaPlan:
        where = f"areas[{index}]"
        needle = None
        if self.needle is not None:
            length = self.needle.length.quantity(f"{where}.needle.length")
            needle = Needle(
                self.needle.gauge, length.require(Dimension.LENGTH, field=f"{where}.needle.length")
            )
        return AreaPlan(
            area=self.area.strip(),
            technique=self.technique,
            depth=self.depth.quantity(f"{where}.depth"),
            needle=needle,
            injections=self.injections,
            volume_per_injection=_quantity_of(
                self.volume_per_injection, f"{where}.volume_per_injection"
            ),
        )


class ProposalIn(InputSchema):
    indication: Code
    protocol: Code | None = None
    date: ClinicDate | None = Field(None, description="The treatment date; today if absent.")
    areas: list[ProposalAreaIn] = Field(default_factory=list, max_length=MAX_AREAS)
    cocktail: list[CocktailLineIn] = Field(default_factory=list, max_length=MAX_COCKTAIL_LINES)

    def proposal(self, *, today: dt.date) -> TreatmentProposal:
        """The core's ``TreatmentProposal``, built straight from the validated body."""
        return TreatmentProposal(
            indication=self.indication,
            areas=tuple(area.plan(i) for i, area in enumerate(self.areas)),
            cocktail=tuple(line.line(i) for i, line in enumerate(self.cocktail)),
            date=self.date or today,
            protocol=self.protocol,
        )


PatientId = Annotated[int, Strict(), Field(ge=1, le=2**31 - 1)]


class _AboutAPatient(InputSchema):
    patient_id: PatientId | None = Field(
        None, description="Attach a patient record: the opening and the run are audited."
    )
    patient: PatientFactsIn | None = Field(
        None, description="Required unless patient_id is given; with it, adds what is typed."
    )

    @model_validator(mode="after")
    def _someone(self) -> Any:
        # Screening "nobody" would screen a patient with no facts at all: a pregnant patient
        # would pass as not pregnant. Say who it is, or give the facts.
        if self.patient is None and self.patient_id is None:
            raise ValueError("Give the patient's facts (patient) or a patient_id.")
        return self

    def facts(self) -> PatientFacts:
        return self.patient.facts() if self.patient is not None else PatientFacts()


class ScreenIn(_AboutAPatient):
    proposal: ProposalIn


class EvidenceOut(Schema):
    tag: str
    label: str
    url: str | None
    kind: str = Field(..., description="source, patient, protocol or other.")


class ScreenFindingOut(Schema):
    code: str
    severity: str = Field(..., description="block, warn or info.")
    message: str
    evidence: list[EvidenceOut]


class ScreenOut(Schema):
    verdict: str = Field(..., description="block, warn, info (notes only) or none.")
    blocked: bool
    findings: list[ScreenFindingOut]
    catalog_version: str
    patient_id: int | None


class CoursePlanIn(InputSchema):
    protocol: Code = Field(..., description="A built-in or clinic protocol.")
    first_session: ClinicDate
    sessions: StrictInt | None = Field(
        None, ge=1, le=MAX_SESSIONS, description="Sessions in the first phase."
    )
    done_dates: list[ClinicDate] = Field(default_factory=list, max_length=MAX_DONE_DATES)


class ProtocolRefOut(Schema):
    code: str
    name: str


class CoursePlanOut(Schema):
    protocol: ProtocolRefOut
    first_session: dt.date
    planned: list[PlannedSessionOut]
    adherence: list[ScreenFindingOut]
    replanned: list[PlannedSessionOut] = Field(
        ..., description="The sessions still to come, from today; empty if none was done."
    )
    today: dt.date


class CocktailIn(_AboutAPatient):
    indication: Code


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


class LidocaineIn(InputSchema):
    weight_kg: Decimal = Field(
        ..., gt=0, le=MAX_WEIGHT_KG, max_digits=6, decimal_places=2, allow_inf_nan=False
    )
    # Left out, the lower maximum (without adrenaline) applies: the safe side.
    with_adrenaline: StrictBool = False
    concentration: AmountIn | None = None
    volume: AmountIn | None = None


class LidocaineOut(Schema):
    weight_kg: str
    with_adrenaline: bool
    maximum: QuantityOut
    planned: QuantityOut | None
    percent_of_maximum: str | None
    max_volume: QuantityOut | None = Field(..., description="The most at this concentration.")
    over_maximum: bool


ScoreValue = Annotated[
    Decimal, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, max_digits=12, allow_inf_nan=False)
]


class ScoreIn(InputSchema):
    scale: Code
    answers: dict[Annotated[str, StringConstraints(max_length=100)], ScoreValue] = Field(
        ..., max_length=200, description="Item code to value."
    )


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


@router.post(
    "/plan", response={200: CoursePlanOut, **ERROR_RESPONSES}, summary="Plan a course", auth=USE
)
def plan(request: HttpRequest, payload: CoursePlanIn) -> dict[str, Any]:
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
    today = timezone.localdate()
    outcome = services.screen_run(
        request_or_user=request,
        clinic=caller.clinic,
        patient_id=payload.patient_id,
        facts=payload.facts(),
        proposal=payload.proposal.proposal(today=today),
        today=today,
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
        facts=payload.facts(),
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
    result = services.lidocaine_maximum(
        weight_kg=payload.weight_kg,
        with_adrenaline=payload.with_adrenaline,
        concentration=_quantity_of(payload.concentration, "concentration"),
        volume=_quantity_of(payload.volume, "volume"),
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
