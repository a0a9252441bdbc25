"""Writes of the stock room. Each is one transaction with its audit event.

Stock moves only here. ``stock_use`` is what treatment sessions and allergy tests call to
record product given to a patient: it locks the batch row (and the opened vial's) before
reading what is left, so two people drawing the last millilitre at the same moment cannot
both succeed; the database's non-negative constraint is the backstop.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.units import Quantity, Unit
from pistor.clinics.models import Clinic
from pistor.core.errors import Conflict, NotFound, ValidationFailed, validation_error_from_django
from pistor.inventory.constants import (
    MANUAL_OUT_KINDS,
    USE_KIND,
    ContainerForm,
    MovementKind,
    Occasion,
    StockUnit,
)
from pistor.inventory.models import (
    Administration,
    Batch,
    Container,
    Fridge,
    InventorySettings,
    Movement,
    StockProduct,
    TemperatureReading,
)


def _aware(at: dt.datetime | None, field: str = "at") -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationFailed("A time needs its time zone.", fields={field: ["Give a time zone."]})
    return at


def _local_date(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the clinic's time zone (a batch is good all that day)."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start) - dt.timedelta(microseconds=1)


def _save(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_error_from_django(exc) from exc
    obj.save()


def _fmt(amount: Decimal, unit: str) -> str:
    text = f"{amount.normalize():f}"
    return f"{text} {'item(s)' if unit == StockUnit.COUNT else unit}"


def in_stock_unit(product: StockProduct, quantity: Quantity, *, field: str = "quantity") -> Decimal:
    """``quantity`` in the unit the product's stock is kept in; a unit of another kind
    (mg for a product counted in mL) is refused rather than guessed."""
    try:
        if product.stock_unit == StockUnit.ML:
            value = quantity.to(Unit.ML, field=field).value
        elif quantity.unit == Unit.COUNT:
            value = quantity.value
        else:
            raise ClinicalDataError("not a count", field=field)
    except ClinicalDataError:
        what = "a volume (mL or µL)" if product.stock_unit == StockUnit.ML else "a number of items"
        raise ValidationFailed(
            f"{product.name} is kept in {product.get_stock_unit_display()}: give {what}, "
            f"not {quantity}.",
            fields={field: [f"Give {what}, not {quantity}."]},
        ) from None
    if value <= 0:
        raise ValidationFailed(
            "The quantity must be more than zero.", fields={field: ["Give more than zero."]}
        )
    return value.quantize(Decimal("0.001"))


def _product(clinic: Clinic, code: str) -> StockProduct:
    product = StockProduct.objects.for_clinic(clinic).filter(code=code).first()
    if product is None:
        raise NotFound(f"This clinic keeps no stock of product '{code}'.")
    return product


# --- Products ------------------------------------------------------------------------------


def product_create(*, clinic: Clinic, actor: Any, code: str, **fields: Any) -> StockProduct:
    """Add a product to the clinic's stock list. A catalog (or clinic catalog) product's
    maker, name, composition and volume are taken from the catalog unless given."""
    catalog = catalog_for_clinic(clinic=clinic)
    entry = catalog.products.get(code)
    if entry is not None:
        fields.setdefault("name", entry.name)
        fields.setdefault("manufacturer", entry.manufacturer)
        fields.setdefault(
            "composition",
            [
                {
                    "ingredient": c.ingredient,
                    "concentration": str(c.concentration) if c.concentration else "",
                }
                for c in entry.composition
            ],
        )
        if entry.unit_volume is not None and entry.unit_volume.unit == Unit.ML:
            fields.setdefault("unit_volume_ml", entry.unit_volume.value)
        fields["from_catalog"] = True
    fields.setdefault("form", ContainerForm.VIAL)
    ingredients = set(catalog.ingredients)
    unknown = [
        str(c.get("ingredient"))
        for c in fields.get("composition") or []
        if not isinstance(c, dict) or c.get("ingredient") not in ingredients
    ]
    if unknown:
        raise ValidationFailed(
            "The composition names ingredients the catalog does not know.",
            fields={"composition": [f"Unknown ingredient: {', '.join(unknown)}."]},
        )
    if StockProduct.objects.for_clinic(clinic).filter(code=code).exists():
        raise Conflict(
            f"Product '{code}' is already on the stock list.",
            extra={"fields": {"code": ["Already on the stock list."]}},
        )
    with transaction.atomic():
        product = StockProduct(clinic=clinic, code=code, **fields)
        _save(product)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.product_created",
            subject_type="stock_product",
            subject_id=product.pk,
            after={"code": code, "name": product.name},
        )
    return product


def product_update(
    *, clinic: Clinic, actor: Any, product: StockProduct, **fields: Any
) -> StockProduct:
    allowed = {
        "form", "unit_volume_ml", "multi_dose", "storage_min_c", "storage_max_c",
        "in_use_hours", "price", "currency", "reorder_level", "name", "manufacturer",
    }  # fmt: skip
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(
            "Unknown fields.", fields={k: ["Not a product field."] for k in unknown}
        )
    with transaction.atomic():
        product = StockProduct.objects.for_clinic(clinic).select_for_update().get(pk=product.pk)
        before = {k: str(getattr(product, k)) for k in fields}
        for key, value in fields.items():
            setattr(product, key, value)
        _save(product)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.product_updated",
            subject_type="stock_product",
            subject_id=product.pk,
            before=before,
            after={k: str(v) for k, v in fields.items()},
        )
    return product


# --- Goods-in, movements, counts ----------------------------------------------------------


def batch_receive(
    *,
    clinic: Clinic,
    actor: Any,
    product_code: str,
    lot: str,
    expires_on: dt.date,
    quantity: Quantity,
    supplier: str = "",
    delivery_note: str = "",
    fridge: Fridge | None = None,
    at: dt.datetime | None = None,
) -> Batch:
    """Goods-in: a new lot of a product. Refuses an expiry already past and a lot number
    already received for this product (a second delivery of one lot is a data-entry slip
    far more often than a real event, and would split the trace)."""
    at = _aware(at)
    product = _product(clinic, product_code)
    amount = in_stock_unit(product, quantity)
    lot = lot.strip()
    errors: dict[str, list[str]] = {}
    if not lot:
        errors["lot"] = ["Give the lot number printed on the box."]
    if expires_on < _local_date(at):
        errors["expires_on"] = [f"This batch expired on {expires_on:%d %b %Y}; do not accept it."]
    if errors:
        raise ValidationFailed("The delivery details need correcting.", fields=errors)
    if fridge is not None and fridge.clinic_id != clinic.pk:
        raise NotFound("No such fridge.")
    if Batch.objects.filter(product=product, lot__iexact=lot).exists():
        raise ValidationFailed(
            f"Lot {lot} of {product.name} has already been received.",
            fields={"lot": [f"Lot {lot} is already in stock records for this product."]},
        )
    try:
        with transaction.atomic():
            batch = Batch(
                clinic=clinic,
                product=product,
                lot=lot,
                expires_on=expires_on,
                quantity_received=amount,
                quantity_on_hand=amount,
                supplier=supplier,
                delivery_note=delivery_note,
                received_at=at,
                received_by=actor,
                fridge=fridge,
            )
            _save(batch, exclude=["product", "lot"])
            Movement.objects.create(
                clinic=clinic,
                batch=batch,
                kind=MovementKind.RECEIVED,
                quantity=amount,
                balance_after=amount,
                reason=f"Delivery {delivery_note}".strip(),
                at=at,
                actor=actor,
            )
            audit_record(
                clinic=clinic,
                actor=actor,
                event_type="inventory.batch_received",
                subject_type="batch",
                subject_id=batch.pk,
                after={"product": product.code, "lot": lot, "expires_on": str(expires_on),
                       "quantity": str(amount), "supplier": supplier},
            )  # fmt: skip
    except IntegrityError:
        # Two people entering the same delivery at once: the unique constraint decides.
        raise ValidationFailed(
            f"Lot {lot} of {product.name} has already been received.",
            fields={"lot": [f"Lot {lot} is already in stock records for this product."]},
        ) from None
    return batch


def _locked_batch(clinic: Clinic, pk: int) -> Batch:
    batch = (
        Batch.objects.for_clinic(clinic).select_for_update().select_related("product").filter(pk=pk)
    ).first()
    if batch is None:
        raise NotFound("No such batch.")
    return batch


def _take(
    *,
    batch: Batch,
    amount: Decimal,
    kind: str,
    actor: Any,
    at: dt.datetime,
    reason: str = "",
    container: Container | None = None,
    administration: Administration | None = None,
) -> Movement:
    """Take ``amount`` out of a locked batch, refusing to go below zero."""
    if amount > batch.quantity_on_hand:
        unit = batch.product.stock_unit
        raise Conflict(
            f"Not enough {batch.product.name} in lot {batch.lot}: "
            f"{_fmt(batch.quantity_on_hand, unit)} left, {_fmt(amount, unit)} asked for.",
            extra={"fields": {"quantity": ["More than is in stock."]}},
        )
    batch.quantity_on_hand -= amount
    batch.save(update_fields=["quantity_on_hand", "updated_at"])
    return Movement.objects.create(
        clinic_id=batch.clinic_id,
        batch=batch,
        kind=kind,
        quantity=-amount,
        balance_after=batch.quantity_on_hand,
        reason=reason,
        at=at,
        actor=actor,
        container=container,
        administration=administration,
    )


def movement_record(
    *,
    clinic: Clinic,
    actor: Any,
    batch: Batch,
    kind: str,
    quantity: Quantity,
    reason: str,
    at: dt.datetime | None = None,
) -> Movement:
    """Stock leaving other than into a patient: wasted, discarded as expired, returned."""
    at = _aware(at)
    if kind not in MANUAL_OUT_KINDS:
        raise ValidationFailed(
            "Choose wasted, expired or returned.",
            fields={"kind": ["Choose wasted, expired or returned."]},
        )
    if not reason.strip():
        raise ValidationFailed("Say why.", fields={"reason": ["Say why the stock left."]})
    with transaction.atomic():
        locked = _locked_batch(clinic, batch.pk)
        amount = in_stock_unit(locked.product, quantity)
        movement = _take(batch=locked, amount=amount, kind=kind, actor=actor, at=at, reason=reason)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.stock_removed",
            subject_type="batch",
            subject_id=locked.pk,
            after={"kind": kind, "quantity": str(amount), "reason": reason},
        )
    return movement


def stock_count(
    *,
    clinic: Clinic,
    actor: Any,
    batch: Batch,
    counted: Quantity,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Movement:
    """Record what was found on the shelf; the difference becomes a ``counted`` movement,
    so the sum of movements always equals the stock on hand (the count reconciles)."""
    at = _aware(at)
    with transaction.atomic():
        locked = _locked_batch(clinic, batch.pk)
        product = locked.product
        try:
            found = (
                counted.to(Unit.ML).value
                if product.stock_unit == StockUnit.ML
                else counted.require(counted.dimension, field="counted").value
            )
        except ClinicalDataError:
            raise ValidationFailed(
                f"Count {product.name} in {product.get_stock_unit_display()}.",
                fields={"counted": [f"Give the count in {product.get_stock_unit_display()}."]},
            ) from None
        if found < 0:
            raise ValidationFailed("A count cannot be negative.", fields={"counted": ["≥ 0."]})
        found = found.quantize(Decimal("0.001"))
        delta = found - locked.quantity_on_hand
        before = str(locked.quantity_on_hand)
        locked.quantity_on_hand = found
        locked.save(update_fields=["quantity_on_hand", "updated_at"])
        movement = Movement.objects.create(
            clinic=clinic,
            batch=locked,
            kind=MovementKind.COUNTED,
            quantity=delta,
            balance_after=found,
            reason=reason or "Stock count",
            at=at,
            actor=actor,
        )
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.stock_counted",
            subject_type="batch",
            subject_id=locked.pk,
            before={"on_hand": before},
            after={"on_hand": str(found), "difference": str(delta)},
        )
    return movement


# --- Opened containers ----------------------------------------------------------------------


def container_open(
    *, clinic: Clinic, actor: Any, batch: Batch, at: dt.datetime | None = None
) -> Container:
    """Open a multi-dose vial. It must go at the product's in-use limit after opening or
    at the end of the batch's expiry day, whichever comes first (REFERENCE.md §5.3:
    outbreaks traced to multi-dose vials kept and reused)."""
    at = _aware(at)
    with transaction.atomic():
        locked = _locked_batch(clinic, batch.pk)
        _refuse_unusable(locked, at)
        product = locked.product
        volume = product.unit_volume_ml if product.stock_unit == StockUnit.ML else Decimal("1")
        if volume is None:
            raise ValidationFailed(
                f"Record the volume of one {product.get_form_display().lower()} of "
                f"{product.name} before opening one.",
                fields={"batch": ["The product has no volume per container."]},
            )
        if locked.quantity_on_hand <= 0:
            raise Conflict(f"Lot {locked.lot} of {product.name} is out of stock.")
        limit = _end_of_day(locked.expires_on)
        if product.in_use_hours is not None:
            limit = min(limit, at + dt.timedelta(hours=product.in_use_hours))
        container = Container.objects.create(
            clinic=clinic,
            batch=locked,
            opened_at=at,
            opened_by=actor,
            expires_at=limit,
            quantity_remaining=min(volume, locked.quantity_on_hand),
        )
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.container_opened",
            subject_type="container",
            subject_id=container.pk,
            after={"batch": locked.pk, "lot": locked.lot, "expires_at": limit.isoformat()},
        )
    return container


def container_discard(
    *, clinic: Clinic, actor: Any, container: Container, at: dt.datetime | None = None
) -> Container:
    """Throw away an opened vial; what was left in it leaves the batch as waste."""
    at = _aware(at)
    with transaction.atomic():
        locked = (
            Container.objects.for_clinic(clinic).select_for_update().filter(pk=container.pk)
        ).first()
        if locked is None:
            raise NotFound("No such opened vial.")
        if locked.discarded_at is not None:
            raise Conflict("This vial has already been discarded.")
        batch = _locked_batch(clinic, locked.batch_id)
        left = min(locked.quantity_remaining, batch.quantity_on_hand)
        if left > 0:
            _take(batch=batch, amount=left, kind=MovementKind.WASTED, actor=actor, at=at,
                  reason="Opened vial discarded", container=locked)  # fmt: skip
        locked.quantity_remaining = Decimal("0")
        locked.discarded_at = at
        locked.save(update_fields=["quantity_remaining", "discarded_at", "updated_at"])
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.container_discarded",
            subject_type="container",
            subject_id=locked.pk,
            after={"wasted": str(left)},
        )
    return locked


# --- Use ------------------------------------------------------------------------------------


def _refuse_unusable(batch: Batch, at: dt.datetime) -> None:
    name = f"{batch.product.name} lot {batch.lot}"
    if batch.recalled_at is not None:
        raise Conflict(
            f"{name} has been recalled ({batch.recall_reason}); it cannot be used.",
            extra={"fields": {"batch": ["Recalled."]}},
        )
    if batch.expires_on < _local_date(at):
        raise Conflict(
            f"{name} expired on {batch.expires_on:%d %b %Y}; it cannot be used.",
            extra={"fields": {"batch": ["Expired."]}},
        )


def _pick_container(
    clinic: Clinic, product: StockProduct, amount: Decimal, at: dt.datetime
) -> Container:
    """The opened vial of ``product`` that must go first and still holds ``amount``."""
    candidates = list(
        Container.objects.for_clinic(clinic)
        .select_for_update()
        .filter(
            batch__product=product,
            discarded_at__isnull=True,
            expires_at__gte=at,
            quantity_remaining__gte=amount,
            batch__recalled_at__isnull=True,
        )
        .order_by("expires_at", "pk")[:1]
    )
    if not candidates:
        raise Conflict(
            f"{product.name} comes in multi-dose vials and no opened vial in date holds "
            f"{_fmt(amount, product.stock_unit)}: open a new vial first.",
            extra={"fields": {"container": ["Open a vial first."]}},
        )
    return candidates[0]


def _pick_batch(clinic: Clinic, product: StockProduct, amount: Decimal, at: dt.datetime) -> Batch:
    """First expiry, first out: the in-date, unrecalled batch that expires soonest and
    still holds ``amount``. The rows are locked (re-checked after any wait on PostgreSQL)."""
    candidates = list(
        Batch.objects.for_clinic(clinic)
        .select_for_update()
        .filter(
            product=product,
            recalled_at__isnull=True,
            expires_on__gte=_local_date(at),
            quantity_on_hand__gt=0,
        )
        .order_by("expires_on", "pk")
    )
    for batch in candidates:
        if batch.quantity_on_hand >= amount:
            batch.product = product
            return batch
    left = sum((b.quantity_on_hand for b in candidates), Decimal("0"))
    raise Conflict(
        f"Not enough {product.name} in stock: no usable batch holds "
        f"{_fmt(amount, product.stock_unit)} ({_fmt(left, product.stock_unit)} left in "
        f"date in all).",
        extra={"fields": {"quantity": ["More than is in stock."]}},
    )


def stock_use(
    *,
    clinic: Clinic,
    actor: Any,
    patient: Any,
    product_code: str,
    quantity: Quantity,
    batch: Batch | None = None,
    container: Container | None = None,
    occasion: str,
    occasion_ref: str = "",
    at: dt.datetime | None = None,
) -> Administration:
    """Record product given to ``patient`` and take it out of stock, in the caller's
    transaction. Without a batch, the batch is chosen first-expiry-first-out; a product in
    multi-dose vials is drawn from an opened vial (the one that must go first, if none is
    given). Refuses, with a message saying why: an expired or recalled batch, an opened
    vial past its in-use limit, more than is in stock, a quantity in the wrong unit."""
    at = _aware(at)
    if occasion not in Occasion.values:
        raise ValidationFailed(
            "Unknown occasion.",
            fields={"occasion": [f"Choose one of: {', '.join(Occasion.values)}."]},
        )
    if getattr(patient, "clinic_id", None) != clinic.pk:
        raise NotFound("No such patient.")
    product = _product(clinic, product_code)
    amount = in_stock_unit(product, quantity)
    with transaction.atomic():
        locked_container: Container | None = None
        if container is not None:
            locked_container = (
                Container.objects.for_clinic(clinic)
                .select_for_update()
                .filter(pk=container.pk)
                .first()
            )
            if locked_container is None:
                raise NotFound("No such opened vial.")
        elif product.multi_dose and batch is None:
            locked_container = _pick_container(clinic, product, amount, at)
        if locked_container is not None:
            locked = _locked_batch(clinic, locked_container.batch_id)
            if locked.product_id != product.pk or (batch is not None and batch.pk != locked.pk):
                raise ValidationFailed(
                    "That vial is not of this product and batch.",
                    fields={"container": ["Not of this product and batch."]},
                )
        elif batch is not None:
            locked = _locked_batch(clinic, batch.pk)
            if locked.product_id != product.pk:
                raise ValidationFailed(
                    f"Lot {locked.lot} is not {product.name}.",
                    fields={"batch": [f"Not a batch of {product.name}."]},
                )
        else:
            locked = _pick_batch(clinic, product, amount, at)
        _refuse_unusable(locked, at)
        if locked_container is not None:
            _refuse_container(locked_container, amount, product, at)
        administration = Administration.objects.create(
            clinic=clinic,
            patient=patient,
            batch=locked,
            container=locked_container,
            product_code=product.code,
            quantity=amount,
            unit=product.stock_unit,
            occasion=occasion,
            occasion_ref=occasion_ref,
            at=at,
            given_by=actor,
        )
        _take(batch=locked, amount=amount, kind=USE_KIND[Occasion(occasion)], actor=actor,
              at=at, reason=f"{occasion} {occasion_ref}".strip(), container=locked_container,
              administration=administration)  # fmt: skip
        if locked_container is not None:
            locked_container.quantity_remaining -= amount
            locked_container.save(update_fields=["quantity_remaining", "updated_at"])
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.administered",
            subject_type="administration",
            subject_id=administration.pk,
            after={"patient": patient.pk, "batch": locked.pk, "lot": locked.lot,
                   "container": locked_container.pk if locked_container else None,
                   "quantity": str(amount), "unit": product.stock_unit,
                   "occasion": occasion, "occasion_ref": occasion_ref},
        )  # fmt: skip
    return administration


def _refuse_container(
    container: Container, amount: Decimal, product: StockProduct, at: dt.datetime
) -> None:
    if container.discarded_at is not None:
        raise Conflict(f"Vial #{container.pk} was discarded; open a new one.")
    if at > container.expires_at:
        local = timezone.localtime(container.expires_at)
        raise Conflict(
            f"Vial #{container.pk} of {product.name} was opened "
            f"{timezone.localtime(container.opened_at):%d %b %H:%M} and passed its in-use "
            f"limit at {local:%d %b %H:%M}: discard it and open a new one.",
            extra={"fields": {"container": ["Past its in-use limit."]}},
        )
    if amount > container.quantity_remaining:
        raise Conflict(
            f"Vial #{container.pk} holds only "
            f"{_fmt(container.quantity_remaining, product.stock_unit)}.",
            extra={"fields": {"quantity": ["More than is left in the vial."]}},
        )


# --- Recall and cold chain -----------------------------------------------------------------


def batch_recall(
    *,
    clinic: Clinic,
    actor: Any,
    batch: Batch,
    reason: str,
    reference: str = "",
    at: dt.datetime | None = None,
) -> Batch:
    """Mark a batch recalled: it can no longer be picked or used, and the patients who
    received it see a banner on their record."""
    at = _aware(at)
    if not reason.strip():
        raise ValidationFailed("Give the reason.", fields={"reason": ["Give the recall reason."]})
    with transaction.atomic():
        locked = _locked_batch(clinic, batch.pk)
        if locked.recalled_at is not None:
            raise Conflict(f"Lot {locked.lot} was already recalled.")
        locked.recalled_at = at
        locked.recall_reason = reason.strip()
        locked.recall_reference = reference.strip()
        locked.recalled_by = actor
        locked.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.batch_recalled",
            subject_type="batch",
            subject_id=locked.pk,
            after={"reason": locked.recall_reason, "reference": locked.recall_reference},
        )
    return locked


def fridge_create(*, clinic: Clinic, actor: Any, name: str) -> Fridge:
    with transaction.atomic():
        fridge = Fridge(clinic=clinic, name=name.strip())
        _save(fridge)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.fridge_created",
            subject_type="fridge",
            subject_id=fridge.pk,
            after={"name": fridge.name},
        )
    return fridge


def fridge_reading_record(
    *,
    clinic: Clinic,
    actor: Any,
    fridge: Fridge,
    celsius: Decimal,
    taken_at: dt.datetime | None = None,
) -> TemperatureReading:
    """Log a fridge temperature. A reading outside a stored product's range flags every
    batch of it still in that fridge, for a person to judge (the maker's excursion data
    decides whether it may still be used)."""
    taken_at = _aware(taken_at, "taken_at")
    if fridge.clinic_id != clinic.pk:
        raise NotFound("No such fridge.")
    if not Decimal("-40") <= celsius <= Decimal("60"):
        raise ValidationFailed(
            "That is not a fridge temperature.", fields={"celsius": ["Between -40 and 60 °C."]}
        )
    with transaction.atomic():
        batches = list(
            Batch.objects.for_clinic(clinic)
            .select_related("product")
            .filter(fridge=fridge, quantity_on_hand__gt=0)
        )
        flagged = [
            b for b in batches if not b.product.storage_min_c <= celsius <= b.product.storage_max_c
        ]
        reading = TemperatureReading.objects.create(
            clinic=clinic,
            fridge=fridge,
            celsius=celsius,
            taken_at=taken_at,
            recorded_by=actor,
            excursion=bool(flagged),
        )
        note = f"{fridge.name} read {celsius} °C at {timezone.localtime(taken_at):%d %b %H:%M}."
        for batch in flagged:
            batch.cold_chain_flag = note
        Batch.objects.bulk_update(flagged, ["cold_chain_flag"])
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="inventory.fridge_reading",
            subject_type="fridge",
            subject_id=fridge.pk,
            after={"celsius": str(celsius), "flagged_batches": [b.pk for b in flagged]},
        )
    return reading


def inventory_settings_update(
    *, clinic: Clinic, actor: Any, expiry_alert_days: int, container_alert_hours: int
) -> InventorySettings:
    with transaction.atomic():
        row, _ = InventorySettings.objects.get_or_create(clinic=clinic)
        before = {"expiry_alert_days": row.expiry_alert_days,
                  "container_alert_hours": row.container_alert_hours}  # fmt: skip
        row.expiry_alert_days = expiry_alert_days
        row.container_alert_hours = container_alert_hours
        _save(row, exclude=["clinic"])
        audit_record(clinic=clinic, actor=actor, event_type="inventory.settings_updated",
                     subject_type="clinic", subject_id=clinic.pk, before=before,
                     after={"expiry_alert_days": expiry_alert_days,
                            "container_alert_hours": container_alert_hours})  # fmt: skip
    return row
