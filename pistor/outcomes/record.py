"""The outcomes panel on the patient record: a line chart per outcome scale, sessions
marked."""

from __future__ import annotations

from typing import Any

from pistor.clinical.catalog import load_catalog
from pistor.clinics.permissions import Action
from pistor.outcomes.models import Measurement
from pistor.outcomes.selectors import measurement_list, progress_charts, session_dates
from pistor.patients.record import patient_row_changes, record_panel_register
from pistor.treatments.models import TreatmentSession


@record_panel_register(
    "outcome_progress",
    template="outcomes/partials/patient_progress.html",
    action=Action.OUTCOME_VIEW,
    # The scores, and the sessions whose days mark the charts.
    versions=(
        *patient_row_changes(Measurement),
        *patient_row_changes(TreatmentSession),
    ),
)
def outcome_progress(patient: Any) -> dict[str, Any]:
    measurements = measurement_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    charts = []
    if measurements:
        charts = progress_charts(
            measurements=measurements,
            sessions=session_dates(clinic_id=patient.clinic_id, patient_id=patient.pk),
            # Scales are the built-in catalog's alone (a clinic adds protocols and
            # products), so the clinic's merged catalog and its two queries are not needed.
            catalog=load_catalog(),
        )
    return {"show": True, "charts": charts}
