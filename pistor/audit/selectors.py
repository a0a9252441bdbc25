"""Reads of the audit trail for the clinic's managers. A fixed number of queries per page.

Pages are keyset pages: newest first, "older than event id N", read along an index that
ends in the id, so a page costs the same at ten thousand events or a million. There is no
count of the trail and no DISTINCT over it: the filters' choices come from fixed lists.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from pistor.audit.events import SUBJECT_TYPES, VIEW_EVENTS, event_type_label
from pistor.audit.models import AuditEvent
from pistor.core.errors import NotFound
from pistor.core.rows import MAX_ID, row_id

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic

MAX_PAGE_SIZE = 200


def _clinic_tz(clinic: Clinic) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(clinic.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime | None:
    """Midnight of ``day`` in ``tz``, or None past the last representable instant."""
    try:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        start.astimezone(dt.UTC)  # the database compares in UTC: it must exist there too
    except (OverflowError, ValueError):
        return None
    return start


@dataclass
class AuditPage:
    events: list[AuditEvent]
    older_than: int | None  # the id to ask for the next (older) page from, if any
    subjects: dict[tuple[str, str], str] = field(default_factory=dict)


def audit_event_list(
    *,
    clinic: Clinic,
    event_type: str = "",
    actor_id: int | None = None,
    subject_type: str = "",
    subject_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    older_than: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """Events of ``clinic`` only, newest first, after event id ``older_than``. One query
    (two when a date filter continues from an earlier page).

    Dates are days in the clinic's time zone; ``date_to`` includes the whole of that day.
    Dates at the edge of the calendar (year 9999) give an empty page or no bound, never
    an error.
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
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
        start = _start_of_day(date_from, tz)
        if start is None:
            return AuditPage([], None)
        qs = qs.filter(occurred_at__gte=start)
    if date_to is not None and date_to < dt.date.max:
        end = _start_of_day(date_to + dt.timedelta(days=1), tz)
        if end is not None:
            qs = qs.filter(occurred_at__lt=end)
    ordering = ["-id"]
    by_time = date_from is not None or date_to is not None
    if by_time:
        # A range of dates is read along the (clinic, time, id) index, newest first: ids
        # and times run together (both are taken when the event is written), and a page
        # stays an index range scan however many events that range holds.
        ordering = ["-occurred_at", "-id"]
    if older_than is not None:
        older_than = max(0, min(int(older_than), MAX_ID))
        if by_time:
            after = AuditEvent.objects.filter(clinic=clinic, pk=older_than).values_list(
                "occurred_at", flat=True
            )
            moment = after.first()
            if moment is None:
                return AuditPage([], None)
            qs = qs.filter(occurred_at__lte=moment).filter(
                Q(occurred_at__lt=moment) | Q(id__lt=older_than)
            )
        else:
            qs = qs.filter(id__lt=older_than)
    rows = list(qs.select_related("actor").order_by(*ordering)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].pk if more else None)


def audit_event_get(*, clinic: Clinic, pk: Any) -> AuditEvent:
    """One event of ``clinic``; another clinic's event answers NotFound like a missing one."""
    key = row_id(pk)
    try:
        if key is None:
            raise AuditEvent.DoesNotExist
        return AuditEvent.objects.select_related("actor").get(clinic=clinic, pk=key)
    except AuditEvent.DoesNotExist:
        raise NotFound("No such audit event at this clinic.") from None


def audit_patient_id_for_record_number(*, clinic: Clinic, record_number: str) -> str | None:
    """The id (as the trail stores it) of ``clinic``'s patient with this record number."""
    from pistor.patients.models import Patient

    pk = (
        Patient.objects.for_clinic(clinic)
        .filter(record_number__iexact=record_number.strip())
        .values_list("pk", flat=True)
        .first()
    )
    return str(pk) if pk is not None else None


def audit_subject_names(
    *, clinic: Clinic, events: list[AuditEvent], show_patient_names: bool
) -> dict[tuple[str, str], str]:
    """A readable name for each event's subject. At most one query (the patients shown).

    Patients are named by record number, and by name too for those whose role may open
    patients' records; other subjects by their type and id.
    """
    from pistor.patients.models import Patient

    names: dict[tuple[str, str], str] = {}
    patient_ids = {
        int(e.subject_id)
        for e in events
        if e.subject_type == "patient" and e.subject_id.isdigit() and len(e.subject_id) < 19
    }
    if patient_ids:
        for pk, number, given, family in (
            Patient.objects.for_clinic(clinic)
            .filter(pk__in=patient_ids)
            .values_list("pk", "record_number", "given_name", "family_name")
        ):
            names[("patient", str(pk))] = (
                f"{number} · {given} {family}" if show_patient_names else str(number)
            )
    for event in events:
        key = (event.subject_type, event.subject_id)
        if event.subject_type and key not in names:
            kind = SUBJECT_TYPES.get(event.subject_type, event.subject_type)
            names[key] = f"{kind} {event.subject_id}".strip()
    return names


def audit_event_label(event: AuditEvent) -> str:
    return event_type_label(event.event_type)


def audit_is_view(event: AuditEvent) -> bool:
    return event.event_type in VIEW_EVENTS


def audit_has_changes(event: AuditEvent) -> bool:
    """True when the event records values (before or after), not only an action."""
    return not audit_is_view(event) and bool(event.before or event.after)


def audit_view_details(event: AuditEvent) -> list[tuple[str, Any]]:
    """(name, value) rows of what a view event names (the photographs shown, the
    rendition, the search), for display; nothing for any other event."""
    if not audit_is_view(event):
        return []
    return list((event.after or {}).items())


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
