"""Test data for the stock room, written through the services where the rules matter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from pistor.clinical.units import Quantity
from pistor.inventory.models import Batch, StockProduct
from pistor.inventory.services import batch_receive, product_create


def product(clinic, code="saline-test", **fields) -> StockProduct:
    fields.setdefault("name", "Test saline")
    fields.setdefault("manufacturer", "Test Labs")
    fields.setdefault("form", "ampoule")
    fields.setdefault("unit_volume_ml", Decimal("5"))
    return product_create(clinic=clinic, actor=None, code=code, **fields)


def batch(clinic, prod: StockProduct, lot="L1", days=200, ml="10", **kw) -> Batch:
    return batch_receive(
        clinic=clinic,
        actor=None,
        product_code=prod.code,
        lot=lot,
        expires_on=timezone.localdate() + dt.timedelta(days=days),
        quantity=Quantity.of(ml, "mL"),
        **kw,
    )
