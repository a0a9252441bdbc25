from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pistor.clinics.permissions import Action, can


def current_clinic(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    return {
        "current_clinic": getattr(request, "clinic", None),
        "current_membership": membership,
        # From the middleware's one query: base.html's "switch clinic" link asks nothing.
        "several_clinics": _clinic_count(request) > 1,
        "perms_pistor": {action.name.lower(): can(role, action) for action in Action},
    }


def _clinic_count(request: HttpRequest) -> int:
    context = getattr(request, "staff_context", None)
    return context.clinic_count if context is not None else 0
