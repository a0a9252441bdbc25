"""The patient record's progress panel: a line chart per outcome scale, sessions marked."""

from __future__ import annotations

from typing import Any

from django import template

from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.permissions import Action, can
from pistor.outcomes.selectors import measurement_list, progress_charts, session_dates

register = template.Library()


@register.inclusion_tag("outcomes/partials/patient_progress.html", takes_context=True)
def outcomes_patient_progress(context: Any, patient: Any) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    if not can(role, Action.OUTCOME_VIEW):
        return {"show": False}
    measurements = measurement_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    charts = []
    if measurements:
        charts = progress_charts(
            measurements=measurements,
            sessions=session_dates(clinic_id=patient.clinic_id, patient_id=patient.pk),
            catalog=catalog_for_clinic(clinic=patient.clinic),
        )
    return {"show": True, "patient": patient, "charts": charts}
