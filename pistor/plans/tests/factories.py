"""Plans and prices for tests, made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pistor.plans.services import plan_create, price_item_set


def rejuvenation_plan(*, clinic, patient, by, **overrides):
    """Seed 004's ten weekly sessions (then monthly) for skin rejuvenation with NCTF."""
    values: dict[str, Any] = {
        "indication_code": "skin-rejuvenation",
        "protocol_code": "seed-course-10-weekly",
        "first_session": dt.date(2026, 12, 7),
        "areas": ["face"],
        "technique_code": "nappage",
        "product_codes": ["nctf-135ha"],
    }
    values.update(overrides)
    return plan_create(clinic=clinic, patient=patient, by=by, **values)


def fat_plan(*, clinic, patient, by):
    """Injection lipolysis with a phosphatidylcholine product (soy-derived)."""
    return plan_create(
        clinic=clinic,
        patient=patient,
        by=by,
        indication_code="localised-fat",
        protocol_code="lipolysis-pcdc",
        first_session=dt.date(2026, 12, 7),
        areas=["abdomen"],
        technique_code="point-by-point",
        product_codes=["lipostabil"],
    )


def standard_prices(*, clinic, by):
    price_item_set(
        clinic=clinic,
        by=by,
        kind="session",
        indication_code="skin-rejuvenation",
        area="",
        amount="150.00",
    )
    price_item_set(clinic=clinic, by=by, kind="product", product_code="nctf-135ha", amount="40.00")
