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
        "perms_pistor": {action.name.lower(): can(role, action) for action in Action},
    }
