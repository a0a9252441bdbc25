"""The outcomes panel on the patient record: a line chart per outcome scale, sessions
marked."""

from __future__ import annotations

from typing import Any

from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.permissions import Action
from pistor.outcomes.selectors import measurement_list, progress_charts, session_dates
from pistor.patients.record import record_panel_register


@record_panel_register(
    "outcome_progress",
    template="outcomes/partials/patient_progress.html",
    action=Action.OUTCOME_VIEW,
)
def outcome_progress(patient: Any) -> dict[str, Any]:
    measurements = measurement_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    charts = []
    if measurements:
        charts = progress_charts(
            measurements=measurements,
            sessions=session_dates(clinic_id=patient.clinic_id, patient_id=patient.pk),
            catalog=catalog_for_clinic(clinic=patient.clinic),
        )
    return {"show": True, "charts": charts}
