"""Calendar pages: the day or week per practitioner or room, booking a free slot, an
appointment with its status buttons and cancellation, and the manager's resources page."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pistor.accounts.access import public_page, staff_required
from pistor.clinical import slots as core
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from pistor.patients.access import patient_get_for_user
from pistor.scheduling import selectors as sel
from pistor.scheduling import services as svc
from pistor.scheduling.constants import NEXT_STATUSES, Status
from pistor.scheduling.forms import (
    AbsenceForm,
    AppointmentTypeForm,
    BookForm,
    CancelForm,
    ClosedDayForm,
    HoursExceptionForm,
    MoveForm,
    ResourceForm,
    WeeklyForm,
)

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic

MAX_FREE_PER_COLUMN = 40  # free starts listed per column and day; the rest via the API


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def _day(value: str | None, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return default
    return day if dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31) else default


@never_cache
@staff_required(Action.SCHEDULE_VIEW)
def calendar_view(request: HttpRequest) -> HttpResponse:
    """Day or week, one column per practitioner (or the one chosen) or per room."""
    clinic = _clinic(request)
    tz = sel.clinic_tz(clinic)
    today = clock.now().astimezone(tz).date()
    day = _day(request.GET.get("date"), today)
    week = request.GET.get("view") == "week"
    first = day - dt.timedelta(days=day.weekday()) if week else day
    days = [first + dt.timedelta(days=i) for i in range(7 if week else 1)]
    staff_id, room_id = _int(request.GET.get("staff")), _int(request.GET.get("room"))
    types = sel.appointment_type_list(clinic=clinic)
    chosen_type = next((t for t in types if t.pk == _int(request.GET.get("type"))), None)
    chosen_type = chosen_type or (types[0] if types else None)

    start = core.local_instant(days[0], dt.time(0), tz)
    end = core.local_instant(days[-1] + dt.timedelta(days=1), dt.time(0), tz)
    appts = sel.appointment_list(clinic=clinic, start=start, end=end)
    staff = sel.staff_list(clinic=clinic)
    rooms = sel.resource_list(clinic=clinic, kind="room")
    by_room = room_id is not None or request.GET.get("by") == "room"
    if by_room:
        columns = [(f"room:{r.pk}", r.name, r.pk) for r in rooms if room_id in (None, r.pk)]
    else:
        columns = [
            (f"staff:{m.pk}", m.user.full_name, m.pk) for m in staff if staff_id in (None, m.pk)
        ]
    free: dict[tuple[str, dt.date], list[dt.datetime]] = {}
    if chosen_type is not None and not by_room:
        cals = sel.calendars_load(clinic=clinic, day_from=days[0], day_to=days[-1])
        for slot in sel.slots_find(
            clinic=clinic,
            appointment_type=chosen_type,
            day_from=days[0],
            day_to=days[-1],
            staff_ids=[pk for _, _, pk in columns],
            calendars=cals,
            limit=None,
            not_before=clock.now(),
        ):
            staff_key = slot.resources[0]
            # Each free start once per practitioner who could take it.
            for col_key, _name, pk in columns:
                cal = cals.staff.get(pk)
                if cal is None:
                    continue
                if col_key == staff_key or core.is_free(
                    needs=[[cal], *cals.needs(chosen_type)[1:]],
                    start=slot.start,
                    duration=slot.end - slot.start,
                    buffer=dt.timedelta(minutes=chosen_type.buffer_minutes),
                ):
                    bucket = free.setdefault((col_key, slot.start.astimezone(tz).date()), [])
                    if len(bucket) < MAX_FREE_PER_COLUMN:
                        bucket.append(slot.start.astimezone(tz))
    grid = []
    for col_key, name, pk in columns:
        cells = []
        for d in days:
            mine = [
                a
                for a in appts
                if a.starts_at.astimezone(tz).date() == d
                and (a.room_id == pk if by_room else a.staff_id == pk)
            ]
            cells.append({"day": d, "appointments": mine, "free": free.get((col_key, d), [])})
        grid.append({"key": col_key, "name": name, "pk": pk, "cells": cells})
    step = dt.timedelta(days=7 if week else 1)
    response = render(
        request,
        "scheduling/calendar.html",
        {
            "days": days,
            "day": day,
            "week": week,
            "grid": grid,
            "types": types,
            "chosen_type": chosen_type,
            "staff": staff,
            "rooms": rooms,
            "by_room": by_room,
            "prev_day": day - step,
            "next_day": day + step,
            "tz": clinic.time_zone,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@staff_required(Action.APPOINTMENT_BOOK)
def book_view(request: HttpRequest) -> HttpResponse:
    """Book the free slot that was clicked: the patient's record number is all it asks."""
    clinic = _clinic(request)
    source = request.POST if request.method == "POST" else request.GET
    form = BookForm(source if request.method == "POST" else None, initial=source.dict())
    error = ""
    try:
        staff = sel.staff_get(clinic=clinic, pk=_int(source.get("staff")) or 0)
        kind = sel.appointment_type_get(clinic=clinic, pk=_int(source.get("appointment_type")) or 0)
        starts_at = dt.datetime.fromisoformat(source.get("starts_at", ""))
        if starts_at.tzinfo is None:
            raise ValueError
    except (NotFound, ValueError):
        return render(request, "scheduling/book.html", {"bad": True}, status=400)
    if request.method == "POST" and form.is_valid():
        pk = sel.patient_pk_by_number(clinic=clinic, number=form.cleaned_data["patient_number"])
        try:
            if pk is None:
                raise ValidationFailed(
                    "No patient with that record number.",
                    fields={"patient_number": ["No patient with that record number."]},
                )
            patient = patient_get_for_user(
                request_or_user=request, clinic=clinic, pk=pk, action=Action.PATIENT_VIEW
            )
            appt = svc.appointment_book(
                clinic=clinic,
                actor=request.user,
                patient=patient,
                staff=staff,
                appointment_type=kind,
                starts_at=starts_at,
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, "Appointment booked.")
            return redirect("scheduling:appointment", pk=appt.pk)
    status = 409 if error and "already" in error else (422 if error else 200)
    return render(
        request,
        "scheduling/book.html",
        {
            "form": form,
            "staff": staff,
            "kind": kind,
            "starts_at": starts_at.astimezone(sel.clinic_tz(clinic)),
            "error": error,
        },
        status=status if request.method == "POST" else 200,
    )


@never_cache
@staff_required(Action.SCHEDULE_VIEW)
def appointment_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _appointment_page(request, pk)


def _appointment_page(
    request: HttpRequest, pk: int, move_form: MoveForm | None = None, status: int = 200
) -> HttpResponse:
    from pistor.scheduling.course import course_windows_after

    clinic = _clinic(request)
    appt = sel.appointment_get(clinic=clinic, pk=pk)
    tz = sel.clinic_tz(clinic)
    nexts = [s for s in NEXT_STATUSES[appt.status] if s != Status.CANCELLED]
    if move_form is None:
        move_form = MoveForm(
            initial={"starts_at": appt.starts_at.astimezone(tz).replace(tzinfo=None)}
        )
    response = render(
        request,
        "scheduling/appointment.html",
        {
            "appt": appt,
            "can_move": appt.status == Status.BOOKED,
            "move_form": move_form,
            "later_windows": course_windows_after(clinic=clinic, session=appt.plan_session)
            if appt.plan_session is not None
            else [],
            "next_statuses": [(s, Status(s).label) for s in nexts],
            "can_cancel": Status.CANCELLED in NEXT_STATUSES[appt.status],
            "cancel_form": CancelForm(),
            "tz": sel.clinic_tz(clinic),
            "calendar_url": reverse("scheduling:calendar")
            + f"?date={appt.starts_at.astimezone(sel.clinic_tz(clinic)).date().isoformat()}",
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_required(Action.APPOINTMENT_BOOK)
def move_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a booked visit to a new local time; a course session re-plans the later ones."""
    clinic = _clinic(request)
    appt = sel.appointment_get(clinic=clinic, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _appointment_page(request, pk, form, status=422)
    local = form.cleaned_data["starts_at"].replace(tzinfo=None)
    starts_at = core.local_instant(local.date(), local.time(), sel.clinic_tz(clinic))
    try:
        svc.appointment_move(
            clinic=clinic, actor=request.user, appointment=appt, starts_at=starts_at
        )
    except ApplicationError as exc:
        form.add_error("starts_at", exc.message)
        return _appointment_page(
            request, pk, form, status=409 if isinstance(exc, Conflict) else 422
        )
    if appt.plan_session_id is not None:
        messages.success(request, "Appointment moved; the later sessions' windows were re-planned.")
    else:
        messages.success(request, "Appointment moved.")
    return redirect("scheduling:appointment", pk=pk)


@require_POST
@staff_required(Action.APPOINTMENT_BOOK)
def status_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    appt = sel.appointment_get(clinic=clinic, pk=pk)
    try:
        svc.appointment_status_set(
            clinic=clinic,
            actor=request.user,
            appointment=appt,
            status=request.POST.get("status", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Status updated.")
    return redirect("scheduling:appointment", pk=pk)


@require_POST
@staff_required(Action.APPOINTMENT_BOOK)
def cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    appt = sel.appointment_get(clinic=clinic, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say who cancelled.")
        return redirect("scheduling:appointment", pk=pk)
    try:
        svc.appointment_cancel(
            clinic=clinic,
            actor=request.user,
            appointment=appt,
            by=form.cleaned_data["by"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Appointment cancelled; the time is free again.")
    return redirect("scheduling:appointment", pk=pk)


@never_cache
@staff_required(Action.SCHEDULE_MANAGE)
def manage_view(request: HttpRequest) -> HttpResponse:
    """Rooms, devices and appointment types; hours are set through the API for now."""
    clinic = _clinic(request)
    resource_form = ResourceForm(prefix="res")
    type_form = AppointmentTypeForm(prefix="type")
    status = 200
    if request.method == "POST":
        try:
            if "res-name" in request.POST:
                resource_form = ResourceForm(request.POST, prefix="res")
                if resource_form.is_valid():
                    svc.resource_create(
                        clinic=clinic, actor=request.user, **resource_form.cleaned_data
                    )
                    messages.success(request, "Added.")
                    return redirect("scheduling:manage")
            else:
                type_form = AppointmentTypeForm(request.POST, prefix="type")
                if type_form.is_valid():
                    svc.appointment_type_create(
                        clinic=clinic, actor=request.user, **type_form.cleaned_data
                    )
                    messages.success(request, "Added.")
                    return redirect("scheduling:manage")
        except ValidationFailed as exc:
            form: Any = resource_form if "res-name" in request.POST else type_form
            for name, errs in exc.fields.items():
                for err in errs:
                    form.add_error(name if name in form.fields else None, err)
        status = 422
    return render(
        request,
        "scheduling/manage.html",
        {
            "resources": sel.resource_list(clinic=clinic),
            "types": sel.appointment_type_list(clinic=clinic),
            "opening": sel.opening_hours_list(clinic=clinic),
            "resource_form": resource_form,
            "type_form": type_form,
        },
        status=status,
    )


@public_page
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """A practitioner's private calendar feed; the secret in the address is the key."""
    from pistor.scheduling.feeds import feed_get, feed_ics

    try:
        if len(token) > 100:
            raise NotFound("No such calendar feed.")
        feed = feed_get(token=token)
    except NotFound:
        raise Http404("No such calendar feed.") from None
    response = HttpResponse(
        feed_ics(feed=feed, domain=request.get_host().split(":")[0]),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response


# --- Opening hours, working hours, exceptions and absences (managers) --------------------


def _form_errors(form: Any, exc: ValidationFailed) -> None:
    for name, errs in (exc.fields or {}).items():
        for err in errs:
            form.add_error(name if name in form.fields else None, err)
    if not exc.fields:
        form.add_error(None, exc.message)


@never_cache
@staff_required(Action.SCHEDULE_MANAGE)
def hours_view(request: HttpRequest) -> HttpResponse:
    """The clinic's opening days and hours, and the dates it is closed."""
    clinic = _clinic(request)
    current = [(o.weekday, o.opens, o.closes) for o in sel.opening_hours_list(clinic=clinic)]
    weekly = WeeklyForm(prefix="open", initial=WeeklyForm.initial_from(current))
    closed = ClosedDayForm(prefix="closed")
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if "closed-date" in request.POST:
                closed = ClosedDayForm(request.POST, prefix="closed")
                if closed.is_valid():
                    svc.closed_day_add(clinic=clinic, actor=request.user, **closed.cleaned_data)
                    messages.success(request, "Closed day added.")
                    return redirect("scheduling:hours")
            else:
                weekly = WeeklyForm(request.POST, prefix="open")
                if weekly.is_valid():
                    svc.opening_hours_set(
                        clinic=clinic, actor=request.user, hours=weekly.cleaned_data["spans"]
                    )
                    messages.success(request, "Opening hours saved.")
                    return redirect("scheduling:hours")
        except ValidationFailed as exc:
            _form_errors(closed if "closed-date" in request.POST else weekly, exc)
    today = clock.now().astimezone(sel.clinic_tz(clinic)).date()
    return render(
        request,
        "scheduling/hours.html",
        {
            "weekly": weekly,
            "closed_form": closed,
            "closed_days": sel.closed_day_list(clinic=clinic, since=today),
            "staff": sel.staff_list(clinic=clinic),
        },
        status=status,
    )


@never_cache
@staff_required(Action.SCHEDULE_MANAGE)
def staff_hours_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A practitioner's weekly hours, the dates they work differently, and their absences."""
    clinic = _clinic(request)
    staff = sel.staff_get(clinic=clinic, pk=pk)
    tz = sel.clinic_tz(clinic)
    current = [
        (w.weekday, w.starts, w.ends) for w in sel.working_hours_list(clinic=clinic, staff=staff)
    ]
    weekly = WeeklyForm(prefix="work", initial=WeeklyForm.initial_from(current))
    exception = HoursExceptionForm(prefix="exc")
    absence = AbsenceForm(prefix="away")
    status = 200
    if request.method == "POST":
        status = 422
        form: Any = weekly
        try:
            if "exc-date" in request.POST:
                form = exception = HoursExceptionForm(request.POST, prefix="exc")
                if exception.is_valid():
                    svc.hours_exception_add(
                        clinic=clinic, actor=request.user, staff=staff, **exception.cleaned_data
                    )
                    messages.success(request, "Exception added.")
                    return redirect("scheduling:staff_hours", pk=pk)
            elif "away-starts_at" in request.POST:
                form = absence = AbsenceForm(request.POST, prefix="away")
                if absence.is_valid():
                    data = absence.cleaned_data
                    starts, ends = (
                        core.local_instant(v.date(), v.time(), tz)
                        for v in (
                            data["starts_at"].replace(tzinfo=None),
                            data["ends_at"].replace(tzinfo=None),
                        )
                    )
                    svc.absence_add(
                        clinic=clinic,
                        actor=request.user,
                        staff=staff,
                        starts_at=starts,
                        ends_at=ends,
                        reason=data["reason"],
                    )
                    messages.success(request, "Absence added.")
                    return redirect("scheduling:staff_hours", pk=pk)
            else:
                form = weekly = WeeklyForm(request.POST, prefix="work")
                if weekly.is_valid():
                    svc.working_hours_set(
                        clinic=clinic,
                        actor=request.user,
                        staff=staff,
                        hours=weekly.cleaned_data["spans"],
                    )
                    messages.success(request, "Working hours saved.")
                    return redirect("scheduling:staff_hours", pk=pk)
        except ValidationFailed as exc:
            _form_errors(form, exc)
    today = clock.now().astimezone(tz).date()
    return render(
        request,
        "scheduling/staff_hours.html",
        {
            "member": staff,
            "weekly": weekly,
            "exception_form": exception,
            "absence_form": absence,
            "exceptions": sel.hours_exception_list(clinic=clinic, staff=staff, since=today),
            "absences": sel.absence_list(
                clinic=clinic, staff=staff, since=core.local_instant(today, dt.time(0), tz)
            ),
            "tz": tz,
        },
        status=status,
    )
