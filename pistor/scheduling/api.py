"""Scheduling over the API: resources, hours, availability and appointments.

Each operation declares its permission where it is routed; patients are fetched through
``pistor.patients.access``; writes go through ``pistor.scheduling.services``. A booking
that collides answers 409 with the collisions named in ``extra.collisions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema, PlainDate
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound, ValidationFailed
from pistor.patients.access import patient_get_for_user
from pistor.scheduling import selectors as sel
from pistor.scheduling import services as svc
from pistor.scheduling.constants import (
    MAX_APPOINTMENT_MINUTES,
    MAX_BUFFER_MINUTES,
    CancelledBy,
    ResourceKind,
    VisitKind,
)
from pistor.scheduling.constants import (
    Status as VisitStatus,
)
from pistor.scheduling.models import Appointment

router = Router(tags=["scheduling"])

_MAX_ID = 2**63 - 1
MAX_RANGE_DAYS = 62  # availability and calendar reads cover at most two months per call


class HoursIn(InputSchema):
    weekday: int = Field(..., ge=0, le=6, description="0 = Monday")
    start: dt.time
    end: dt.time


class WeeklyIn(InputSchema):
    hours: list[HoursIn] = Field(..., max_length=21)


class AbsenceIn(InputSchema):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: CleanStr = Field("", max_length=200)


class ResourceIn(InputSchema):
    kind: ResourceKind
    name: CleanStr = Field(..., min_length=1, max_length=100)
    device_type: CleanStr = Field("", max_length=60, pattern=r"^[a-z0-9-]*$")


class ResourceOut(Schema):
    id: int
    kind: str
    name: str
    device_type: str


class StaffOut(Schema):
    id: int
    name: str
    role: str


class TypeIn(InputSchema):
    code: CleanStr = Field(..., min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")
    name: CleanStr = Field(..., min_length=1, max_length=120)
    kind: VisitKind
    indication_code: CleanStr = Field("", max_length=60)
    duration_minutes: int = Field(..., ge=1, le=MAX_APPOINTMENT_MINUTES)
    buffer_minutes: int = Field(0, ge=0, le=MAX_BUFFER_MINUTES)
    needs_room: bool = True
    device_type: CleanStr = Field("", max_length=60, pattern=r"^[a-z0-9-]*$")
    online_bookable: bool = False


class TypeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    indication_code: str
    duration_minutes: int
    buffer_minutes: int
    needs_room: bool
    device_type: str
    online_bookable: bool


class ResourcesOut(Schema):
    time_zone: str
    staff: list[StaffOut]
    rooms: list[ResourceOut]
    devices: list[ResourceOut]
    appointment_types: list[TypeOut]


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    staff_id: int
    room_id: int | None
    device_id: int | None


class AvailabilityQuery(Schema):
    appointment_type_id: int = Field(..., ge=1, le=_MAX_ID)
    date_from: PlainDate
    date_to: PlainDate
    staff_id: int | None = Field(None, ge=1, le=_MAX_ID)


class AppointmentIn(InputSchema):
    patient_id: int = Field(..., ge=1, le=_MAX_ID)
    staff_id: int = Field(..., ge=1, le=_MAX_ID)
    appointment_type_id: int = Field(..., ge=1, le=_MAX_ID)
    starts_at: AwareDatetime
    room_id: int | None = Field(None, ge=1, le=_MAX_ID)
    device_id: int | None = Field(None, ge=1, le=_MAX_ID)
    note: CleanStr = Field("", max_length=2000)


class MoveIn(InputSchema):
    starts_at: AwareDatetime
    staff_id: int | None = Field(None, ge=1, le=_MAX_ID)
    room_id: int | None = Field(None, ge=1, le=_MAX_ID)


class CancelIn(InputSchema):
    by: CancelledBy
    reason: CleanStr = Field("", max_length=500)


class StatusIn(InputSchema):
    status: VisitStatus


class AppointmentOut(Schema):
    id: int
    patient_id: int
    patient_name: str
    staff_id: int
    staff_name: str
    appointment_type_id: int
    appointment_type: str
    room_id: int | None
    room: str
    device_id: int | None
    device: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    booked_via: str
    cancelled_by: str
    cancel_reason: str
    late_cancellation: bool


class CourseWindowOut(Schema):
    number: int
    earliest: dt.date
    target: dt.date
    latest: dt.date
    booked_on: dt.date | None
    booked_outside: bool = Field(..., description="Its booking now lies outside the window.")


class AppointmentMovedOut(AppointmentOut):
    replanned: list[CourseWindowOut] = Field(
        ..., description="For a course session: the later sessions' windows, re-planned."
    )


class RangeQuery(Schema):
    start: AwareDatetime
    end: AwareDatetime
    staff_id: int | None = Field(None, ge=1, le=_MAX_ID)
    room_id: int | None = Field(None, ge=1, le=_MAX_ID)


def _out(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "patient_name": f"{a.patient.given_name} {a.patient.family_name}",
        "staff_id": a.staff_id,
        "staff_name": a.staff.user.full_name,
        "appointment_type_id": a.appointment_type_id,
        "appointment_type": a.appointment_type.name,
        "room_id": a.room_id,
        "room": a.room.name if a.room else "",
        "device_id": a.device_id,
        "device": a.device.name if a.device else "",
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "status": a.status,
        "booked_via": a.booked_via,
        "cancelled_by": a.cancelled_by,
        "cancel_reason": a.cancel_reason,
        "late_cancellation": a.late_cancellation,
    }


def _resource(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "kind": r.kind, "name": r.name, "device_type": r.device_type}


def _check_range(day_from: dt.date, day_to: dt.date) -> None:
    if day_to < day_from:
        raise ValidationFailed(
            "The end date is before the start date.", fields={"date_to": ["Before date_from."]}
        )
    if (day_to - day_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.",
            fields={"date_to": [f"At most {MAX_RANGE_DAYS} days after date_from."]},
        )


@router.get(
    "/resources",
    response={200: ResourcesOut, **ERROR_RESPONSES},
    summary="Practitioners, rooms, devices and appointment types",
    auth=allow(Action.SCHEDULE_VIEW, doing="read the calendar"),
)
def resources(request: HttpRequest) -> dict[str, Any]:
    clinic = api_caller(request).clinic
    everything = sel.resource_list(clinic=clinic)
    return {
        "time_zone": clinic.time_zone,
        "staff": [
            {"id": m.pk, "name": m.user.full_name, "role": m.role}
            for m in sel.staff_list(clinic=clinic)
        ],
        "rooms": [_resource(r) for r in everything if r.kind == ResourceKind.ROOM],
        "devices": [_resource(r) for r in everything if r.kind == ResourceKind.DEVICE],
        "appointment_types": sel.appointment_type_list(clinic=clinic),
    }


@router.post(
    "/resources",
    response={201: ResourceOut, **ERROR_RESPONSES},
    summary="Add a room or device",
    auth=allow(Action.SCHEDULE_MANAGE, doing="manage rooms and devices"),
)
def add_resource(request: HttpRequest, payload: ResourceIn) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    row = svc.resource_create(clinic=caller.clinic, actor=caller.user, **payload.model_dump())
    return Status(201, _resource(row))


@router.post(
    "/appointment-types",
    response={201: TypeOut, **ERROR_RESPONSES},
    summary="Add an appointment type",
    auth=allow(Action.SCHEDULE_MANAGE, doing="manage appointment types"),
)
def add_type(request: HttpRequest, payload: TypeIn) -> Status[Any]:
    caller = api_caller(request)
    row = svc.appointment_type_create(
        clinic=caller.clinic, actor=caller.user, **payload.model_dump()
    )
    return Status(201, row)


@router.put(
    "/opening-hours",
    response={200: WeeklyIn, **ERROR_RESPONSES},
    summary="Replace the clinic's weekly opening hours (a weekday left out is closed)",
    auth=allow(Action.SCHEDULE_MANAGE, doing="set opening hours"),
)
def set_opening(request: HttpRequest, payload: WeeklyIn) -> WeeklyIn:
    caller = api_caller(request)
    svc.opening_hours_set(
        clinic=caller.clinic,
        actor=caller.user,
        hours=[(h.weekday, h.start, h.end) for h in payload.hours],
    )
    return payload


@router.put(
    "/staff/{staff_id}/hours",
    response={200: WeeklyIn, **ERROR_RESPONSES},
    summary="Replace a practitioner's weekly working hours",
    auth=allow(Action.SCHEDULE_MANAGE, doing="set working hours"),
)
def set_hours(request: HttpRequest, staff_id: int, payload: WeeklyIn) -> WeeklyIn:
    caller = api_caller(request)
    if not 1 <= staff_id <= _MAX_ID:
        raise NotFound("No such practitioner at this clinic.")
    staff = sel.staff_get(clinic=caller.clinic, pk=staff_id)
    svc.working_hours_set(
        clinic=caller.clinic,
        actor=caller.user,
        staff=staff,
        hours=[(h.weekday, h.start, h.end) for h in payload.hours],
    )
    return payload


@router.post(
    "/staff/{staff_id}/absences",
    response={201: AbsenceIn, **ERROR_RESPONSES},
    summary="Record a practitioner's absence",
    auth=allow(Action.SCHEDULE_MANAGE, doing="record absences"),
)
def add_absence(request: HttpRequest, staff_id: int, payload: AbsenceIn) -> Status[AbsenceIn]:
    caller = api_caller(request)
    if not 1 <= staff_id <= _MAX_ID:
        raise NotFound("No such practitioner at this clinic.")
    staff = sel.staff_get(clinic=caller.clinic, pk=staff_id)
    svc.absence_add(clinic=caller.clinic, actor=caller.user, staff=staff, **payload.model_dump())
    return Status(201, payload)


@router.get(
    "/availability",
    response={200: list[SlotOut], **ERROR_RESPONSES},
    summary="Free slots for an appointment type (at most 200, earliest first)",
    auth=allow(Action.SCHEDULE_VIEW, doing="read the calendar"),
)
def availability(request: HttpRequest, q: Query[AvailabilityQuery]) -> list[dict[str, Any]]:
    clinic = api_caller(request).clinic
    _check_range(q.date_from, q.date_to)
    kind = sel.appointment_type_get(clinic=clinic, pk=q.appointment_type_id)
    found = sel.slots_find(
        clinic=clinic,
        appointment_type=kind,
        day_from=q.date_from,
        day_to=q.date_to,
        staff_ids=[q.staff_id] if q.staff_id else None,
    )
    out = []
    for slot in found:
        ids = sel.resource_ids(slot.resources)
        out.append(
            {
                "start": slot.start,
                "end": slot.end,
                "staff_id": ids["staff"],
                "room_id": ids.get("room"),
                "device_id": ids.get("device"),
            }
        )
    return out


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], **ERROR_RESPONSES},
    summary="Appointments overlapping a period (at most 62 days)",
    auth=allow(Action.SCHEDULE_VIEW, doing="read the calendar"),
)
def list_appointments(request: HttpRequest, q: Query[RangeQuery]) -> list[dict[str, Any]]:
    clinic = api_caller(request).clinic
    if q.end <= q.start:
        raise ValidationFailed("The end is before the start.", fields={"end": ["Before start."]})
    if q.end - q.start > dt.timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.",
            fields={"end": [f"At most {MAX_RANGE_DAYS} days after start."]},
        )
    rows = sel.appointment_list(
        clinic=clinic, start=q.start, end=q.end, staff_id=q.staff_id, room_id=q.room_id
    )
    return [_out(a) for a in rows]


def _appointment(request: HttpRequest, pk: int) -> Appointment:
    if not 1 <= pk <= _MAX_ID:
        raise NotFound("No such appointment at this clinic.")
    return sel.appointment_get(clinic=api_caller(request).clinic, pk=pk)


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, **ERROR_RESPONSES},
    summary="One appointment",
    auth=allow(Action.SCHEDULE_VIEW, doing="read the calendar"),
)
def get_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    return _out(_appointment(request, appointment_id))


@router.post(
    "/appointments",
    response={201: AppointmentOut, **ERROR_RESPONSES},
    summary="Book an appointment (409 names what is already taken)",
    auth=allow(Action.APPOINTMENT_BOOK, doing="book appointments"),
)
def book(request: HttpRequest, payload: AppointmentIn) -> Status[Any]:
    caller = api_caller(request)
    clinic = caller.clinic
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=payload.patient_id, action=Action.PATIENT_VIEW
    )
    appt = svc.appointment_book(
        clinic=clinic,
        actor=caller.user,
        patient=patient,
        staff=sel.staff_get(clinic=clinic, pk=payload.staff_id),
        appointment_type=sel.appointment_type_get(clinic=clinic, pk=payload.appointment_type_id),
        starts_at=payload.starts_at,
        room=sel.resource_get(clinic=clinic, pk=payload.room_id, kind="room")
        if payload.room_id
        else None,
        device=sel.resource_get(clinic=clinic, pk=payload.device_id, kind="device")
        if payload.device_id
        else None,
        note=payload.note,
    )
    return Status(201, _out(sel.appointment_get(clinic=clinic, pk=appt.pk)))


@router.post(
    "/appointments/{appointment_id}/move",
    response={200: AppointmentMovedOut, **ERROR_RESPONSES},
    summary="Move an appointment (409 if the new time is taken)",
    auth=allow(Action.APPOINTMENT_BOOK, doing="move appointments"),
)
def move(request: HttpRequest, appointment_id: int, payload: MoveIn) -> dict[str, Any]:
    caller = api_caller(request)
    appt = _appointment(request, appointment_id)
    svc.appointment_move(
        clinic=caller.clinic,
        actor=caller.user,
        appointment=appt,
        starts_at=payload.starts_at,
        staff=sel.staff_get(clinic=caller.clinic, pk=payload.staff_id)
        if payload.staff_id
        else None,
        room=sel.resource_get(clinic=caller.clinic, pk=payload.room_id, kind="room")
        if payload.room_id
        else None,
    )
    moved = sel.appointment_get(clinic=caller.clinic, pk=appt.pk)
    return {**_out(moved), "replanned": _windows(caller.clinic, moved)}


def _windows(clinic: Any, appt: Appointment) -> list[dict[str, Any]]:
    from pistor.scheduling.course import course_windows_after

    if appt.plan_session is None:
        return []
    return [
        {**vars(w), "booked_outside": w.booked_outside}
        for w in course_windows_after(clinic=clinic, session=appt.plan_session)
    ]


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **ERROR_RESPONSES},
    summary="Cancel an appointment, saying by whom and why",
    auth=allow(Action.APPOINTMENT_BOOK, doing="cancel appointments"),
)
def cancel(request: HttpRequest, appointment_id: int, payload: CancelIn) -> dict[str, Any]:
    caller = api_caller(request)
    appt = _appointment(request, appointment_id)
    svc.appointment_cancel(
        clinic=caller.clinic,
        actor=caller.user,
        appointment=appt,
        by=payload.by,
        reason=payload.reason,
    )
    return _out(sel.appointment_get(clinic=caller.clinic, pk=appt.pk))


@router.post(
    "/appointments/{appointment_id}/status",
    response={200: AppointmentOut, **ERROR_RESPONSES},
    summary="Mark arrival, treatment, done or a no-show",
    auth=allow(Action.APPOINTMENT_BOOK, doing="update appointments"),
)
def set_status(request: HttpRequest, appointment_id: int, payload: StatusIn) -> dict[str, Any]:
    caller = api_caller(request)
    appt = _appointment(request, appointment_id)
    svc.appointment_status_set(
        clinic=caller.clinic, actor=caller.user, appointment=appt, status=payload.status
    )
    return _out(sel.appointment_get(clinic=caller.clinic, pk=appt.pk))


# --- Whole-course booking -----------------------------------------------------------------


class CourseIn(InputSchema):
    appointment_type_id: int | None = Field(
        ...,
        ge=1,
        le=_MAX_ID,
        description="null: the clinic's treatment session type for the plan's indication.",
    )
    staff_id: int | None = Field(None, ge=1, le=_MAX_ID)


class ProposedOut(Schema):
    number: int
    earliest: dt.date
    target: dt.date
    latest: dt.date
    start: dt.datetime | None
    staff_id: int | None
    room_id: int | None
    already_booked: bool
    problem: str


class CourseOut(Schema):
    plan_id: int
    sessions: list[ProposedOut]
    booked: int


def _course(request: HttpRequest, plan_id: int, payload: CourseIn, action: Action) -> Any:
    from pistor.plans.selectors import plan_get

    caller = api_caller(request)
    if not 1 <= plan_id <= _MAX_ID:
        raise NotFound("No such plan.")
    plan = plan_get(clinic_id=caller.clinic.pk, pk=plan_id)
    plan.patient = patient_get_for_user(
        request_or_user=request, clinic=caller.clinic, pk=plan.patient_id, action=action
    )
    kind = (
        sel.appointment_type_get(clinic=caller.clinic, pk=payload.appointment_type_id)
        if payload.appointment_type_id
        else sel.course_type_for(clinic=caller.clinic, indication_code=plan.indication_code)
    )
    staff = sel.staff_get(clinic=caller.clinic, pk=payload.staff_id) if payload.staff_id else None
    return caller, plan, kind, staff


def _course_out(proposal: Any, booked: int) -> dict[str, Any]:
    return {
        "plan_id": proposal.plan.pk,
        "booked": booked,
        "sessions": [
            {
                "number": p.number,
                "earliest": p.session.earliest,
                "target": p.session.target,
                "latest": p.session.latest,
                "start": p.start,
                "staff_id": p.staff_id,
                "room_id": p.room_id,
                "already_booked": p.already_booked,
                "problem": p.problem,
            }
            for p in proposal.sessions
        ],
    }


@router.post(
    "/plans/{plan_id}/course-proposal",
    response={200: CourseOut, **ERROR_RESPONSES},
    summary="Propose a slot inside each unbooked session's window (nothing is written)",
    auth=allow(Action.APPOINTMENT_BOOK, doing="book appointments"),
)
def course_proposal(request: HttpRequest, plan_id: int, payload: CourseIn) -> dict[str, Any]:
    from pistor.scheduling.course import course_propose

    caller, plan, kind, staff = _course(request, plan_id, payload, Action.PATIENT_VIEW)
    proposal = course_propose(clinic=caller.clinic, plan=plan, appointment_type=kind, staff=staff)
    return _course_out(proposal, 0)


@router.post(
    "/plans/{plan_id}/course-booking",
    response={201: CourseOut, **ERROR_RESPONSES},
    summary="Book every placeable session of the plan in one transaction (all or nothing)",
    auth=allow(Action.APPOINTMENT_BOOK, doing="book appointments"),
)
def course_booking(request: HttpRequest, plan_id: int, payload: CourseIn) -> Status[dict[str, Any]]:
    from pistor.scheduling.course import course_book, course_propose

    caller, plan, kind, staff = _course(request, plan_id, payload, Action.PATIENT_VIEW)
    booked = course_book(
        clinic=caller.clinic, actor=caller.user, plan=plan, appointment_type=kind, staff=staff
    )
    after = course_propose(clinic=caller.clinic, plan=plan, appointment_type=kind, staff=staff)
    return Status(201, _course_out(after, len(booked)))


# --- Calendar feeds -----------------------------------------------------------------------


class FeedOut(Schema):
    id: int
    staff_id: int
    url: str = Field(..., description="The secret address; shown once, keep it private.")


def _feed_url(request: HttpRequest, token: str) -> str:
    from django.urls import reverse

    return request.build_absolute_uri(reverse("scheduling:feed", args=[token]))


# A practitioner manages their own feed at /my-feed; a manager manages anyone's by id. Each
# address has one rule, so the route walk can hold every role to the permission matrix.


@router.post(
    "/my-feed",
    response={201: FeedOut, **ERROR_RESPONSES},
    summary="Create a private iCalendar feed address for your own appointments",
    auth=allow(Action.SCHEDULE_VIEW, doing="create calendar feeds"),
)
def create_my_feed(request: HttpRequest) -> Status[Any]:
    from pistor.scheduling.feeds import feed_create
    from pistor.scheduling.selectors import TREATING_ROLES

    caller = api_caller(request)
    if caller.role not in TREATING_ROLES:
        raise ValidationFailed(
            "Only practitioners and nurses have appointments to put in a calendar feed.",
            fields={},
        )
    feed, token = feed_create(clinic=caller.clinic, actor=caller.user, staff=caller.membership)
    return Status(
        201, {"id": feed.pk, "staff_id": caller.membership.pk, "url": _feed_url(request, token)}
    )


@router.delete(
    "/my-feed",
    response={204: None, **ERROR_RESPONSES},
    summary="Revoke every calendar feed address of your own",
    auth=allow(Action.SCHEDULE_VIEW, doing="revoke calendar feeds"),
)
def revoke_my_feeds(request: HttpRequest) -> Status[None]:
    from pistor.scheduling.feeds import feed_revoke
    from pistor.scheduling.models import CalendarFeed

    caller = api_caller(request)
    for feed in CalendarFeed.objects.for_clinic(caller.clinic).filter(
        staff=caller.membership, revoked_at__isnull=True
    ):
        feed_revoke(clinic=caller.clinic, actor=caller.user, feed=feed)
    return Status(204, None)


@router.post(
    "/staff/{staff_id}/feed",
    response={201: FeedOut, **ERROR_RESPONSES},
    summary="Create a private iCalendar feed address for a practitioner (managers)",
    auth=allow(Action.SCHEDULE_MANAGE, doing="create calendar feeds for others"),
)
def create_feed(request: HttpRequest, staff_id: int) -> Status[Any]:
    from pistor.scheduling.feeds import feed_create

    if not 1 <= staff_id <= _MAX_ID:
        raise NotFound("No such practitioner at this clinic.")
    caller = api_caller(request)
    staff = sel.staff_get(clinic=caller.clinic, pk=staff_id)
    feed, token = feed_create(clinic=caller.clinic, actor=caller.user, staff=staff)
    return Status(201, {"id": feed.pk, "staff_id": staff.pk, "url": _feed_url(request, token)})


@router.delete(
    "/feeds/{feed_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Revoke a calendar feed address (managers)",
    auth=allow(Action.SCHEDULE_MANAGE, doing="revoke calendar feeds of others"),
)
def revoke_feed(request: HttpRequest, feed_id: int) -> Status[None]:
    from pistor.scheduling.feeds import feed_revoke
    from pistor.scheduling.models import CalendarFeed

    caller = api_caller(request)
    feed = (
        CalendarFeed.objects.for_clinic(caller.clinic).filter(pk=feed_id).first()
        if 1 <= feed_id <= _MAX_ID
        else None
    )
    if feed is None:
        raise NotFound("No such calendar feed.")
    feed_revoke(clinic=caller.clinic, actor=caller.user, feed=feed)
    return Status(204, None)
