"""The stock room over the API: products, goods-in, movements, opened vials, use,
recall, trace, alerts and the fridge log. Mounted at /api/v1/inventory.

Who may do what is declared on each operation (``allow``); patients are fetched only
through ``pistor.patients.access``. Trace answers carry contact details, so they are
sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params import Query as QueryParam

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.units import Quantity
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound, ValidationFailed
from pistor.core.pagination import LimitOffset
from pistor.inventory import selectors, services
from pistor.inventory.constants import ContainerForm, Occasion
from pistor.inventory.models import Administration, Batch, Container, Fridge
from pistor.patients.access import patient_get_for_user

router = Router(tags=["inventory"])
_MAX_ID = 2**63 - 1
NO_STORE = "no-store"

# A stock product's code, as goods-in accepts it (catalog codes and a clinic's own).
STOCK_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"


class StockQuantityIn(InputSchema):
    value: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3, examples=["0.5"])
    unit: CleanStr = Field(..., max_length=10, examples=["mL"])


def _quantity(q: StockQuantityIn, field: str = "quantity") -> Quantity:
    try:
        return Quantity.of(q.value, q.unit, field=field)
    except ClinicalDataError as exc:
        raise ValidationFailed(exc.message, fields={field: [exc.message]}) from None


class ComponentIO(InputSchema):
    ingredient: str
    concentration: str = ""


class StockProductIn(InputSchema):
    code: str = Field(..., pattern=STOCK_CODE_PATTERN, examples=["kybella"])
    name: CleanStr | None = Field(None, max_length=200, description="Default: the catalog's.")
    manufacturer: CleanStr | None = Field(None, max_length=200)
    composition: list[ComponentIO] | None = None
    form: ContainerForm = ContainerForm.VIAL
    unit_volume_ml: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=3)
    multi_dose: bool = False
    storage_min_c: Decimal = Field(Decimal("2"), ge=-40, le=40, decimal_places=1)
    storage_max_c: Decimal = Field(Decimal("8"), ge=-40, le=40, decimal_places=1)
    in_use_hours: int | None = Field(None, ge=1, le=24 * 365)
    price: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    reorder_level: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=3)


class StockProductOut(Schema):
    code: str
    name: str
    manufacturer: str
    composition: list[ComponentIO]
    form: str
    unit_volume_ml: Decimal | None
    stock_unit: str
    multi_dose: bool
    storage_min_c: Decimal
    storage_max_c: Decimal
    in_use_hours: int | None
    price: Decimal
    currency: str
    reorder_level: Decimal
    on_hand: Decimal | None = Field(None, description="Usable stock: in date, not recalled.")


class BatchIn(InputSchema):
    product: str = Field(..., max_length=80, description="Product code.")
    lot: CleanStr = Field(..., min_length=1, max_length=80)
    expires_on: dt.date
    quantity: StockQuantityIn
    supplier: CleanStr = Field("", max_length=200)
    delivery_note: CleanStr = Field("", max_length=200)
    fridge_id: int | None = Field(None, ge=1, le=_MAX_ID)


class BatchOut(Schema):
    id: int
    product: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    lot: str
    expires_on: dt.date
    quantity_received: Decimal
    quantity_on_hand: Decimal
    unit: str = Field(..., alias="product.stock_unit")
    supplier: str
    delivery_note: str
    received_at: dt.datetime
    recalled: bool = Field(..., alias="is_recalled")
    recall_reason: str
    recall_reference: str
    cold_chain_flag: str


class MovementOut(Schema):
    id: int
    kind: str
    quantity: Decimal
    balance_after: Decimal
    reason: str
    at: dt.datetime
    by: str | None


class BatchDetailOut(Schema):
    batch: BatchOut
    movements: list[MovementOut]


class MovementIn(InputSchema):
    kind: Literal["wasted", "expired", "returned"]
    quantity: StockQuantityIn
    reason: CleanStr = Field(..., min_length=1, max_length=2000)


class CountIn(InputSchema):
    counted: StockQuantityIn
    reason: CleanStr = Field("", max_length=2000)


class RecallIn(InputSchema):
    reason: CleanStr = Field(..., min_length=1, max_length=2000)
    reference: CleanStr = Field("", max_length=120)


class ContainerIn(InputSchema):
    batch_id: int = Field(..., ge=1, le=_MAX_ID)


class ContainerOut(Schema):
    id: int
    batch_id: int
    lot: str = Field(..., alias="batch.lot")
    product: str = Field(..., alias="batch.product.code")
    opened_at: dt.datetime
    expires_at: dt.datetime
    quantity_remaining: Decimal
    discarded_at: dt.datetime | None


class AdministrationIn(InputSchema):
    patient_id: int = Field(..., ge=1, le=_MAX_ID)
    product: str = Field(..., max_length=80)
    quantity: StockQuantityIn
    batch_id: int | None = Field(None, ge=1, le=_MAX_ID, description="Default: FEFO.")
    container_id: int | None = Field(None, ge=1, le=_MAX_ID)
    occasion: Occasion
    occasion_ref: CleanStr = Field("", max_length=80)


class AdministrationOut(Schema):
    id: int
    patient_id: int
    product: str
    batch_id: int
    lot: str
    container_id: int | None
    quantity: Decimal
    unit: str
    occasion: str
    occasion_ref: str
    at: dt.datetime


class TraceRow(AdministrationOut):
    patient_name: str
    record_number: str
    phone: str
    email: str


class TraceOut(Schema):
    items: list[TraceRow]
    limit: int
    offset: int


class AlertsOut(Schema):
    low_stock: list[StockProductOut]
    expiring: list[BatchOut]
    containers: list[ContainerOut]
    cold_chain: list[BatchOut]
    expiry_alert_days: int


class FridgeIn(InputSchema):
    name: CleanStr = Field(..., min_length=1, max_length=100)


class FridgeOut(Schema):
    id: int
    name: str


class FridgeReadingIn(InputSchema):
    celsius: Decimal = Field(..., ge=-40, le=60, decimal_places=1)
    taken_at: dt.datetime | None = None


class FridgeReadingOut(Schema):
    id: int
    fridge_id: int
    celsius: Decimal
    taken_at: dt.datetime
    excursion: bool


class TraceQuery(Schema):
    limit: int = Field(500, ge=1, le=5000)
    offset: int = Field(0, ge=0, le=2**31 - 1)


def _clinic(request: HttpRequest) -> Any:
    return api_caller(request).clinic


def _actor(request: HttpRequest) -> Any:
    return api_caller(request).user


def _batch(request: HttpRequest, batch_id: int) -> Batch:
    if not 1 <= batch_id <= _MAX_ID:
        raise NotFound("No such batch.")
    return selectors.batch_get(clinic=_clinic(request), pk=batch_id)


def _container(request: HttpRequest, container_id: int) -> Container:
    if not 1 <= container_id <= _MAX_ID:
        raise NotFound("No such opened vial.")
    return selectors.container_get(clinic=_clinic(request), pk=container_id)


def _admin_out(a: Administration) -> dict[str, Any]:
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "product": a.product_code,
        "batch_id": a.batch_id,
        "lot": a.batch.lot,
        "container_id": a.container_id,
        "quantity": a.quantity,
        "unit": a.unit,
        "occasion": a.occasion,
        "occasion_ref": a.occasion_ref,
        "at": a.at,
    }


def _trace_out(a: Administration) -> dict[str, Any]:
    return {
        **_admin_out(a),
        "patient_name": a.patient.full_name,
        "record_number": a.patient.record_number,
        "phone": a.patient.phone,
        "email": a.patient.email,
    }


def _movement_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "quantity": m.quantity,
        "balance_after": m.balance_after,
        "reason": m.reason,
        "at": m.at,
        "by": str(m.actor) if m.actor else None,
    }


R = ERROR_RESPONSES


@router.get(
    "/products",
    response={200: list[StockProductOut], **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see stock"),
    summary="Products the clinic stocks, with usable stock",
)
def list_products(request: HttpRequest) -> Any:
    return selectors.product_list(clinic=_clinic(request))


@router.post(
    "/products",
    response={201: StockProductOut, **R},
    auth=allow(Action.INVENTORY_MANAGE, doing="add products to the stock list"),
    summary="Add a product (from the catalog by its code, or the clinic's own)",
)
def create_product(request: HttpRequest, body: StockProductIn) -> Any:
    fields = body.model_dump(exclude_none=True, exclude={"code"})
    if body.composition is not None:
        fields["composition"] = [c.model_dump() for c in body.composition]
    return Status(
        201,
        services.product_create(
            clinic=_clinic(request), actor=_actor(request), code=body.code, **fields
        ),
    )


@router.get(
    "/batches",
    response={200: list[BatchOut], **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see stock"),
    summary="Batches in stock (all, with include_empty), a page at a time",
)
@paginate(LimitOffset)
def list_batches(
    request: HttpRequest,
    product: str | None = QueryParam(None, pattern=STOCK_CODE_PATTERN),
    include_empty: bool = False,
) -> Any:
    return selectors.batch_list(
        clinic=_clinic(request), product_code=product, include_empty=include_empty
    )


@router.get(
    "/batches/choices",
    response={200: list[BatchOut], **R},
    auth=allow(Action.INVENTORY_USE, doing="choose batches"),
    summary="Batches that may be used now for a product, the one to use first first",
)
def batch_choices(
    request: HttpRequest, product: str = QueryParam(..., pattern=STOCK_CODE_PATTERN)
) -> Any:
    return selectors.batch_choices(clinic=_clinic(request), product_code=product)


@router.post(
    "/batches",
    response={201: BatchOut, **R},
    auth=allow(Action.INVENTORY_RECEIVE, doing="receive deliveries"),
    summary="Goods-in: receive a batch",
)
def receive_batch(request: HttpRequest, body: BatchIn) -> Any:
    clinic = _clinic(request)
    fridge = None
    if body.fridge_id is not None:
        fridge = Fridge.objects.for_clinic(clinic).filter(pk=body.fridge_id).first()
        if fridge is None:
            raise NotFound("No such fridge.")
    return Status(
        201,
        services.batch_receive(
            clinic=clinic,
            actor=_actor(request),
            product_code=body.product,
            lot=body.lot,
            expires_on=body.expires_on,
            quantity=_quantity(body.quantity),
            supplier=body.supplier,
            delivery_note=body.delivery_note,
            fridge=fridge,
        ),
    )


@router.get(
    "/batches/{batch_id}",
    response={200: BatchDetailOut, **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see stock"),
    summary="A batch and its latest movements",
)
def get_batch(request: HttpRequest, batch_id: int) -> Any:
    batch = _batch(request, batch_id)
    movements = selectors.movement_list(clinic=_clinic(request), batch=batch)
    return {"batch": batch, "movements": [_movement_out(m) for m in movements]}


@router.post(
    "/batches/{batch_id}/movements",
    response={201: MovementOut, **R},
    auth=allow(Action.INVENTORY_MANAGE, doing="record waste or returns"),
    summary="Record stock wasted, discarded as expired, or returned",
)
def record_movement(request: HttpRequest, batch_id: int, body: MovementIn) -> Any:
    movement = services.movement_record(
        clinic=_clinic(request),
        actor=_actor(request),
        batch=_batch(request, batch_id),
        kind=body.kind,
        quantity=_quantity(body.quantity),
        reason=body.reason,
    )
    return Status(201, _movement_out(movement))


@router.post(
    "/batches/{batch_id}/count",
    response={201: MovementOut, **R},
    auth=allow(Action.INVENTORY_MANAGE, doing="record stock counts"),
    summary="Record a stock count; the difference is booked as a 'counted' movement",
)
def count_batch(request: HttpRequest, batch_id: int, body: CountIn) -> Any:
    movement = services.stock_count(
        clinic=_clinic(request),
        actor=_actor(request),
        batch=_batch(request, batch_id),
        counted=_quantity(body.counted, "counted"),
        reason=body.reason,
    )
    return Status(201, _movement_out(movement))


@router.post(
    "/batches/{batch_id}/recall",
    response={200: BatchOut, **R},
    auth=allow(Action.INVENTORY_MANAGE, doing="recall batches"),
    summary="Recall a batch",
)
def recall_batch(request: HttpRequest, batch_id: int, body: RecallIn) -> Any:
    return services.batch_recall(
        clinic=_clinic(request),
        actor=_actor(request),
        batch=_batch(request, batch_id),
        reason=body.reason,
        reference=body.reference,
    )


@router.get(
    "/batches/{batch_id}/trace",
    response={200: TraceOut, **R},
    auth=allow(Action.INVENTORY_TRACE, doing="trace batches to patients"),
    summary="Who received this batch: when, on what occasion, how much, contact details",
)
def trace_batch(
    request: HttpRequest, response: HttpResponse, batch_id: int, page: Query[TraceQuery]
) -> Any:
    response["Cache-Control"] = NO_STORE
    rows = selectors.trace_batch(
        clinic=_clinic(request),
        batch=_batch(request, batch_id),
        limit=page.limit,
        offset=page.offset,
    )
    return {"items": [_trace_out(a) for a in rows], "limit": page.limit, "offset": page.offset}


@router.get(
    "/containers",
    response={200: list[ContainerOut], **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see stock"),
    summary="Opened vials in use, the one to discard first first",
)
def list_containers(request: HttpRequest) -> Any:
    return selectors.container_list(clinic=_clinic(request))


@router.post(
    "/containers",
    response={201: ContainerOut, **R},
    auth=allow(Action.INVENTORY_RECEIVE, doing="open vials"),
    summary="Open a multi-dose vial of a batch",
)
def open_container(request: HttpRequest, body: ContainerIn) -> Any:
    return Status(
        201,
        services.container_open(
            clinic=_clinic(request), actor=_actor(request), batch=_batch(request, body.batch_id)
        ),
    )


@router.post(
    "/containers/{container_id}/discard",
    response={200: ContainerOut, **R},
    auth=allow(Action.INVENTORY_RECEIVE, doing="discard opened vials"),
    summary="Discard an opened vial; what was left in it is booked as waste",
)
def discard_container(request: HttpRequest, container_id: int) -> Any:
    return services.container_discard(
        clinic=_clinic(request), actor=_actor(request), container=_container(request, container_id)
    )


@router.get(
    "/containers/{container_id}/trace",
    response={200: TraceOut, **R},
    auth=allow(Action.INVENTORY_TRACE, doing="trace vials to patients"),
    summary="Who was given product drawn from this opened vial",
)
def trace_container(request: HttpRequest, response: HttpResponse, container_id: int) -> Any:
    response["Cache-Control"] = NO_STORE
    rows = selectors.trace_container(
        clinic=_clinic(request), container=_container(request, container_id)
    )
    return {"items": [_trace_out(a) for a in rows], "limit": len(rows), "offset": 0}


@router.post(
    "/administrations",
    response={201: AdministrationOut, **R},
    auth=allow(Action.INVENTORY_USE, doing="record product given to patients"),
    summary="Record product given to a patient (FEFO batch unless one is named)",
)
def administer(request: HttpRequest, response: HttpResponse, body: AdministrationIn) -> Any:
    response["Cache-Control"] = NO_STORE
    clinic = _clinic(request)
    patient = patient_get_for_user(request_or_user=request, clinic=clinic, pk=body.patient_id)
    batch = _batch(request, body.batch_id) if body.batch_id else None
    container = _container(request, body.container_id) if body.container_id else None
    administration = services.stock_use(
        clinic=clinic,
        actor=_actor(request),
        patient=patient,
        product_code=body.product,
        quantity=_quantity(body.quantity),
        batch=batch,
        container=container,
        occasion=body.occasion,
        occasion_ref=body.occasion_ref,
    )
    return Status(201, _admin_out(administration))


@router.get(
    "/patients/{patient_id}/administrations",
    response={200: list[AdministrationOut], **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see which batches patients received"),
    summary="Which batches a patient received",
)
def patient_batches(request: HttpRequest, response: HttpResponse, patient_id: int) -> Any:
    response["Cache-Control"] = NO_STORE
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    clinic = _clinic(request)
    patient = patient_get_for_user(request_or_user=request, clinic=clinic, pk=patient_id)
    rows = selectors.patient_administration_list(clinic=clinic, patient_id=patient.pk)
    return [_admin_out(a) for a in rows]


@router.get(
    "/alerts",
    response={200: AlertsOut, **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see stock alerts"),
    summary="Low stock, batches expiring soon, vials near their limit, cold-chain flags",
)
def alerts(request: HttpRequest) -> Any:
    found = selectors.alerts_get(clinic=_clinic(request))
    return {
        "low_stock": found.low_stock,
        "expiring": found.expiring,
        "containers": found.containers,
        "cold_chain": found.cold_chain,
        "expiry_alert_days": found.settings.expiry_alert_days,
    }


@router.post(
    "/fridges",
    response={201: FridgeOut, **R},
    auth=allow(Action.INVENTORY_MANAGE, doing="add fridges"),
    summary="Add a fridge",
)
def create_fridge(request: HttpRequest, body: FridgeIn) -> Any:
    return Status(
        201, services.fridge_create(clinic=_clinic(request), actor=_actor(request), name=body.name)
    )


@router.post(
    "/fridges/{fridge_id}/readings",
    response={201: FridgeReadingOut, **R},
    auth=allow(Action.INVENTORY_RECEIVE, doing="log fridge temperatures"),
    summary="Log a fridge temperature (an excursion flags the batches stored there)",
)
def record_reading(request: HttpRequest, fridge_id: int, body: FridgeReadingIn) -> Any:
    clinic = _clinic(request)
    fridge = (
        Fridge.objects.for_clinic(clinic).filter(pk=fridge_id).first()
        if 1 <= fridge_id <= _MAX_ID
        else None
    )
    if fridge is None:
        raise NotFound("No such fridge.")
    return Status(
        201,
        services.fridge_reading_record(
            clinic=clinic,
            actor=_actor(request),
            fridge=fridge,
            celsius=body.celsius,
            taken_at=body.taken_at,
        ),
    )


class SettingsOut(Schema):
    expiry_alert_days: int
    container_alert_hours: int


class SettingsIn(InputSchema):
    expiry_alert_days: int = Field(..., ge=1, le=365)
    container_alert_hours: int = Field(..., ge=0, le=72)


@router.get(
    "/settings",
    response={200: SettingsOut, **R},
    auth=allow(Action.INVENTORY_VIEW, doing="see stock settings"),
    summary="How early the clinic is warned of expiring batches and opened vials",
)
def get_settings(request: HttpRequest) -> Any:
    return selectors.inventory_settings_get(clinic=_clinic(request))


@router.put(
    "/settings",
    response={200: SettingsOut, **R},
    auth=allow(Action.INVENTORY_MANAGE, doing="change stock settings"),
    summary="Change the alert windows",
)
def put_settings(request: HttpRequest, body: SettingsIn) -> Any:
    return services.inventory_settings_update(
        clinic=_clinic(request),
        actor=_actor(request),
        expiry_alert_days=body.expiry_alert_days,
        container_alert_hours=body.container_alert_hours,
    )
