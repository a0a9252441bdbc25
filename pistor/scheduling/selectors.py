"""Reads of scheduling: the clinic's hours, resources, calendars and free slots.

Every selector loads a fixed number of queries whatever the number of appointments
(one per table it reads); slot finding itself happens in ``pistor.clinical.slots``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from pistor.clinical import slots as core
from pistor.clinical.protocols import OpenDays
from pistor.clinics.models import Clinic, Membership, Role
from pistor.core.errors import NotFound, ValidationFailed
from pistor.scheduling.constants import RELEASED_STATUSES, ResourceKind, VisitKind
from pistor.scheduling.models import (
    Absence,
    Appointment,
    AppointmentType,
    ClosedDay,
    HoursException,
    OpeningHours,
    Resource,
    WorkingHours,
)

# Roles whose members see patients in their own column of the calendar.
TREATING_ROLES = (Role.PRACTITIONER, Role.NURSE)


def clinic_tz(clinic: Clinic) -> ZoneInfo:
    return ZoneInfo(clinic.time_zone)


def staff_list(*, clinic: Clinic) -> list[Membership]:
    return list(
        Membership.objects.filter(clinic=clinic, is_active=True, role__in=TREATING_ROLES)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def staff_get(*, clinic: Clinic, pk: int) -> Membership:
    try:
        return Membership.objects.select_related("user").get(
            clinic=clinic, pk=pk, is_active=True, role__in=TREATING_ROLES
        )
    except (Membership.DoesNotExist, ValueError, OverflowError):
        raise NotFound("No such practitioner at this clinic.") from None


def resource_list(*, clinic: Clinic, kind: str | None = None) -> list[Resource]:
    qs = Resource.objects.for_clinic(clinic).filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


def resource_get(*, clinic: Clinic, pk: int, kind: str | None = None) -> Resource:
    qs = Resource.objects.for_clinic(clinic)
    if kind:
        qs = qs.filter(kind=kind)
    try:
        return qs.get(pk=pk)
    except (Resource.DoesNotExist, ValueError, OverflowError):
        raise NotFound("No such room or device at this clinic.") from None


def appointment_type_list(*, clinic: Clinic, online_only: bool = False) -> list[AppointmentType]:
    qs = AppointmentType.objects.for_clinic(clinic).filter(is_active=True)
    if online_only:
        qs = qs.filter(online_bookable=True)
    return list(qs)


def appointment_type_get(*, clinic: Clinic, pk: int) -> AppointmentType:
    try:
        return AppointmentType.objects.for_clinic(clinic).get(pk=pk, is_active=True)
    except (AppointmentType.DoesNotExist, ValueError, OverflowError):
        raise NotFound("No such appointment type at this clinic.") from None


def course_type_for(*, clinic: Clinic, indication_code: str) -> AppointmentType:
    """The visit type a course's sessions are booked as: the clinic's treatment type for the
    indication, else its general treatment type; ``ValidationFailed`` when it has none."""
    types = [t for t in appointment_type_list(clinic=clinic) if t.kind == VisitKind.TREATMENT]
    for wanted in (indication_code, ""):
        for t in types:
            if t.indication_code == wanted:
                return t
    if types:
        return types[0]
    raise ValidationFailed(
        "The clinic has no treatment session type yet; a manager adds one first.",
        fields={"appointment_type_id": ["Choose an appointment type."]},
    )


def appointment_get(*, clinic: Clinic, pk: int) -> Appointment:
    try:
        return (
            Appointment.objects.for_clinic(clinic)
            .select_related(
                "patient", "staff__user", "appointment_type", "room", "device", "plan_session"
            )
            .get(pk=pk)
        )
    except (Appointment.DoesNotExist, ValueError, OverflowError):
        raise NotFound("No such appointment at this clinic.") from None


def live_appointments(*, clinic: Clinic) -> QuerySet[Appointment]:
    return Appointment.objects.for_clinic(clinic).exclude(status__in=RELEASED_STATUSES)


def appointment_list(
    *,
    clinic: Clinic,
    start: dt.datetime,
    end: dt.datetime,
    staff_id: int | None = None,
    room_id: int | None = None,
    include_cancelled: bool = True,
) -> list[Appointment]:
    """Appointments overlapping ``[start, end)``, with what a calendar shows of them."""
    qs = Appointment.objects.for_clinic(clinic).filter(starts_at__lt=end, ends_at__gt=start)
    if staff_id is not None:
        qs = qs.filter(staff_id=staff_id)
    if room_id is not None:
        qs = qs.filter(room_id=room_id)
    if not include_cancelled:
        qs = qs.exclude(status__in=RELEASED_STATUSES)
    return list(
        qs.select_related("patient", "staff__user", "appointment_type", "room", "device").order_by(
            "starts_at", "pk"
        )
    )


# --- Calendars for slot finding -----------------------------------------------------------


@dataclass(frozen=True)
class Calendars:
    """Everything slot finding needs for a range of days, loaded in a fixed number of queries."""

    tz: ZoneInfo
    staff: dict[int, core.Calendar]
    rooms: dict[int, core.Calendar]
    devices: dict[int, tuple[str, core.Calendar]]  # id -> (device type, calendar)
    opening: list[core.Interval]

    def needs(
        self, appointment_type: AppointmentType, staff_ids: Iterable[int] | None = None
    ) -> list[list[core.Calendar]]:
        wanted = set(staff_ids) if staff_ids is not None else None
        out = [[c for k, c in self.staff.items() if wanted is None or k in wanted]]
        if appointment_type.needs_room:
            out.append(list(self.rooms.values()))
        if appointment_type.device_type:
            out.append([c for t, c in self.devices.values() if t == appointment_type.device_type])
        return out


def _day_range(tz: ZoneInfo, day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        core.local_instant(day_from, dt.time(0), tz),
        core.local_instant(day_to + dt.timedelta(days=1), dt.time(0), tz),
    )


def closed_dates(*, clinic: Clinic, day_from: dt.date, day_to: dt.date) -> set[dt.date]:
    """Dates the clinic is shut: closed days and weekdays without opening hours."""
    open_weekdays = set(OpeningHours.objects.for_clinic(clinic).values_list("weekday", flat=True))
    shut = set(
        ClosedDay.objects.for_clinic(clinic)
        .filter(date__gte=day_from, date__lte=day_to)
        .values_list("date", flat=True)
    )
    if open_weekdays:
        day = day_from
        while day <= day_to:
            if day.weekday() not in open_weekdays:
                shut.add(day)
            day += dt.timedelta(days=1)
    return shut


def clinic_open_days(*, clinic: Clinic, since: dt.date) -> OpenDays:
    """The clinic's closed weekdays (those without opening hours, once any are set) and
    closed dates from ``since`` on, for the protocol planner (two queries)."""
    open_weekdays = set(OpeningHours.objects.for_clinic(clinic).values_list("weekday", flat=True))
    closed_weekdays = frozenset(range(7)) - open_weekdays if open_weekdays else frozenset()
    dates = frozenset(
        ClosedDay.objects.for_clinic(clinic).filter(date__gte=since).values_list("date", flat=True)
    )
    return OpenDays(closed_weekdays=closed_weekdays, closed_dates=dates)


def calendars_load(
    *,
    clinic: Clinic,
    day_from: dt.date,
    day_to: dt.date,
    exclude_appointment_id: int | None = None,
) -> Calendars:
    """The working time and taken time of every practitioner, room and device.

    Staff work their weekly hours (or the date's exception) inside the clinic's opening
    hours; rooms and devices are available whenever the clinic is open. A clinic that has
    not set opening hours yet is bounded by its staff's hours alone.
    """
    tz = clinic_tz(clinic)
    start, end = _day_range(tz, day_from, day_to)
    shut = set(
        ClosedDay.objects.for_clinic(clinic)
        .filter(date__gte=day_from, date__lte=day_to)
        .values_list("date", flat=True)
    )
    opening_rules = [
        core.WeeklyHours(o.weekday, o.opens, o.closes)
        for o in OpeningHours.objects.for_clinic(clinic)
    ]
    always = [core.WeeklyHours(d, dt.time(0), dt.time(23, 59, 59)) for d in range(7)]
    opening = core.working_intervals(
        weekly=opening_rules or always, day_from=day_from, day_to=day_to, tz=tz, closed=shut
    )

    weekly: dict[int, list[core.WeeklyHours]] = defaultdict(list)
    for w in WorkingHours.objects.for_clinic(clinic):
        weekly[w.staff_id].append(core.WeeklyHours(w.weekday, w.starts, w.ends))
    exceptions: dict[int, dict[dt.date, list[tuple[dt.time, dt.time]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for e in HoursException.objects.for_clinic(clinic).filter(date__gte=day_from, date__lte=day_to):
        exceptions[e.staff_id][e.date].append((e.starts, e.ends))

    busy: dict[tuple[str, int], list[core.Interval]] = defaultdict(list)
    for a in Absence.objects.for_clinic(clinic).filter(starts_at__lt=end, ends_at__gt=start):
        busy[("staff", a.staff_id)].append(core.Interval(a.starts_at, a.ends_at))
    live = live_appointments(clinic=clinic).filter(starts_at__lt=end, occupied_until__gt=start)
    if exclude_appointment_id is not None:
        live = live.exclude(pk=exclude_appointment_id)
    for staff_id, room_id, device_id, s, u in live.values_list(
        "staff_id", "room_id", "device_id", "starts_at", "occupied_until"
    ):
        taken = core.Interval(s, u)
        busy[("staff", staff_id)].append(taken)
        if room_id:
            busy[("resource", room_id)].append(taken)
        if device_id:
            busy[("resource", device_id)].append(taken)

    staff: dict[int, core.Calendar] = {}
    for m in staff_list(clinic=clinic):
        own = core.working_intervals(
            weekly=weekly.get(m.pk, []),
            day_from=day_from,
            day_to=day_to,
            tz=tz,
            exceptions=dict(exceptions.get(m.pk, {})),
            closed=shut,
        )
        staff[m.pk] = core.Calendar(
            key=f"staff:{m.pk}",
            working=tuple(core.intersect(own, opening)),
            busy=tuple(busy.get(("staff", m.pk), [])),
        )
    rooms: dict[int, core.Calendar] = {}
    devices: dict[int, tuple[str, core.Calendar]] = {}
    for r in resource_list(clinic=clinic):
        cal = core.Calendar(
            key=f"{r.kind}:{r.pk}",
            working=tuple(opening),
            busy=tuple(busy.get(("resource", r.pk), [])),
        )
        if r.kind == ResourceKind.ROOM:
            rooms[r.pk] = cal
        else:
            devices[r.pk] = (r.device_type, cal)
    return Calendars(tz=tz, staff=staff, rooms=rooms, devices=devices, opening=opening)


def slots_find(
    *,
    clinic: Clinic,
    appointment_type: AppointmentType,
    day_from: dt.date,
    day_to: dt.date,
    staff_ids: Sequence[int] | None = None,
    not_before: dt.datetime | None = None,
    limit: int | None = 200,
    calendars: Calendars | None = None,
) -> list[core.Slot]:
    """Free starts for ``appointment_type`` between two dates (inclusive), earliest first."""
    cals = calendars or calendars_load(clinic=clinic, day_from=day_from, day_to=day_to)
    return core.find_slots(
        needs=cals.needs(appointment_type, staff_ids),
        duration=dt.timedelta(minutes=appointment_type.duration_minutes),
        buffer=dt.timedelta(minutes=appointment_type.buffer_minutes),
        tz=cals.tz,
        not_before=not_before,
        limit=limit,
    )


def resource_ids(keys: Sequence[str]) -> dict[str, int]:
    """``("staff:3", "room:7", "device:9")`` -> ``{"staff": 3, "room": 7, "device": 9}``."""
    out: dict[str, int] = {}
    for key in keys:
        kind, _, pk = key.partition(":")
        out[kind] = int(pk)
    return out


def overlapping(
    *, clinic: Clinic, start: dt.datetime, until: dt.datetime, exclude_id: int | None = None
) -> QuerySet[Appointment]:
    qs = live_appointments(clinic=clinic).filter(starts_at__lt=until, occupied_until__gt=start)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs


def opening_hours_list(*, clinic: Clinic) -> list[OpeningHours]:
    return list(OpeningHours.objects.for_clinic(clinic))


def closed_day_list(*, clinic: Clinic, since: dt.date) -> list[ClosedDay]:
    return list(ClosedDay.objects.for_clinic(clinic).filter(date__gte=since)[:200])


def working_hours_list(*, clinic: Clinic, staff: Membership) -> list[WorkingHours]:
    return list(WorkingHours.objects.for_clinic(clinic).filter(staff=staff))


def hours_exception_list(
    *, clinic: Clinic, staff: Membership, since: dt.date
) -> list[HoursException]:
    return list(
        HoursException.objects.for_clinic(clinic).filter(staff=staff, date__gte=since)[:200]
    )


def absence_list(*, clinic: Clinic, staff: Membership, since: dt.datetime) -> list[Absence]:
    return list(Absence.objects.for_clinic(clinic).filter(staff=staff, ends_at__gt=since)[:200])


def patient_pk_by_number(*, clinic: Clinic, number: str) -> int | None:
    """The id of the clinic's patient with this record number; the caller then fetches the
    patient through ``pistor.patients.access`` (which checks the role and audits)."""
    from pistor.patients.models import Patient

    return (
        Patient.objects.for_clinic(clinic)
        .filter(record_number=number.strip())
        .values_list("pk", flat=True)
        .first()
    )


def staff_filter(staff_id: int | None, room_id: int | None) -> Q:
    q = Q()
    if staff_id is not None:
        q &= Q(staff_id=staff_id)
    if room_id is not None:
        q &= Q(room_id=room_id)
    return q
