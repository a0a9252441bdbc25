"""Reads of the audit trail for the clinic's managers. A fixed number of queries per page."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from pistor.audit.models import AuditEvent
from pistor.core.errors import NotFound

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic

MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1


def _start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _clinic_tz(clinic: Clinic) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(clinic.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def audit_event_list(
    *,
    clinic: Clinic,
    event_type: str = "",
    actor_id: int | None = None,
    subject_type: str = "",
    subject_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Events of ``clinic`` only, newest first, and how many match. Two queries.

    Dates are days in the clinic's time zone; ``date_to`` includes the whole of that day.
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    qs = AuditEvent.objects.filter(clinic=clinic)
    if event_type:
        qs = qs.filter(event_type=event_type)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    tz = _clinic_tz(clinic)
    if date_from is not None:
        qs = qs.filter(occurred_at__gte=_start_of_day(date_from, tz))
    if date_to is not None:
        qs = qs.filter(occurred_at__lt=_start_of_day(date_to + dt.timedelta(days=1), tz))
    total = qs.count()
    if total == 0 or offset >= total:
        return [], total
    rows = list(qs.select_related("actor").order_by("-sequence")[offset : offset + limit])
    return rows, total


def audit_event_get(*, clinic: Clinic, pk: Any) -> AuditEvent:
    """One event of ``clinic``; another clinic's event answers NotFound like a missing one."""
    try:
        key = int(pk)
        if not 0 < key <= MAX_ID:  # beyond a 64-bit id the database errors instead of missing
            raise ValueError(key)
        return AuditEvent.objects.select_related("actor").get(clinic=clinic, pk=key)
    except (AuditEvent.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such audit event at this clinic.") from None


def audit_event_type_list(*, clinic: Clinic) -> list[str]:
    """The event types this clinic's trail holds, for the filter. One query."""
    return list(
        AuditEvent.objects.filter(clinic=clinic)
        .order_by("event_type")
        .values_list("event_type", flat=True)
        .distinct()
    )


def audit_subject_type_list(*, clinic: Clinic) -> list[str]:
    return [
        s
        for s in AuditEvent.objects.filter(clinic=clinic)
        .order_by("subject_type")
        .values_list("subject_type", flat=True)
        .distinct()
        if s
    ]


def audit_changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field, before, after) rows for display, in field order of first appearance."""
    before = event.before or {}
    after = event.after or {}
    names = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return [(name, before.get(name), after.get(name)) for name in names]


def audit_actor_choices(*, clinic: Clinic) -> list[tuple[int, str]]:
    """Staff who have (or had) a role at ``clinic``, for the "who" filter. One query."""
    from pistor.clinics.models import Membership

    memberships = (
        Membership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [
        (m.user_id, f"{m.user.full_name or m.user.email} ({m.user.email})") for m in memberships
    ]
