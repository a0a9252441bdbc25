"""The treatment panel on the patient record: sessions newest first, the course on top."""

from __future__ import annotations

from typing import Any

from pistor.clinics.permissions import Action
from pistor.patients.record import record_panel_register
from pistor.treatments.constants import MAP_HEIGHT, MAP_WIDTH
from pistor.treatments.selectors import CHART_SMALL, VOLUME_CHART, session_timeline


@record_panel_register(
    "treatment_timeline",
    template="treatments/partials/timeline.html",
    action=Action.TREATMENT_VIEW,
)
def treatment_timeline(patient: Any) -> dict[str, Any]:
    return {
        "show": True,
        "timeline": session_timeline(clinic_id=patient.clinic_id, patient_id=patient.pk),
        "small_w": MAP_WIDTH * CHART_SMALL,
        "small_h": MAP_HEIGHT * CHART_SMALL,
        "chart_w": VOLUME_CHART[0],
        "chart_h": VOLUME_CHART[1],
    }
