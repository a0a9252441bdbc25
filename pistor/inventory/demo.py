"""The demo clinic's stock room, written through the real services: batches of Harbour's
products (one expiring inside the alert window, one recalled), an opened multi-dose vial,
a fridge log with one excursion, and allergy-test administrations so the trace page lists
demo patients. Loading again adds nothing that is already there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from pistor.clinical.units import Quantity
from pistor.clinics.models import Clinic
from pistor.inventory import services
from pistor.inventory.models import Batch, StockProduct
from pistor.patients.models import Patient

# (catalog code, overrides)
PRODUCTS = [
    (
        "nctf-135ha",
        {
            "form": "vial",
            "unit_volume_ml": Decimal("3"),
            "price": Decimal("38"),
            "reorder_level": Decimal("15"),
        },
    ),
    (
        "lidocaine-1",
        {
            "form": "vial",
            "unit_volume_ml": Decimal("20"),
            "multi_dose": True,
            "in_use_hours": 24,
            "storage_min_c": Decimal("15"),
            "storage_max_c": Decimal("25"),
            "price": Decimal("4.5"),
            "reorder_level": Decimal("40"),
        },
    ),
    (
        "restylane-vital",
        {
            "form": "prefilled_syringe",
            "unit_volume_ml": Decimal("1"),
            "price": Decimal("95"),
            "reorder_level": Decimal("2"),
        },
    ),
]

# (product, lot, days to expiry, mL, supplier, fridge?)
BATCHES = [
    ("nctf-135ha", "NC24A117", 20, "15", "Filorga UK", True),  # inside the 30-day window
    ("nctf-135ha", "NC24C502", 240, "30", "Filorga UK", True),
    ("lidocaine-1", "LD2409-33", 400, "100", "Hospital pharmacy", False),
    ("restylane-vital", "RV-88213", 300, "5", "Galderma", True),
    ("restylane-vital", "RV-87940", 150, "3", "Galderma", True),  # recalled below
]


def inventory_demo_load(*, clinic: Clinic, actor: object | None = None) -> int:
    """Create the demo stock for ``clinic`` if it has none yet; return rows created."""
    if StockProduct.objects.for_clinic(clinic).exists():
        return 0
    created = 0
    now = timezone.now()
    for code, fields in PRODUCTS:
        services.product_create(clinic=clinic, actor=actor, code=code, **fields)
        created += 1
    fridge = services.fridge_create(clinic=clinic, actor=actor, name="Treatment room fridge")
    batches: dict[str, Batch] = {}
    for code, lot, days, ml, supplier, cold in BATCHES:
        batches[lot] = services.batch_receive(
            clinic=clinic,
            actor=actor,
            product_code=code,
            lot=lot,
            expires_on=timezone.localdate() + dt.timedelta(days=days),
            quantity=Quantity.of(ml, "mL"),
            supplier=supplier,
            delivery_note=f"DN-{lot[-4:]}",
            fridge=fridge if cold else None,
            at=now - dt.timedelta(days=10),
        )
        created += 1
    vial = services.container_open(
        clinic=clinic, actor=actor, batch=batches["LD2409-33"], at=now - dt.timedelta(hours=3)
    )
    patients = list(Patient.objects.for_clinic(clinic).filter(archived_at__isnull=True)[:3])
    for i, patient in enumerate(patients):
        at = now - dt.timedelta(days=7 - i)
        services.stock_use(
            clinic=clinic,
            actor=actor,
            patient=patient,
            product_code="restylane-vital",
            quantity=Quantity.of("0.05", "mL"),
            batch=batches["RV-87940"],
            occasion="allergy_test",
            occasion_ref=f"demo-test-{i + 1}",
            at=at,
        )
        services.stock_use(
            clinic=clinic,
            actor=actor,
            patient=patient,
            product_code="lidocaine-1",
            quantity=Quantity.of("0.2", "mL"),
            container=vial,
            occasion="allergy_test",
            occasion_ref=f"demo-test-{i + 1}",
            at=now - dt.timedelta(hours=2 - i / 2),
        )
        created += 2
    services.batch_recall(
        clinic=clinic,
        actor=actor,
        batch=batches["RV-87940"],
        reason="Manufacturer notice: possible particulate matter in some syringes.",
        reference="FSN-2026-114",
    )
    for hours, celsius in [(50, "4.5"), (26, "5.0"), (2, "9.8")]:  # the last is an excursion
        services.fridge_reading_record(
            clinic=clinic,
            actor=actor,
            fridge=fridge,
            celsius=Decimal(celsius),
            taken_at=now - dt.timedelta(hours=hours),
        )
        created += 1
    return created
