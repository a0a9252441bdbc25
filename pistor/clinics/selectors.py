from __future__ import annotations

from typing import Any

from pistor.clinics.models import Membership


def membership_list_for_user(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, is_active=True, clinic__is_active=True)
        .select_related("clinic")
        .order_by("clinic__name")
    )


def membership_for_request(user: Any, clinic_id: Any) -> Membership | None:
    """The membership for the clinic chosen in the session, or the only one the user has."""
    qs = Membership.objects.filter(user=user, is_active=True, clinic__is_active=True)
    if clinic_id is not None:
        chosen = qs.filter(clinic_id=clinic_id).select_related("clinic").first()
        if chosen is not None:
            return chosen
    memberships = list(qs.select_related("clinic")[:2])
    return memberships[0] if len(memberships) == 1 else None
