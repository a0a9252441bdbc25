"""The only way views and the API fetch a patient: role checked, clinic scoped, audited.

Every opening of a patient's record writes a "patient.viewed" audit event, so the clinic
can answer "who looked at this record?" (a data-protection duty, not a nicety).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from django.http import HttpRequest

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_event, audit_record, audit_written
from pistor.clinics.models import Clinic, Membership
from pistor.clinics.permissions import Action, can
from pistor.core.errors import Forbidden
from pistor.core.rows import row_id
from pistor.patients.models import Patient
from pistor.patients.selectors import (
    COUNT_LIMIT,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    patient_get,
    patient_list,
)


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
    annotations: Mapping[str, str] | None = None,
) -> Patient:
    """The patient ``pk`` of ``clinic`` if the user's role there allows ``action``.

    Raises Forbidden for a role without the permission (or no membership of ``clinic``)
    and NotFound for a missing patient or one of another clinic, then records the view.
    ``annotations`` are read with the patient's row (see ``patient_get``).
    """
    user, role = _role_of(request_or_user, clinic)
    if not can(role, action):
        raise Forbidden("Your role at this clinic does not allow this.")
    # Written by the statement that reads the patient, and only if it finds them: one
    # round trip fewer on every record opening (issue 7).
    opened = audit_event(
        clinic=clinic,
        actor=user,
        event_type=AuditEventType.PATIENT_VIEWED,
        subject_type="patient",
        subject_id=row_id(pk) or "",
        after={"action": str(action)},
    )
    patient = patient_get(clinic=clinic, pk=pk, annotations=annotations, opened=opened)
    audit_written()
    return patient


# The page size limit lives with the selector; views and the API read it from here.
PATIENT_PAGE_MAX = MAX_PAGE_SIZE
PATIENT_OFFSET_MAX = MAX_OFFSET
PATIENT_COUNT_LIMIT = COUNT_LIMIT

#: Most record ids one list event names; a page is at most 200 (MAX_PAGE_SIZE) anyway.
_LISTED_IDS_LIMIT = 200


def patient_list_for_user(
    *,
    request_or_user: HttpRequest | Any,
    clinic: Clinic,
    query: str = "",
    include_archived: bool = False,
    limit: int = 50,
    offset: int = 0,
    where: Literal["page", "search", "api"] = "page",
) -> tuple[list[Patient], int]:
    """A page of ``clinic``'s patients matching ``query``, if the user's role may see them.

    The list goes through here, not through the selector, so that neither the role check
    nor the recording of who listed what ("patient.list_viewed") can be skipped by a view.
    """
    _user, role = _role_of(request_or_user, clinic)
    if not can(role, Action.PATIENT_VIEW):
        raise Forbidden("Your role at this clinic does not allow this.")
    patients, total = patient_list(
        clinic=clinic,
        query=query,
        include_archived=include_archived,
        limit=limit,
        offset=offset,
    )
    patients_listed(
        request_or_user=request_or_user,
        clinic=clinic,
        query=query,
        include_archived=include_archived,
        patients=patients,
        where=where,
    )
    return patients, total


def patients_listed(
    *,
    request_or_user: HttpRequest | Any,
    clinic: Clinic,
    query: str,
    include_archived: bool,
    patients: Sequence[Patient],
    where: Literal["page", "search", "api"],
) -> None:
    """Record that a list or search showed these patients: reading a list is reading records.

    One "patient.list_viewed" event per list shown, naming who asked, what they typed and
    which records came back (ids and record numbers), so "who saw this patient?" includes
    everyone who saw them in a result list. The caller has already checked the role.
    """
    user: Any = (
        request_or_user.user if isinstance(request_or_user, HttpRequest) else request_or_user
    )
    shown = list(patients)[:_LISTED_IDS_LIMIT]
    audit_record(
        clinic=clinic,
        actor=user,
        event_type=AuditEventType.PATIENT_LIST_VIEWED,
        subject_type="patient",
        subject_id="",
        after={
            "where": where,
            "query": query,
            "include_archived": include_archived,
            "patient_ids": [p.pk for p in shown],
            "record_numbers": [p.record_number for p in shown],
        },
    )
