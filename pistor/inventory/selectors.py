"""Reads of the stock room. Each makes a fixed number of queries whatever the data size
(tests hold them to it with ``assert_query_cap``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pistor.clinical.gates import BatchFacts
from pistor.clinics.models import Clinic
from pistor.core.errors import NotFound
from pistor.inventory.constants import DEFAULT_CONTAINER_ALERT_HOURS, DEFAULT_EXPIRY_ALERT_DAYS
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

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=3))


def _today(on: dt.date | None) -> dt.date:
    return on if on is not None else timezone.localdate()


def batch_choices(*, clinic: Clinic, product_code: str, on: dt.date | None = None) -> list[Batch]:
    """Batches staff may pick for ``product_code``: in date on ``on``, not recalled, in
    stock; the one that expires first comes first (FEFO)."""
    return list(
        Batch.objects.for_clinic(clinic)
        .select_related("product")
        .filter(
            product__code=product_code,
            recalled_at__isnull=True,
            expires_on__gte=_today(on),
            quantity_on_hand__gt=0,
        )
        .order_by("expires_on", "pk")
    )


def batch_facts_list(
    *, clinic: Clinic, product_codes: Iterable[str], on: dt.date | None = None
) -> list[BatchFacts]:
    """The session gate's view of stock: every unrecalled batch of these products (a
    recalled batch is left out, so a product whose only stock is recalled blocks)."""
    codes = list(dict.fromkeys(product_codes))
    rows = (
        Batch.objects.for_clinic(clinic)
        .filter(product__code__in=codes, recalled_at__isnull=True)
        .order_by("expires_on", "pk")
        .values_list("product__code", "lot", "expires_on", "quantity_on_hand")
    )
    return [
        BatchFacts(product=p, lot=lot, expires_on=e, quantity_in_stock=q) for p, lot, e, q in rows
    ]


def product_list(*, clinic: Clinic, on: dt.date | None = None) -> list[StockProduct]:
    """Products with ``on_hand`` (usable stock: in date, not recalled) and ``batch_count``."""
    today = _today(on)
    usable = Q(batches__recalled_at__isnull=True, batches__expires_on__gte=today)
    return list(
        StockProduct.objects.for_clinic(clinic)
        .annotate(
            on_hand=Coalesce(Sum("batches__quantity_on_hand", filter=usable), ZERO),
            batch_count=Count("batches", filter=usable & Q(batches__quantity_on_hand__gt=0)),
        )
        .order_by("name")
    )


def product_get(*, clinic: Clinic, code: str) -> StockProduct:
    product = StockProduct.objects.for_clinic(clinic).filter(code=code).first()
    if product is None:
        raise NotFound("No such product in this clinic's stock.")
    return product


def batch_list(
    *, clinic: Clinic, product_code: str | None = None, include_empty: bool = False
) -> QuerySet[Batch]:
    """The clinic's batches by product and expiry, used-up ones only when asked: a queryset
    for ``pistor.core.pagination`` to page (a clinic's batches grow year on year)."""
    qs = Batch.objects.for_clinic(clinic).select_related("product", "fridge")
    if product_code:
        qs = qs.filter(product__code=product_code)
    if not include_empty:
        qs = qs.filter(quantity_on_hand__gt=0)
    return qs.order_by("product__name", "expires_on", "pk")


def batch_get(*, clinic: Clinic, pk: Any) -> Batch:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such batch.") from None
    batch = (
        Batch.objects.for_clinic(clinic)
        .select_related("product", "fridge", "received_by", "recalled_by")
        .filter(pk=pk)
        .first()
    )
    if batch is None:
        raise NotFound("No such batch.")
    return batch


def movement_list(*, clinic: Clinic, batch: Batch, limit: int = 200) -> list[Movement]:
    """The batch's latest movements, newest first (the page shows a bounded window)."""
    return list(
        Movement.objects.for_clinic(clinic)
        .filter(batch=batch)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )


def container_list(*, clinic: Clinic, open_only: bool = True) -> list[Container]:
    qs = Container.objects.for_clinic(clinic).select_related("batch__product", "opened_by")
    if open_only:
        qs = qs.filter(discarded_at__isnull=True, quantity_remaining__gt=0)
    return list(qs.order_by("expires_at", "pk")[:500])


def container_get(*, clinic: Clinic, pk: Any) -> Container:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such opened vial.") from None
    container = (
        Container.objects.for_clinic(clinic)
        .select_related("batch__product", "opened_by")
        .filter(pk=pk)
        .first()
    )
    if container is None:
        raise NotFound("No such opened vial.")
    return container


def _trace(qs: QuerySet[Administration]) -> QuerySet[Administration]:
    # Patients come in a second query by primary key: joined, PostgreSQL tends to hash the
    # whole patient table for a few hundred rows, which grows with the clinic.
    return (
        qs.select_related("batch__product", "container", "given_by")
        .prefetch_related("patient")
        .order_by("at", "pk")
    )


def trace_batch(
    *, clinic: Clinic, batch: Batch, limit: int | None = None, offset: int = 0
) -> list[Administration]:
    """Everyone who received ``batch``: when, on what occasion, how much, from which vial,
    with the patient's contact details (two queries: by the batch index, then patients by
    primary key)."""
    qs = _trace(Administration.objects.for_clinic(clinic).filter(batch=batch))
    return list(qs[offset : offset + limit] if limit is not None else qs[offset:])


def trace_container(*, clinic: Clinic, container: Container) -> list[Administration]:
    return list(_trace(Administration.objects.for_clinic(clinic).filter(container=container)))


def patient_administration_list(*, clinic: Clinic, patient_id: int) -> list[Administration]:
    """Which batches a patient received, newest first."""
    return list(
        Administration.objects.for_clinic(clinic)
        .filter(patient_id=patient_id)
        .select_related("batch__product", "container", "given_by")
        .order_by("-at", "-pk")
    )


def patient_recall_notices(*, clinic: Clinic, patient_id: int) -> list[Batch]:
    """Recalled batches this patient received (for the banner on their record)."""
    return list(
        Batch.objects.for_clinic(clinic)
        .filter(recalled_at__isnull=False, administrations__patient_id=patient_id)
        .select_related("product")
        .distinct()
        .order_by("-recalled_at")
    )


def inventory_settings_get(*, clinic: Clinic) -> InventorySettings:
    row = InventorySettings.objects.for_clinic(clinic).first()
    return row or InventorySettings(
        clinic=clinic,
        expiry_alert_days=DEFAULT_EXPIRY_ALERT_DAYS,
        container_alert_hours=DEFAULT_CONTAINER_ALERT_HOURS,
    )


@dataclass(frozen=True)
class Alerts:
    low_stock: list[StockProduct]
    expiring: list[Batch]
    containers: list[Container]
    cold_chain: list[Batch]
    settings: InventorySettings

    @property
    def count(self) -> int:
        return (
            len(self.low_stock) + len(self.expiring) + len(self.containers) + len(self.cold_chain)
        )


def alerts_get(*, clinic: Clinic, now: dt.datetime | None = None) -> Alerts:
    """What needs a manager's attention: usable stock below the reorder level, in-stock
    batches expiring within the clinic's window, opened vials near their in-use limit,
    and batches flagged by a fridge excursion."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    settings = inventory_settings_get(clinic=clinic)
    products = product_list(clinic=clinic, on=today)
    low = [p for p in products if getattr(p, "on_hand", 0) < p.reorder_level]
    base = Batch.objects.for_clinic(clinic).select_related("product").filter(quantity_on_hand__gt=0)
    expiring = list(
        base.filter(
            recalled_at__isnull=True,
            expires_on__lte=today + dt.timedelta(days=settings.expiry_alert_days),
        ).order_by("expires_on", "pk")[:200]
    )
    containers = list(
        Container.objects.for_clinic(clinic)
        .select_related("batch__product")
        .filter(
            discarded_at__isnull=True,
            quantity_remaining__gt=0,
            expires_at__lte=now + dt.timedelta(hours=settings.container_alert_hours),
        )
        .order_by("expires_at", "pk")[:200]
    )
    cold = list(base.exclude(cold_chain_flag="").order_by("expires_on", "pk")[:200])
    return Alerts(low, expiring, containers, cold, settings)


def fridge_list(*, clinic: Clinic) -> list[Fridge]:
    return list(Fridge.objects.for_clinic(clinic).order_by("name"))


def reading_list(*, clinic: Clinic, limit: int = 100) -> list[TemperatureReading]:
    return list(
        TemperatureReading.objects.for_clinic(clinic)
        .select_related("fridge", "recorded_by")
        .order_by("-taken_at", "-pk")[:limit]
    )
