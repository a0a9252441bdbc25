"""Whole-course booking: one slot inside each planned session's window, booked together.

The proposal loads the calendars once for the whole course and places the sessions in
order. Each session takes the free slot in its window (earliest..latest) that keeps, in
this order of preference, the same practitioner, the same weekday and the same time of day
as the course's first booked session, and lies nearest its target date. A placed session
is added to the practitioner's, room's and device's taken time before the next one is
placed, so the proposal never collides with itself. A session whose window has no free
slot is listed with the reason instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from pistor.clinical import slots as core
from pistor.clinics.models import Clinic, Membership
from pistor.core import clock
from pistor.core.errors import Conflict
from pistor.plans.models import Plan, PlanSession
from pistor.scheduling.models import AppointmentType
from pistor.scheduling.selectors import (
    calendars_load,
    live_appointments,
    resource_get,
    resource_ids,
)
from pistor.scheduling.services import appointment_book, calendar_writer

HORIZON_DAYS = core.MAX_DAYS  # sessions further out are left for a later booking


@dataclass(frozen=True)
class ProposedSession:
    number: int
    session: PlanSession
    start: dt.datetime | None
    staff_id: int | None = None
    room_id: int | None = None
    device_id: int | None = None
    problem: str = ""
    already_booked: bool = False


@dataclass(frozen=True)
class CourseProposal:
    plan: Plan
    appointment_type: AppointmentType
    sessions: list[ProposedSession]

    @property
    def placed(self) -> list[ProposedSession]:
        return [s for s in self.sessions if s.start is not None and not s.already_booked]

    @property
    def unplaced(self) -> list[ProposedSession]:
        return [s for s in self.sessions if s.start is None and not s.already_booked]


def _rank(
    slot: core.Slot,
    target: dt.date,
    anchor: tuple[int, int, dt.time] | None,
    preferred_staff: int | None,
    tz: ZoneInfo,
) -> tuple[int, int, int, int, dt.datetime]:
    """Same practitioner first, then same weekday, then nearest time of day, then date."""
    ids = resource_ids(slot.resources)
    local = slot.start.astimezone(tz)
    same_staff = 0 if preferred_staff in (None, ids["staff"]) else 1
    days_off = abs((local.date() - target).days)
    if anchor is None:
        return (same_staff, 0, days_off, 0, slot.start)
    weekday = 0 if local.weekday() == anchor[1] else 1
    minutes = abs(local.hour * 60 + local.minute - (anchor[2].hour * 60 + anchor[2].minute))
    return (same_staff, weekday, minutes, days_off, slot.start)


def course_propose(
    *,
    clinic: Clinic,
    plan: Plan,
    appointment_type: AppointmentType,
    staff: Membership | None = None,
) -> CourseProposal:
    """Propose a slot for every session of ``plan`` that has no live appointment yet."""
    tz = ZoneInfo(clinic.time_zone)
    sessions = sorted(plan.planned_sessions.all(), key=lambda s: s.number)
    booked = {
        a.plan_session_id: a
        for a in live_appointments(clinic=clinic).filter(plan_session__plan=plan)
    }
    now = clock.now()
    today = now.astimezone(tz).date()
    open_sessions = [s for s in sessions if s.pk not in booked and s.latest >= today]
    out: list[ProposedSession] = []
    if not open_sessions:
        return CourseProposal(
            plan,
            appointment_type,
            [
                ProposedSession(s.number, s, booked[s.pk].starts_at, already_booked=True)
                if s.pk in booked
                else ProposedSession(s.number, s, None, problem="Its window has passed.")
                for s in sessions
            ],
        )
    day_from = max(today, min(s.earliest for s in open_sessions))
    day_to = min(max(s.latest for s in open_sessions), day_from + dt.timedelta(days=HORIZON_DAYS))
    cals = calendars_load(clinic=clinic, day_from=day_from, day_to=day_to)
    windows = {
        c.key: core.WindowIndex(c)
        for c in [
            *cals.staff.values(),
            *cals.rooms.values(),
            *(d for _, d in cals.devices.values()),
        ]
    }
    duration = dt.timedelta(minutes=appointment_type.duration_minutes)
    buffer = dt.timedelta(minutes=appointment_type.buffer_minutes)
    # The anchor the course keeps to: a session already booked, else the first placed one.
    anchor: tuple[int, int, dt.time] | None = None
    for s in sessions:
        if s.pk in booked:
            a = booked[s.pk]
            local = a.starts_at.astimezone(tz)
            anchor = (a.staff_id, local.weekday(), local.time())
            break
    preferred_staff = staff.pk if staff is not None else (anchor[0] if anchor else None)
    for s in sessions:
        if s.pk in booked:
            out.append(ProposedSession(s.number, s, booked[s.pk].starts_at, already_booked=True))
            continue
        if s.latest < today:
            out.append(ProposedSession(s.number, s, None, problem="Its window has passed."))
            continue
        first = max(s.earliest, today)
        if first > day_to:
            out.append(
                ProposedSession(
                    s.number,
                    s,
                    None,
                    problem=(
                        f"Its window opens more than {HORIZON_DAYS} days ahead; book it later."
                    ),
                )
            )
            continue
        last = min(s.latest, day_to)
        not_before = max(core.local_instant(first, dt.time(0), tz), now)
        not_after = core.local_instant(last + dt.timedelta(days=1), dt.time(0), tz)
        # A free start is listed once, with the first practitioner free then; so the course's
        # own practitioner is searched first, and everyone only when they have no time.
        searches: list[list[int] | None] = [[staff.pk]] if staff is not None else [None]
        if staff is None and preferred_staff is not None:
            searches.insert(0, [preferred_staff])
        candidates: list[core.Slot] = []
        # Only the session's window of each calendar (found by bisection): the work per
        # session stays the size of its window, however long the course and full the calendar.
        lo, hi = not_before - dt.timedelta(days=1), not_after + dt.timedelta(days=1)
        for staff_ids in searches:
            candidates = core.find_slots(
                needs=[
                    [windows[c.key].clip(lo, hi) for c in alternatives]
                    for alternatives in cals.needs(appointment_type, staff_ids)
                ],
                duration=duration,
                buffer=buffer,
                tz=tz,
                not_before=not_before,
                not_after=not_after - duration,
            )
            if candidates:
                break
        if not candidates:
            who = "the practitioner" if staff is not None else "any practitioner"
            out.append(
                ProposedSession(
                    s.number,
                    s,
                    None,
                    problem=(
                        f"No free {duration.seconds // 60}-minute slot with {who} between "
                        f"{s.earliest:%d %b} and {s.latest:%d %b %Y}."
                    ),
                )
            )
            continue

        target, fixed, pref = s.target, anchor, preferred_staff
        best = min(candidates, key=lambda slot: _rank(slot, target, fixed, pref, tz))  # noqa: B023
        ids = resource_ids(best.resources)
        if anchor is None:
            local = best.start.astimezone(tz)
            anchor = (ids["staff"], local.weekday(), local.time())
            preferred_staff = preferred_staff or ids["staff"]
        for key in best.resources:
            windows[key].add_busy(core.Interval(best.start, best.end + buffer))
        out.append(
            ProposedSession(
                s.number,
                s,
                best.start,
                staff_id=ids["staff"],
                room_id=ids.get("room"),
                device_id=ids.get("device"),
            )
        )
    return CourseProposal(plan, appointment_type, out)


def course_book(
    *,
    clinic: Clinic,
    actor: Any,
    plan: Plan,
    appointment_type: AppointmentType,
    staff: Membership | None = None,
) -> list[Any]:
    """Propose and book every placeable session in one transaction: all or nothing.

    A booking that collides (someone took a slot meanwhile) rolls the whole course back
    and answers ``Conflict`` naming the session.
    """
    proposal = course_propose(
        clinic=clinic, plan=plan, appointment_type=appointment_type, staff=staff
    )
    members = {m.pk: m for m in Membership.objects.filter(clinic=clinic)}
    booked = []
    with calendar_writer(), transaction.atomic():
        for item in proposal.placed:
            assert item.start is not None and item.staff_id is not None  # noqa: S101
            try:
                booked.append(
                    appointment_book(
                        clinic=clinic,
                        actor=actor,
                        patient=plan.patient,
                        staff=members[item.staff_id],
                        appointment_type=appointment_type,
                        starts_at=item.start,
                        room=resource_get(clinic=clinic, pk=item.room_id) if item.room_id else None,
                        device=resource_get(clinic=clinic, pk=item.device_id)
                        if item.device_id
                        else None,
                        plan_session=item.session,
                    )
                )
            except Conflict as exc:
                raise Conflict(
                    f"Session {item.number} could not be booked: {exc.message} Nothing was booked.",
                    extra=exc.extra,
                ) from None
    return booked


# --- Moving one session re-plans the later ones -------------------------------------------


@dataclass(frozen=True)
class CourseWindow:
    """A later session's window after a move, and where its booking (if any) now stands."""

    number: int
    earliest: dt.date
    target: dt.date
    latest: dt.date
    booked_on: dt.date | None

    @property
    def booked_outside(self) -> bool:
        return self.booked_on is not None and not self.earliest <= self.booked_on <= self.latest


def _booked_dates(*, clinic: Clinic, plan: Plan, tz: ZoneInfo) -> dict[int, dt.date]:
    return {
        session_id: start.astimezone(tz).date()
        for session_id, start in live_appointments(clinic=clinic)
        .filter(plan_session__plan=plan)
        .values_list("plan_session_id", "starts_at")
    }


def course_replan_after_move(
    *, clinic: Clinic, actor: Any, session: PlanSession, moved_to: dt.datetime
) -> list[CourseWindow]:
    """Re-plan the windows of the sessions after ``session``, now held on ``moved_to``.

    ``pistor.clinical.protocols.replan`` plans them from the dates of the sessions so far
    (booked ones at their appointment, the others on their planned date), on the clinic's
    open days. Later bookings stay where they are; each returned window says whether its
    booking now lies outside it. A plan outside the protocol's limits (kept with a reason)
    has its later windows shifted by as much as this session moved.
    """
    from pistor.audit.events import AuditEventType
    from pistor.audit.services import audit_record
    from pistor.catalog.selectors import catalog_for_clinic
    from pistor.clinical.errors import ClinicalDataError
    from pistor.clinical.protocols import PlannedSession, keep_to_open_days, replan
    from pistor.scheduling.selectors import clinic_open_days

    tz = ZoneInfo(clinic.time_zone)
    plan = session.plan
    day = moved_to.astimezone(tz).date()
    rows = list(PlanSession.objects.filter(plan=plan, clinic=clinic).order_by("number"))
    booked = _booked_dates(clinic=clinic, plan=plan, tz=tz)
    booked[session.pk] = day
    so_far = [booked.get(r.pk, r.planned_on) for r in rows if r.number < session.number] + [day]
    later = [r for r in rows if r.number > session.number]
    open_days = clinic_open_days(clinic=clinic, since=min(so_far))
    replanned: dict[int, PlannedSession] = {}
    protocol = catalog_for_clinic(clinic=clinic).protocols.get(plan.protocol_code)
    if protocol is not None and later:
        try:
            replanned = {
                p.number: p
                for p in replan(
                    protocol,
                    so_far,
                    today=max(so_far),
                    sessions=plan.sessions,
                    maintenance_horizon=later[-1].latest + dt.timedelta(days=366),
                    open_days=open_days,
                )
            }
        except ClinicalDataError:
            replanned = {}
    shift = day - session.planned_on
    out: list[CourseWindow] = []
    for row in later:
        new = replanned.get(row.number) or keep_to_open_days(
            PlannedSession(
                row.number, row.phase, row.earliest + shift, row.target + shift, row.latest + shift
            ),
            open_days,
        )
        row.earliest, row.target, row.latest = new.earliest, new.target, new.latest
        row.planned_on = booked.get(row.pk, new.target)
        out.append(
            CourseWindow(row.number, row.earliest, row.target, row.latest, booked.get(row.pk))
        )
    session.planned_on = day
    PlanSession.objects.bulk_update(
        [session, *later], ["earliest", "target", "latest", "planned_on"]
    )
    if later:
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.PLAN_SESSION_CHANGED,
            subject_type="plan",
            subject_id=plan.pk,
            after={
                "number": session.number,
                "planned_on": day.isoformat(),
                "replanned": [w.number for w in out],
                "booked_outside": [w.number for w in out if w.booked_outside],
            },
        )
    return out


def course_windows_after(*, clinic: Clinic, session: PlanSession) -> list[CourseWindow]:
    """The windows of the sessions after ``session`` as they stand (two queries)."""
    tz = ZoneInfo(clinic.time_zone)
    booked = _booked_dates(clinic=clinic, plan=session.plan, tz=tz)
    return [
        CourseWindow(r.number, r.earliest, r.target, r.latest, booked.get(r.pk))
        for r in PlanSession.objects.filter(
            plan_id=session.plan_id, clinic=clinic, number__gt=session.number
        ).order_by("number")
    ]
