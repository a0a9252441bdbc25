"""The patient record's treatment timeline: sessions newest first, with the course on top."""

from __future__ import annotations

from typing import Any

from django import template

from pistor.clinics.permissions import Action, can
from pistor.treatments.constants import MAP_HEIGHT, MAP_WIDTH
from pistor.treatments.selectors import CHART_SMALL, VOLUME_CHART, session_timeline

register = template.Library()


@register.inclusion_tag("treatments/partials/timeline.html", takes_context=True)
def treatment_timeline(context: Any, patient: Any) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    if not can(role, Action.TREATMENT_VIEW):
        return {"show": False}
    return {
        "show": True,
        "patient": patient,
        "timeline": session_timeline(clinic_id=patient.clinic_id, patient_id=patient.pk),
        "small_w": MAP_WIDTH * CHART_SMALL,
        "small_h": MAP_HEIGHT * CHART_SMALL,
        "chart_w": VOLUME_CHART[0],
        "chart_h": VOLUME_CHART[1],
    }
