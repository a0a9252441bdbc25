"""A clinic's own protocols and products for tests and demo data, built in one place.

Tests used to copy the same protocol dictionary; a change to what a protocol needs then had
to be made in each copy. ``clinic_protocol_data(**overrides)`` gives a valid definition to
adjust, and ``clinic_protocol_add`` stores one through the service (validated, audited).
"""

from __future__ import annotations

import copy
from typing import Any

from pistor.catalog.models import ClinicProduct, ClinicProtocol
from pistor.catalog.services import clinic_product_create, clinic_protocol_create

_PROTOCOL: dict[str, Any] = {
    "code": "harbour-cellulite",
    "name": "Harbour fortnightly cellulite course",
    "description": "Six sessions a fortnight apart, then two top-ups.",
    "indications": ["cellulite"],
    "phases": [
        {
            "name": "fortnightly",
            "sessions_min": 4,
            "sessions_default": 6,
            "sessions_max": 8,
            "interval_min_days": 12,
            "interval_target_days": 14,
            "interval_max_days": 21,
        }
    ],
    "maintenance": {
        "interval_min_days": 150,
        "interval_target_days": 180,
        "interval_max_days": 240,
        "count": 2,
    },
}

_PRODUCT: dict[str, Any] = {
    "code": "house-lipo",
    "name": "House lipolytic mix",
    "manufacturer": "Harbour Pharmacy",
    "form": "solution",
    "composition": [
        {"ingredient": "phosphatidylcholine", "concentration": {"value": "2.5", "unit": "mg/mL"}}
    ],
    "unit_volume": {"value": "5", "unit": "mL"},
}


def clinic_protocol_data(**overrides: Any) -> dict[str, Any]:
    """A valid clinic protocol definition (a fresh copy), with top-level ``overrides``."""
    return {**copy.deepcopy(_PROTOCOL), **overrides}


def clinic_product_data(**overrides: Any) -> dict[str, Any]:
    """A valid clinic product definition as the API takes it (a fresh copy)."""
    return {**copy.deepcopy(_PRODUCT), **overrides}


def clinic_protocol_add(clinic: Any, actor: Any = None, **overrides: Any) -> ClinicProtocol:
    """Store a clinic protocol through the service, as a manager would."""
    return clinic_protocol_create(
        clinic=clinic, actor=actor, data=clinic_protocol_data(**overrides)
    )


def clinic_product_add(clinic: Any, actor: Any = None, **overrides: Any) -> ClinicProduct:
    """Store a clinic product through the service (quantities written as text, "2.5 mg/mL")."""
    data = {"description": "A house product for tests.", **clinic_product_data(**overrides)}
    if "unit_volume" not in overrides:
        data["unit_volume"] = "5 mL"
    if "composition" not in overrides:
        data["composition"] = [{"ingredient": "phosphatidylcholine", "concentration": "2.5 mg/mL"}]
    return clinic_product_create(clinic=clinic, actor=actor, data=data)
