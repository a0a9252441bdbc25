"""Writes of scheduling: hours, resources, visit types, booking, moving and cancelling.

No double booking: ``appointment_book`` and ``appointment_move`` look for an overlapping
live appointment of the same member of staff, room, device or patient inside one
transaction. On SQLite that transaction starts with BEGIN IMMEDIATE (the project's mode),
so bookings are checked one after another; on PostgreSQL two transactions may both pass
the check, and the exclusion constraints of migration 0002 refuse the second insert. Both
paths answer ``Conflict`` naming what collides.

On SQLite, writers of one process first queue in the application (``calendar_writer``,
``pistor.core.write_queue``) rather than in SQLite's busy loop, which under a flood of 200
bookings once left the unluckiest waiting past the busy timeout ("database is locked").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinical import slots as core
from pistor.clinics.models import Clinic, Membership
from pistor.core import clock
from pistor.core.errors import Conflict, ValidationFailed, validation_error_from_django
from pistor.core.write_queue import sqlite_write_queue
from pistor.patients.models import Patient
from pistor.scheduling.constants import (
    LATE_CANCELLATION_HOURS,
    MAX_APPOINTMENT_MINUTES,
    MAX_BOOKING_AHEAD_DAYS,
    NEXT_STATUSES,
    TREATMENT_MAX_MINUTES,
    TREATMENT_MIN_MINUTES,
    BookedVia,
    CancelledBy,
    ResourceKind,
    Status,
    VisitKind,
)
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
from pistor.scheduling.selectors import calendars_load, clinic_tz, overlapping

# What each PostgreSQL guard protects, for the 409 message.
_GUARD_WORDS = {
    "scheduling_no_double_staff": "The practitioner already has an appointment at that time.",
    "scheduling_no_double_room": "The room is already booked at that time.",
    "scheduling_no_double_device": "The device is already in use at that time.",
    "scheduling_no_double_patient": "The patient already has an appointment at that time.",
}


SQLITE_QUEUE_SECONDS = 120


@contextmanager
def calendar_writer() -> Iterator[None]:
    """Hold the process's SQLite write queue (``pistor.core.write_queue``) for a booking's
    transaction; re-entrant, so a whole-course booking holds it once around all its
    sessions. On PostgreSQL it does nothing: the advisory lock and the exclusion
    constraints order writers."""
    with sqlite_write_queue(timeout=SQLITE_QUEUE_SECONDS) as acquired:
        if not acquired:
            raise Conflict(
                "The calendar is busy with other bookings; nothing was written. Try again.",
                extra={"collisions": ["busy"]},
            )
        yield


def _full_clean(obj: Any, **kwargs: Any) -> None:
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise validation_error_from_django(exc) from None


def _fields(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


# --- Hours and resources ------------------------------------------------------------------


def opening_hours_set(
    *, clinic: Clinic, actor: Any, hours: Sequence[tuple[int, dt.time, dt.time]]
) -> list[OpeningHours]:
    """Replace the clinic's weekly opening hours; a weekday left out is closed."""
    rows = [OpeningHours(clinic=clinic, weekday=w, opens=o, closes=c) for w, o, c in hours]
    seen: set[int] = set()
    for row in rows:
        _full_clean(row, exclude=["clinic"], validate_unique=False, validate_constraints=False)
        if row.closes <= row.opens:
            raise _fields("closes", "Closing time must be after opening time.")
        if row.weekday in seen:
            raise _fields("weekday", "Each weekday has one line of opening hours.")
        seen.add(row.weekday)
    with transaction.atomic():
        OpeningHours.objects.for_clinic(clinic).delete()
        OpeningHours.objects.bulk_create(rows)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_OPENING_HOURS_SET,
            subject_type="clinic",
            subject_id=clinic.pk,
            after={"hours": [[w, str(o), str(c)] for w, o, c in hours]},
        )
    return rows


def closed_day_add(*, clinic: Clinic, actor: Any, date: dt.date, reason: str = "") -> ClosedDay:
    day = ClosedDay(clinic=clinic, date=date, reason=reason)
    _full_clean(day, exclude=["clinic"], validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if ClosedDay.objects.for_clinic(clinic).filter(date=date).exists():
            raise _fields("date", "That date is already marked closed.")
        day.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_CLOSED_DAY_ADDED,
            subject_type="closed_day",
            subject_id=day.pk,
            after={"date": str(date), "reason": reason},
        )
    return day


def working_hours_set(
    *,
    clinic: Clinic,
    actor: Any,
    staff: Membership,
    hours: Sequence[tuple[int, dt.time, dt.time]],
) -> list[WorkingHours]:
    """Replace a member of staff's weekly hours at this clinic."""
    rows = [
        WorkingHours(clinic=clinic, staff=staff, weekday=w, starts=s, ends=e) for w, s, e in hours
    ]
    for row in rows:
        _full_clean(row, exclude=["clinic", "staff"], validate_constraints=False)
        if row.ends <= row.starts:
            raise _fields("ends", "Working hours must end after they start.")
    with transaction.atomic():
        WorkingHours.objects.for_clinic(clinic).filter(staff=staff).delete()
        WorkingHours.objects.bulk_create(rows)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_WORKING_HOURS_SET,
            subject_type="membership",
            subject_id=staff.pk,
            after={"hours": [[w, str(s), str(e)] for w, s, e in hours]},
        )
    return rows


def hours_exception_add(
    *, clinic: Clinic, actor: Any, staff: Membership, date: dt.date, starts: dt.time, ends: dt.time
) -> HoursException:
    row = HoursException(clinic=clinic, staff=staff, date=date, starts=starts, ends=ends)
    if ends <= starts:
        raise _fields("ends", "The hours must end after they start.")
    _full_clean(row, exclude=["clinic", "staff"], validate_constraints=False)
    with transaction.atomic():
        row.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_HOURS_EXCEPTION_ADDED,
            subject_type="membership",
            subject_id=staff.pk,
            after={"date": str(date), "starts": str(starts), "ends": str(ends)},
        )
    return row


def absence_add(
    *,
    clinic: Clinic,
    actor: Any,
    staff: Membership,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> Absence:
    _check_times(starts_at, ends_at, max_minutes=None)
    row = Absence(clinic=clinic, staff=staff, starts_at=starts_at, ends_at=ends_at, reason=reason)
    _full_clean(row, exclude=["clinic", "staff"], validate_constraints=False)
    with transaction.atomic():
        row.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_ABSENCE_ADDED,
            subject_type="membership",
            subject_id=staff.pk,
            after={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        )
    return row


def resource_create(
    *, clinic: Clinic, actor: Any, kind: str, name: str, device_type: str = ""
) -> Resource:
    if kind == ResourceKind.DEVICE and not device_type:
        raise _fields("device_type", "Say what kind of device it is, e.g. mesotherapy-gun.")
    row = Resource(
        clinic=clinic,
        kind=kind,
        name=name.strip(),
        device_type=device_type if kind == ResourceKind.DEVICE else "",
    )
    _full_clean(row, exclude=["clinic"], validate_constraints=False)
    with transaction.atomic():
        if Resource.objects.for_clinic(clinic).filter(name=row.name).exists():
            raise _fields("name", "The clinic already has a room or device of that name.")
        row.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_RESOURCE_CREATED,
            subject_type="resource",
            subject_id=row.pk,
            after={"kind": kind, "name": row.name, "device_type": row.device_type},
        )
    return row


def appointment_type_create(*, clinic: Clinic, actor: Any, **data: Any) -> AppointmentType:
    """A visit type; treatment sessions last 10 to 50 minutes (seed protocols)."""
    row = AppointmentType(clinic=clinic, **data)
    _full_clean(row, exclude=["clinic"], validate_constraints=False)
    if row.kind == VisitKind.TREATMENT and not (
        TREATMENT_MIN_MINUTES <= row.duration_minutes <= TREATMENT_MAX_MINUTES
    ):
        raise _fields(
            "duration_minutes",
            f"A treatment session lasts {TREATMENT_MIN_MINUTES} to {TREATMENT_MAX_MINUTES} "
            "minutes.",
        )
    with transaction.atomic():
        if AppointmentType.objects.for_clinic(clinic).filter(code=row.code).exists():
            raise _fields("code", "The clinic already has an appointment type with that code.")
        row.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_APPOINTMENT_TYPE_CREATED,
            subject_type="appointment_type",
            subject_id=row.pk,
            after={"code": row.code, "duration_minutes": row.duration_minutes},
        )
    return row


# --- Booking ------------------------------------------------------------------------------


def _check_times(start: dt.datetime, end: dt.datetime, *, max_minutes: int | None) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise _fields("starts_at", "Give the time with its time zone.")
    if end <= start:
        raise _fields("ends_at", "An appointment must end after it starts.")
    if max_minutes is not None and end - start > dt.timedelta(minutes=max_minutes):
        raise _fields("ends_at", f"An appointment lasts at most {max_minutes // 60} hours.")
    if start > clock.now() + dt.timedelta(days=MAX_BOOKING_AHEAD_DAYS):
        raise _fields("starts_at", "Appointments are booked at most two years ahead.")


def _describe(appt: Appointment, tz: Any) -> str:
    start = appt.starts_at.astimezone(tz)
    return f"{start:%a %d %b %H:%M}–{appt.ends_at.astimezone(tz):%H:%M}"


def _collisions(
    *,
    clinic: Clinic,
    start: dt.datetime,
    end: dt.datetime,
    until: dt.datetime,
    staff_id: int,
    room_id: int | None,
    device_id: int | None,
    patient_id: int,
    exclude_id: int | None,
) -> list[str]:
    """Sentences naming each booked thing the new time collides with (one query)."""
    q = Q(staff_id=staff_id)
    if room_id:
        q |= Q(room_id=room_id)
    if device_id:
        q |= Q(device_id=device_id)
    q |= Q(patient_id=patient_id, starts_at__lt=end, ends_at__gt=start)
    tz = clinic_tz(clinic)
    out: list[str] = []
    for other in overlapping(clinic=clinic, start=start, until=until, exclude_id=exclude_id).filter(
        q
    ):
        when = _describe(other, tz)
        if other.staff_id == staff_id:
            out.append(f"The practitioner already has an appointment {when}.")
        if room_id and other.room_id == room_id:
            out.append(f"The room is already booked {when}.")
        if device_id and other.device_id == device_id:
            out.append(f"The device is already in use {when}.")
        if other.patient_id == patient_id and other.starts_at < end and other.ends_at > start:
            out.append(f"The patient already has an appointment {when}.")
    return list(dict.fromkeys(out))


def _fit_resources(
    *,
    clinic: Clinic,
    appointment_type: AppointmentType,
    staff: Membership,
    start: dt.datetime,
    room: Resource | None,
    device: Resource | None,
    exclude_id: int | None,
) -> tuple[Resource | None, Resource | None]:
    """Check the time is inside the clinic's and the practitioner's hours, clear of an
    absence, and choose a free room and device when none was named."""
    tz = clinic_tz(clinic)
    day = start.astimezone(tz).date()
    cals = calendars_load(
        clinic=clinic, day_from=day, day_to=day, exclude_appointment_id=exclude_id
    )
    duration = dt.timedelta(minutes=appointment_type.duration_minutes)
    end = start + duration
    if not any(w.start <= start and end <= w.end for w in cals.opening):
        raise _fields("starts_at", "The clinic is closed at that time.")
    mine = cals.staff.get(staff.pk)
    if mine is None or not any(w.start <= start and end <= w.end for w in mine.working):
        raise _fields("starts_at", "The practitioner does not work at that time.")
    absences = Absence.objects.for_clinic(clinic).filter(
        staff=staff, starts_at__lt=end, ends_at__gt=start
    )
    if absences.exists():
        raise Conflict("The practitioner is away at that time.", extra={"collisions": ["absence"]})
    buffer = dt.timedelta(minutes=appointment_type.buffer_minutes)
    if appointment_type.needs_room and room is None:
        pick = core.is_free(
            needs=[list(cals.rooms.values())], start=start, duration=duration, buffer=buffer
        )
        if pick is None:
            raise Conflict(
                "No treatment room is free at that time.", extra={"collisions": ["room"]}
            )
        room = Resource.objects.get(pk=int(pick[0].partition(":")[2]))
    if appointment_type.device_type and device is None:
        options = [c for t, c in cals.devices.values() if t == appointment_type.device_type]
        pick = core.is_free(needs=[options], start=start, duration=duration, buffer=buffer)
        if pick is None:
            raise Conflict(
                f"No {appointment_type.device_type.replace('-', ' ')} is free at that time.",
                extra={"collisions": ["device"]},
            )
        device = Resource.objects.get(pk=int(pick[0].partition(":")[2]))
    return room, device


def _lock_clinic_calendar(clinic: Clinic) -> None:
    """On PostgreSQL, queue this clinic's bookings for the rest of the transaction.

    Without it, two bookings that collide on two things at once (the practitioner and a
    room) can each wait for the other's exclusion check and deadlock; one short queue per
    clinic also lets the overlap check name the collision. SQLite is already queued by
    BEGIN IMMEDIATE. The exclusion constraints stay as the database's own guarantee.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Namespace 0x5343 ("SC", scheduling) keeps clear of other advisory locks.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5343, clinic.pk])


def _check_reading_wait(
    *,
    clinic: Clinic,
    patient: Patient,
    kind: str,
    starts_at: dt.datetime,
    exclude_id: int | None = None,
) -> None:
    """An allergy-test reading is booked no sooner than the clinic's wait (at least 24 h,
    REFERENCE.md) after the patient's test visit: checked whichever of the two is booked or
    moved second."""
    if kind not in (VisitKind.TEST_READING, VisitKind.ALLERGY_TEST):
        return
    wait = dt.timedelta(hours=clinic.allergy_test_min_read_hours)
    if kind == VisitKind.TEST_READING:
        other, window = (
            VisitKind.ALLERGY_TEST,
            Q(starts_at__gt=starts_at - wait, starts_at__lte=starts_at),
        )
    else:
        other, window = (
            VisitKind.TEST_READING,
            Q(starts_at__gte=starts_at, starts_at__lt=starts_at + wait),
        )
    rows = (
        Appointment.objects.for_clinic(clinic)
        .exclude(status=Status.CANCELLED)
        .filter(window, patient=patient, appointment_type__kind=other)
    )
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    if rows.exists():
        raise _fields(
            "starts_at",
            f"The test injections are read at least {clinic.allergy_test_min_read_hours} hours "
            "after they are placed; choose a "
            + ("later" if kind == VisitKind.TEST_READING else "earlier")
            + " time.",
        )


def _guarded_save(appt: Appointment, write: Any) -> Appointment:
    """Run ``write`` (a transaction) and turn a PostgreSQL exclusion refusal into a 409."""
    try:
        with calendar_writer():
            return write()
    except IntegrityError as exc:
        text = str(exc)
        for name, words in _GUARD_WORDS.items():
            if name in text:
                raise Conflict(words, extra={"collisions": [name.rsplit("_", 1)[1]]}) from None
        raise


def appointment_book(
    *,
    clinic: Clinic,
    actor: Any,
    patient: Patient,
    staff: Membership,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    room: Resource | None = None,
    device: Resource | None = None,
    plan_session: Any = None,
    booked_via: str = BookedVia.STAFF,
    note: str = "",
) -> Appointment:
    """Book a visit; ``Conflict`` (409) names whatever is already taken at that time."""
    if patient.clinic_id != clinic.pk or staff.clinic_id != clinic.pk:
        raise ValidationFailed("Patient and practitioner must belong to this clinic.", fields={})
    if patient.archived_at is not None:
        raise _fields("patient_id", "This patient's record is archived; restore it to book.")
    for res, kind in ((room, ResourceKind.ROOM), (device, ResourceKind.DEVICE)):
        if res is not None and (res.clinic_id != clinic.pk or res.kind != kind):
            raise _fields(kind, f"That is not a {kind} of this clinic.")
    duration = dt.timedelta(minutes=appointment_type.duration_minutes)
    ends_at = starts_at + duration
    _check_times(starts_at, ends_at, max_minutes=MAX_APPOINTMENT_MINUTES)
    until = ends_at + dt.timedelta(minutes=appointment_type.buffer_minutes)

    def write() -> Appointment:
        with transaction.atomic():
            _lock_clinic_calendar(clinic)
            _check_reading_wait(
                clinic=clinic, patient=patient, kind=appointment_type.kind, starts_at=starts_at
            )
            chosen_room, chosen_device = _fit_resources(
                clinic=clinic,
                appointment_type=appointment_type,
                staff=staff,
                start=starts_at,
                room=room,
                device=device,
                exclude_id=None,
            )
            problems = _collisions(
                clinic=clinic,
                start=starts_at,
                end=ends_at,
                until=until,
                staff_id=staff.pk,
                room_id=chosen_room.pk if chosen_room else None,
                device_id=chosen_device.pk if chosen_device else None,
                patient_id=patient.pk,
                exclude_id=None,
            )
            if problems:
                raise Conflict(" ".join(problems), extra={"collisions": problems})
            appt = Appointment(
                clinic=clinic,
                patient=patient,
                staff=staff,
                appointment_type=appointment_type,
                room=chosen_room,
                device=chosen_device,
                starts_at=starts_at,
                ends_at=ends_at,
                occupied_until=until,
                plan_session=plan_session,
                booked_via=booked_via,
                note=note,
            )
            appt.save()
            audit_record(
                clinic=clinic,
                actor=actor,
                event_type=AuditEventType.APPOINTMENT_BOOKED,
                subject_type="appointment",
                subject_id=appt.pk,
                after={
                    "patient": patient.pk,
                    "staff": staff.pk,
                    "type": appointment_type.code,
                    "starts_at": starts_at.isoformat(),
                    "room": appt.room_id,
                    "device": appt.device_id,
                    "via": booked_via,
                },
            )
            return appt

    return _guarded_save(Appointment(), write)


def appointment_move(
    *,
    clinic: Clinic,
    actor: Any,
    appointment: Appointment,
    starts_at: dt.datetime,
    staff: Membership | None = None,
    room: Resource | None = None,
) -> Appointment:
    """Move a booked visit to a new time (and perhaps practitioner or room).

    Moving a course session re-plans the windows of the sessions after it, in the same
    transaction (``course.course_replan_after_move``).
    """
    if appointment.status != Status.BOOKED:
        raise Conflict("Only a booked appointment can be moved.")
    new_staff = staff or appointment.staff
    kind = appointment.appointment_type
    ends_at = starts_at + dt.timedelta(minutes=kind.duration_minutes)
    _check_times(starts_at, ends_at, max_minutes=MAX_APPOINTMENT_MINUTES)
    until = ends_at + dt.timedelta(minutes=kind.buffer_minutes)
    before = {"starts_at": appointment.starts_at.isoformat(), "staff": appointment.staff_id}

    def write() -> Appointment:
        with transaction.atomic():
            _lock_clinic_calendar(clinic)
            locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
            if locked.status != Status.BOOKED:
                raise Conflict("Only a booked appointment can be moved.")
            _check_reading_wait(
                clinic=clinic,
                patient=locked.patient,
                kind=kind.kind,
                starts_at=starts_at,
                exclude_id=locked.pk,
            )
            chosen_room, chosen_device = _fit_resources(
                clinic=clinic,
                appointment_type=kind,
                staff=new_staff,
                start=starts_at,
                room=room,
                device=None,
                exclude_id=appointment.pk,
            )
            problems = _collisions(
                clinic=clinic,
                start=starts_at,
                end=ends_at,
                until=until,
                staff_id=new_staff.pk,
                room_id=chosen_room.pk if chosen_room else None,
                device_id=chosen_device.pk if chosen_device else None,
                patient_id=appointment.patient_id,
                exclude_id=appointment.pk,
            )
            if problems:
                raise Conflict(" ".join(problems), extra={"collisions": problems})
            locked.staff = new_staff
            locked.room = chosen_room
            locked.device = chosen_device
            locked.starts_at, locked.ends_at, locked.occupied_until = starts_at, ends_at, until
            locked.save()
            audit_record(
                clinic=clinic,
                actor=actor,
                event_type=AuditEventType.APPOINTMENT_MOVED,
                subject_type="appointment",
                subject_id=locked.pk,
                before=before,
                after={"starts_at": starts_at.isoformat(), "staff": new_staff.pk},
            )
            session = locked.plan_session
            if session is not None:
                # A course session: the later sessions' windows follow it (protocols.replan).
                from pistor.scheduling.course import course_replan_after_move

                course_replan_after_move(
                    clinic=clinic, actor=actor, session=session, moved_to=starts_at
                )
            return locked

    return _guarded_save(appointment, write)


def appointment_cancel(
    *, clinic: Clinic, actor: Any, appointment: Appointment, by: str, reason: str = ""
) -> Appointment:
    """Cancel a visit, saying by whom and why; within 24 h of the start it counts as late.

    The time is freed at once: the same slot can be booked again.
    """
    if by not in CancelledBy.values:
        raise _fields("by", "Say whether the patient or the clinic cancelled.")
    if len(reason) > 500:
        raise _fields("reason", "Keep the reason under 500 characters.")
    now = clock.now()
    with calendar_writer(), transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if Status.CANCELLED not in NEXT_STATUSES[locked.status]:
            raise Conflict(
                f"A {locked.get_status_display().lower()} appointment cannot be cancelled."
            )
        locked.status = Status.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = by
        locked.cancel_reason = reason
        locked.late_cancellation = locked.starts_at - now < dt.timedelta(
            hours=LATE_CANCELLATION_HOURS
        )
        locked.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.APPOINTMENT_CANCELLED,
            subject_type="appointment",
            subject_id=locked.pk,
            after={"by": by, "late": locked.late_cancellation},
        )
    return locked


def appointment_status_set(
    *, clinic: Clinic, actor: Any, appointment: Appointment, status: str
) -> Appointment:
    """Move a visit along booked → arrived → in treatment → done, or mark a no-show."""
    if status == Status.CANCELLED:
        raise _fields("status", "Cancel with a reason, not by changing the status.")
    if status not in Status.values:
        raise _fields("status", "Unknown status.")
    with calendar_writer(), transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if status not in NEXT_STATUSES[locked.status]:
            raise Conflict(
                f"A {locked.get_status_display().lower()} appointment cannot become "
                f"{Status(status).label.lower()}."
            )
        before = locked.status
        locked.status = status
        if status == Status.ARRIVED:
            locked.arrived_at = clock.now()
        locked.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.APPOINTMENT_STATUS_CHANGED,
            subject_type="appointment",
            subject_id=locked.pk,
            before={"status": before},
            after={"status": status},
        )
    return locked
