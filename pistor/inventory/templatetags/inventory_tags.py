"""The patient page's stock notices: a banner for each recalled batch the patient received."""

from __future__ import annotations

from typing import Any

from django import template

from pistor.clinics.permissions import Action, can
from pistor.inventory.selectors import patient_recall_notices

register = template.Library()


@register.inclusion_tag("inventory/partials/patient_notices.html", takes_context=True)
def inventory_patient_notices(context: Any, patient: Any) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    if not can(role, Action.INVENTORY_VIEW):
        return {"show": False}
    return {
        "show": True,
        "patient": patient,
        "recalled": patient_recall_notices(clinic=patient.clinic_id, patient_id=patient.pk),
        "can_use": can(role, Action.INVENTORY_USE),
    }
