"""Writes about clinics and a person's place in them."""

from __future__ import annotations

from typing import Any

from pistor.audit.services import audit_record
from pistor.clinics.models import Membership
from pistor.core.errors import NotFound


def membership_choose(*, user: Any, clinic_id: Any, previous_clinic_id: Any) -> Membership:
    """The person's active membership of ``clinic_id``, audited as the clinic they work in.

    A clinic they do not belong to answers exactly like one that does not exist.
    """
    try:
        clinic_pk = int(clinic_id)
    except (TypeError, ValueError):
        raise NotFound("No such clinic.") from None
    membership = (
        Membership.objects.filter(
            user=user, clinic_id=clinic_pk, is_active=True, clinic__is_active=True
        )
        .select_related("clinic")
        .first()
    )
    if membership is None:
        raise NotFound("No such clinic.")
    if previous_clinic_id != membership.clinic_id:
        audit_record(
            clinic=membership.clinic,
            actor=user,
            event_type="clinic.switched",
            subject_type="clinic",
            subject_id=membership.clinic_id,
            before={"clinic_id": previous_clinic_id},
            after={"clinic_id": membership.clinic_id, "role": membership.role},
        )
    return membership
