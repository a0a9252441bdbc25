"""The clinical catalog over the API: reference entries, sample courses, clinic entries.

Reads need ``catalog.view`` (every staff role); creating a clinic protocol or product needs
``catalog.manage`` (managers). A clinic's own entries are visible only to that clinic: any
other clinic gets the same 404 as for a code nobody uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, ClinicDate, InputSchema
from pistor.catalog import selectors, services
from pistor.catalog.drawing import next_monday
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Catalog, Product, Protocol
from pistor.clinical.protocols import plan_course
from pistor.clinical.units import Quantity
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound, ValidationFailed

router = Router(tags=["catalog"])


# --------------------------------------------------------------------------------------
# Out schemas: the catalog's dataclasses as JSON (amounts as {"value": "0.2", "unit": "mL"})
# --------------------------------------------------------------------------------------


class QuantityOut(Schema):
    value: str = Field(..., description="A decimal number as text, so nothing is rounded.")
    unit: str


class SourceOut(Schema):
    tag: str
    title: str
    urls: list[str]
    level: str = Field(..., description="label, consensus, study or secondary.")


class PhaseOut(Schema):
    name: str
    sessions_min: int
    sessions_default: int
    sessions_max: int
    interval_min_days: int
    interval_target_days: int
    interval_max_days: int


class MaintenanceOut(Schema):
    interval_min_days: int
    interval_target_days: int
    interval_max_days: int
    count: int | None = Field(None, description="None: open-ended.")


class ProtocolOut(Schema):
    code: str
    name: str
    description: str
    indications: list[str]
    phases: list[PhaseOut]
    sources: list[str]
    maintenance: MaintenanceOut | None
    label: bool = Field(..., description="A regulator label protocol: its numbers are limits.")
    configurable: bool
    clinic: bool = Field(..., description="True for this clinic's own protocol.")


class PlannedSessionOut(Schema):
    number: int
    phase: str
    earliest: dt.date
    target: dt.date
    latest: dt.date


class ProtocolDetailOut(ProtocolOut):
    sample_start: dt.date = Field(..., description="The first session of the sample course.")
    planned: list[PlannedSessionOut]


class ComponentOut(Schema):
    ingredient: str
    concentration: QuantityOut | None


class ProductOut(Schema):
    code: str
    name: str
    manufacturer: str
    description: str
    composition: list[ComponentOut]
    form: str
    sources: list[str]
    unit_volume: QuantityOut | None
    regulatory_status: str
    discontinued: bool
    clinic: bool


class CautionOut(Schema):
    fact: str
    severity: str = Field(..., description="block, warn or info.")
    message: str
    sources: list[str]
    configurable: bool


class LabelLimitsOut(Schema):
    max_volume_per_injection: QuantityOut | None
    max_volume_per_session: QuantityOut | None
    max_mass_per_session: QuantityOut | None
    max_sessions: int | None
    min_interval_days: int | None
    min_age_years: int | None
    sources: list[str]


class RegulatoryFlagOut(Schema):
    code: str
    severity: str
    message: str
    sources: list[str]


class IngredientOut(Schema):
    code: str
    name: str
    description: str
    classes: list[str]
    sources: list[str]
    allergens: list[str]
    cautions: list[CautionOut]
    tags: list[str]
    usual_concentration: QuantityOut | None
    label_limits: LabelLimitsOut | None
    regulatory: list[RegulatoryFlagOut]


class NeedleOut(Schema):
    gauge: int
    length: QuantityOut


class TechniqueOut(Schema):
    code: str
    name: str
    description: str
    depth_min: QuantityOut
    depth_max: QuantityOut
    angle: str
    spacing: str
    needles: list[NeedleOut]
    sources: list[str]
    uses_needle: bool


class CocktailFamilyOut(Schema):
    name: str
    purpose: str
    classes: list[str]
    ingredients: list[str]
    products: list[str]


class IndicationOut(Schema):
    code: str
    name: str
    description: str
    usual_areas: list[str]
    techniques: list[str]
    cocktail_families: list[CocktailFamilyOut]
    outcome_scales: list[str]
    protocols: list[str]
    course_length: str
    evidence_note: str = Field(..., description="How good the evidence for this use is.")
    sources: list[str]
    icd10: str | None
    icd10_note: str
    cosmetic: bool


class IndicationDetailOut(IndicationOut):
    source_details: list[SourceOut]


class ScaleItemOut(Schema):
    code: str
    label: str
    minimum: str
    maximum: str
    anchors: list[list[str]] = Field(..., description="[value, meaning] pairs.")
    step: str


class BandOut(Schema):
    minimum: str
    maximum: str
    label: str


class ScaleOut(Schema):
    code: str
    name: str
    description: str
    items: list[ScaleItemOut]
    scoring: str
    sources: list[str]
    bands: list[BandOut]
    bands_uncertain: bool
    lower_is_better: bool
    unit: str
    loinc: str | None


class SideEffectOut(Schema):
    code: str
    name: str
    description: str
    expected_duration: str
    duration_max_hours: int | None
    review_after_minutes: int | None = None  # longer than this is flagged for review
    red_flags: list[str]
    sources: list[str]
    expected: bool


class AftercareOut(Schema):
    code: str
    title: str
    text: str
    sources: list[str]
    techniques: list[str]
    indications: list[str]
    timing: str


class ChecklistItemOut(Schema):
    code: str
    title: str
    description: str
    order: int
    sources: list[str]


class HistoryOut(Schema):
    year: str
    event: str


class VersionOut(Schema):
    version: str
    history: list[HistoryOut]


def plain(value: Any) -> Any:
    """A catalog dataclass as JSON-ready data: amounts as value and unit, numbers as text."""
    if isinstance(value, Quantity):
        return {"value": format(value.value.normalize(), "f"), "unit": value.unit.value}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _get(entries: Mapping[str, Any], code: str, what: str) -> Any:
    try:
        return entries[code]
    except KeyError:
        raise NotFound(f"There is no {what} with the code '{code}'.") from None


# Declared on every read route: the role is checked before anything is parsed.
READ = allow(Action.CATALOG_VIEW, doing="read the catalog")


def _read(request: HttpRequest) -> Any:
    return api_caller(request)


def _protocol(protocol: Protocol, catalog: Catalog) -> dict[str, Any]:
    return {**plain(protocol), "clinic": protocol.code not in catalog.protocols}


def _product(product: Product, catalog: Catalog) -> dict[str, Any]:
    return {**plain(product), "clinic": product.code not in catalog.products}


# --------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------


@router.get(
    "/version", response={200: VersionOut, **ERROR_RESPONSES}, summary="Catalog version", auth=READ
)
def get_version(request: HttpRequest) -> dict[str, Any]:
    _read(request)
    catalog = load_catalog()
    return {
        "version": catalog.version,
        "history": [{"year": y, "event": e} for y, e in catalog.history],
    }


@router.get(
    "/indications",
    response={200: list[IndicationOut], **ERROR_RESPONSES},
    summary="Indications",
    auth=READ,
)
def list_indications(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(i) for i in load_catalog().indications.values()]


@router.get(
    "/indications/{code}",
    response={200: IndicationDetailOut, **ERROR_RESPONSES},
    summary="One indication, with its evidence note and sources",
    auth=READ,
)
def get_indication(request: HttpRequest, code: str) -> dict[str, Any]:
    _read(request)
    catalog = load_catalog()
    indication = _get(catalog.indications, code, "indication")
    sources = [plain(catalog.sources[t]) for t in indication.sources if t in catalog.sources]
    return {**plain(indication), "source_details": sources}


@router.get(
    "/protocols",
    response={200: list[ProtocolOut], **ERROR_RESPONSES},
    summary="Protocols: built-in and this clinic's own",
    auth=READ,
)
def list_protocols(request: HttpRequest) -> list[Any]:
    caller = _read(request)
    catalog = load_catalog()
    return [
        _protocol(p, catalog)
        for p in selectors.protocol_list(clinic=caller.clinic, catalog=catalog)
    ]


class SampleQuery(Schema):
    start: ClinicDate | None = Field(
        None, description="First session of the sample course, YYYY-MM-DD; next Monday if left out."
    )


@router.get(
    "/protocols/{code}",
    response={200: ProtocolDetailOut, **ERROR_RESPONSES},
    summary="One protocol, with a sample course dated from ?start=YYYY-MM-DD",
    auth=READ,
)
def get_protocol(request: HttpRequest, code: str, query: Query[SampleQuery]) -> dict[str, Any]:
    caller = _read(request)
    catalog = load_catalog()
    protocol = selectors.protocol_get(clinic=caller.clinic, code=code, catalog=catalog)
    start = query.start or next_monday(timezone.localdate())
    return {
        **_protocol(protocol, catalog),
        "sample_start": start,
        "planned": [plain(s) for s in plan_course(protocol, start)],
    }


@router.get(
    "/ingredients",
    response={200: list[IngredientOut], **ERROR_RESPONSES},
    summary="Ingredients",
    auth=READ,
)
def list_ingredients(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(i) for i in load_catalog().ingredients.values()]


@router.get(
    "/ingredients/{code}",
    response={200: IngredientOut, **ERROR_RESPONSES},
    summary="An ingredient",
    auth=READ,
)
def get_ingredient(request: HttpRequest, code: str) -> Any:
    _read(request)
    return plain(_get(load_catalog().ingredients, code, "ingredient"))


@router.get(
    "/products",
    response={200: list[ProductOut], **ERROR_RESPONSES},
    summary="Products: built-in and this clinic's own",
    auth=READ,
)
def list_products(request: HttpRequest) -> list[Any]:
    caller = _read(request)
    catalog = load_catalog()
    return [
        _product(p, catalog) for p in selectors.product_list(clinic=caller.clinic, catalog=catalog)
    ]


@router.get(
    "/products/{code}",
    response={200: ProductOut, **ERROR_RESPONSES},
    summary="A product",
    auth=READ,
)
def get_product(request: HttpRequest, code: str) -> Any:
    caller = _read(request)
    catalog = load_catalog()
    return _product(
        selectors.product_get(clinic=caller.clinic, code=code, catalog=catalog), catalog
    )


@router.get(
    "/techniques",
    response={200: list[TechniqueOut], **ERROR_RESPONSES},
    summary="Techniques",
    auth=READ,
)
def list_techniques(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(t) for t in load_catalog().techniques.values()]


@router.get(
    "/techniques/{code}",
    response={200: TechniqueOut, **ERROR_RESPONSES},
    summary="A technique",
    auth=READ,
)
def get_technique(request: HttpRequest, code: str) -> Any:
    _read(request)
    return plain(_get(load_catalog().techniques, code, "technique"))


@router.get(
    "/scales",
    response={200: list[ScaleOut], **ERROR_RESPONSES},
    summary="Outcome scales",
    auth=READ,
)
def list_scales(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(s) for s in load_catalog().scales.values()]


@router.get(
    "/scales/{code}", response={200: ScaleOut, **ERROR_RESPONSES}, summary="A scale", auth=READ
)
def get_scale(request: HttpRequest, code: str) -> Any:
    _read(request)
    return plain(_get(load_catalog().scales, code, "outcome scale"))


@router.get(
    "/side-effects",
    response={200: list[SideEffectOut], **ERROR_RESPONSES},
    summary="Side effects",
    auth=READ,
)
def list_side_effects(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(s) for s in load_catalog().side_effects.values()]


@router.get(
    "/aftercare",
    response={200: list[AftercareOut], **ERROR_RESPONSES},
    summary="Aftercare advice",
    auth=READ,
)
def list_aftercare(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(a) for a in load_catalog().aftercare.values()]


@router.get(
    "/checklist",
    response={200: list[ChecklistItemOut], **ERROR_RESPONSES},
    summary="Consultation checklist",
    auth=READ,
)
def list_checklist(request: HttpRequest) -> list[Any]:
    _read(request)
    return [plain(i) for i in sorted(load_catalog().checklist, key=lambda i: i.order)]


# --------------------------------------------------------------------------------------
# Clinic entries (managers)
# --------------------------------------------------------------------------------------


class QuantityIn(InputSchema):
    value: Decimal = Field(..., examples=["2.5"])
    unit: CleanStr = Field(..., max_length=16, examples=["mg/mL"])


# The bounds the service enforces (catalog.services), stated in the schema too.
Sessions = Annotated[int, Field(ge=1, le=100)]
IntervalDays = Annotated[int, Field(ge=0, le=3650)]


class PhaseIn(InputSchema):
    name: CleanStr = Field(..., min_length=1, max_length=80, examples=["weekly"])
    sessions_min: Sessions
    sessions_default: Sessions
    sessions_max: Sessions
    interval_min_days: IntervalDays
    interval_target_days: IntervalDays
    interval_max_days: IntervalDays


class MaintenanceIn(InputSchema):
    interval_min_days: IntervalDays
    interval_target_days: IntervalDays
    interval_max_days: IntervalDays
    count: Sessions | None = Field(None, description="Leave out for open-ended maintenance.")


class ProtocolIn(InputSchema):
    """A clinic protocol, checked by the same rules as the catalog's."""

    code: CleanStr = Field(..., max_length=80, examples=["cellulite-fortnightly"])
    name: CleanStr = Field(..., min_length=1, max_length=200)
    description: CleanStr = Field("", max_length=5000)
    indications: list[CleanStr] = Field(..., description="Catalog indication codes.")
    phases: list[PhaseIn] = Field(..., max_length=services.PHASES_MOST)
    maintenance: MaintenanceIn | None = None
    sources: list[CleanStr] = Field(default_factory=list, description="Catalog source tags.")


class ComponentIn(InputSchema):
    ingredient: CleanStr = Field(..., max_length=80, description="A catalog ingredient code.")
    concentration: QuantityIn | None = None


class ProductIn(InputSchema):
    """A clinic product; its ingredients must be ones the catalog knows."""

    code: CleanStr = Field(..., max_length=80, examples=["house-lipo"])
    name: CleanStr = Field(..., min_length=1, max_length=200)
    manufacturer: CleanStr = Field(..., min_length=1, max_length=200)
    description: CleanStr = Field("", max_length=5000)
    form: CleanStr = Field(..., description="solution, gel, kit or powder.")
    composition: list[ComponentIn] = Field(..., max_length=services.COMPONENTS_MOST)
    unit_volume: QuantityIn | None = None
    regulatory_status: CleanStr = Field("unknown", max_length=20)
    sources: list[CleanStr] = Field(default_factory=list)


def _with_field(error: ValidationFailed) -> ValidationFailed:
    # The API names the first offending field directly too, as ClinicalDataError does.
    error.extra["field"] = next(iter(error.fields), None)
    return error


def _definition(payload: Schema) -> dict[str, Any]:
    data = payload.model_dump(exclude_none=True)
    if not data.get("description", "").strip():
        data["description"] = f"{data['name']}: an entry of this clinic."
    if not data.get("sources"):
        data.pop("sources", None)
    return data


@router.post(
    "/protocols",
    response={201: ProtocolOut, **ERROR_RESPONSES},
    summary="Add a clinic protocol (managers)",
    auth=allow(Action.CATALOG_MANAGE, doing="add clinic protocols"),
)
def create_protocol(request: HttpRequest, payload: ProtocolIn) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    catalog = load_catalog()
    try:
        entry = services.clinic_protocol_create(
            clinic=caller.clinic, actor=caller.user, data=_definition(payload), catalog=catalog
        )
    except ValidationFailed as error:
        raise _with_field(error) from None
    protocol = selectors.protocol_get(clinic=caller.clinic, code=entry.code, catalog=catalog)
    return Status(201, _protocol(protocol, catalog))


@router.post(
    "/products",
    response={201: ProductOut, **ERROR_RESPONSES},
    summary="Add a clinic product (managers)",
    auth=allow(Action.CATALOG_MANAGE, doing="add clinic products"),
)
def create_product(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    catalog = load_catalog()
    try:
        entry = services.clinic_product_create(
            clinic=caller.clinic, actor=caller.user, data=_definition(payload), catalog=catalog
        )
    except ValidationFailed as error:
        raise _with_field(error) from None
    product = selectors.product_get(clinic=caller.clinic, code=entry.code, catalog=catalog)
    return Status(201, _product(product, catalog))
