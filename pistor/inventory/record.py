"""The inventory panel on the patient record: a banner for each recalled batch received."""

from __future__ import annotations

from typing import Any

from pistor.clinics.permissions import Action
from pistor.inventory.selectors import patient_recall_notices
from pistor.patients.record import record_panel_register


@record_panel_register(
    "inventory_notices",
    template="inventory/partials/patient_notices.html",
    action=Action.INVENTORY_VIEW,
)
def recall_notices(patient: Any) -> dict[str, Any]:
    return {
        "show": True,
        "recalled": patient_recall_notices(clinic=patient.clinic_id, patient_id=patient.pk),
    }
