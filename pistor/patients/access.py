"""The only way views and the API fetch a patient: role checked, clinic scoped, audited.

Every opening of a patient's record writes a "patient.viewed" audit event, so the clinic
can answer "who looked at this record?" (a data-protection duty, not a nicety).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership
from pistor.clinics.permissions import Action, can
from pistor.core.errors import Forbidden
from pistor.patients.models import Patient
from pistor.patients.selectors import MAX_PAGE_SIZE, patient_get, patient_list


def _role_of(request_or_user: Any, clinic: Clinic) -> tuple[Any, str | None]:
    if isinstance(request_or_user, HttpRequest):
        user = request_or_user.user
        membership = getattr(request_or_user, "membership", None)
        if membership is not None and membership.clinic_id == clinic.pk and membership.is_active:
            return user, membership.role
    else:
        user = request_or_user
    if user is None or not user.is_authenticated:
        return user, None
    role = (
        Membership.objects.filter(user=user, clinic=clinic, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    return user, role


def patient_get_for_user(
    *,
    request_or_user: HttpRequest | Any,
    clinic: Clinic,
    pk: Any,
    action: Action = Action.PATIENT_VIEW,
) -> Patient:
    """The patient ``pk`` of ``clinic`` if the user's role there allows ``action``.

    Raises Forbidden for a role without the permission (or no membership of ``clinic``)
    and NotFound for a missing patient or one of another clinic, then records the view.
    """
    user, role = _role_of(request_or_user, clinic)
    if not can(role, action):
        raise Forbidden("Your role at this clinic does not allow this.")
    patient = patient_get(clinic=clinic, pk=pk)
    audit_record(
        clinic=clinic,
        actor=user,
        event_type="patient.viewed",
        subject_type="patient",
        subject_id=patient.pk,
        after={"action": str(action)},
    )
    return patient


# The page size limit lives with the selector; views and the API read it from here.
PATIENT_PAGE_MAX = MAX_PAGE_SIZE


def patient_list_for_user(
    *,
    request_or_user: HttpRequest | Any,
    clinic: Clinic,
    query: str = "",
    include_archived: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Patient], int]:
    """A page of ``clinic``'s patients matching ``query``, if the user's role may see them.

    The list goes through here, not through the selector, so that the role check (and any
    recording of who listed what) cannot be skipped by a view.
    """
    _user, role = _role_of(request_or_user, clinic)
    if not can(role, Action.PATIENT_VIEW):
        raise Forbidden("Your role at this clinic does not allow this.")
    return patient_list(
        clinic=clinic,
        query=query,
        include_archived=include_archived,
        limit=limit,
        offset=offset,
    )
