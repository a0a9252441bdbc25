"""The inventory panel on the patient record: a banner for each recalled batch received."""

from __future__ import annotations

from typing import Any

from pistor.clinics.permissions import Action
from pistor.inventory.models import Administration, Batch, StockProduct
from pistor.inventory.selectors import patient_recall_notices
from pistor.patients.record import patient_row_changes, record_panel_register, row_changes

_GIVEN = (
    f"SELECT a.batch_id FROM {Administration._meta.db_table} a "  # noqa: S608 - table names from models
    "WHERE a.clinic_id = %(clinic)s AND a.patient_id = %(patient)s"
)


@record_panel_register(
    "inventory_notices",
    template="inventory/partials/patient_notices.html",
    action=Action.INVENTORY_VIEW,
    # What the patient was given, and those batches (a recall) and their products (names).
    versions=(
        *patient_row_changes(Administration),
        *row_changes(f"FROM {Batch._meta.db_table} r WHERE r.id IN ({_GIVEN})"),
        *row_changes(
            f"FROM {StockProduct._meta.db_table} r WHERE r.id IN "  # noqa: S608 - as above
            f"(SELECT b.product_id FROM {Batch._meta.db_table} b WHERE b.id IN ({_GIVEN}))"
        ),
    ),
)
def recall_notices(patient: Any) -> dict[str, Any]:
    return {
        "show": True,
        "recalled": patient_recall_notices(clinic=patient.clinic_id, patient_id=patient.pk),
    }
