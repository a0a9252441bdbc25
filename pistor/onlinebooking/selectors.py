"""Reads of online booking: the clinic behind a public page, the visit types and free
times it offers (scheduling's slot finding, times only), a booking from its emailed link,
and the registrations reception should check."""

from __future__ import annotations

import datetime as dt

from django.core import signing

from pistor.clinical import slots as core
from pistor.clinics.models import Clinic
from pistor.core.errors import Conflict, NotFound, ValidationFailed
from pistor.onlinebooking.constants import MAX_SLOTS_SHOWN
from pistor.onlinebooking.models import OnlineBooking, OnlineBookingSettings
from pistor.scheduling import selectors as sched
from pistor.scheduling.constants import Status
from pistor.scheduling.models import Appointment, AppointmentType

MANAGE_SALT = "pistor.onlinebooking.manage"
TAKEN = "Sorry, that time has just been taken. Please choose another time."


def _field(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def booking_settings_get(*, clinic: Clinic) -> OnlineBookingSettings:
    """The clinic's settings; an unsaved default (booking off) when never set."""
    found = OnlineBookingSettings.objects.for_clinic(clinic).first()
    return found or OnlineBookingSettings(clinic=clinic)


def booking_clinic_get(*, slug: str) -> tuple[Clinic, OnlineBookingSettings]:
    """The clinic whose public page this is; NotFound unless it takes online bookings
    (a clinic without online booking answers exactly like one that does not exist)."""
    conf = (
        OnlineBookingSettings.objects.select_related("clinic")
        .filter(clinic__slug=slug[:80], enabled=True)
        .first()
    )
    if conf is None:
        raise NotFound("This clinic does not take bookings online.")
    return conf.clinic, conf


def bookable_types(*, clinic: Clinic) -> list[AppointmentType]:
    return sched.appointment_type_list(clinic=clinic, online_only=True)


def booking_window(
    conf: OnlineBookingSettings, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The first and last start the page offers."""
    return (
        now + dt.timedelta(hours=conf.min_notice_hours),
        now + dt.timedelta(days=conf.days_ahead),
    )


def public_slots(
    *,
    clinic: Clinic,
    conf: OnlineBookingSettings,
    appointment_type: AppointmentType,
    now: dt.datetime,
    exclude_appointment_id: int | None = None,
    week_of: dt.date | None = None,
    limit: int | None = MAX_SLOTS_SHOWN,
) -> list[core.Slot]:
    """Free starts for the type over the page's window (or the seven days from
    ``week_of`` inside it): times only, never whose."""
    first, last = booking_window(conf, now)
    tz = sched.clinic_tz(clinic)
    day_from, day_to = first.astimezone(tz).date(), last.astimezone(tz).date()
    if week_of is not None:
        day_from = min(max(day_from, week_of), day_to)
        day_to = min(day_to, day_from + dt.timedelta(days=6))
    cals = sched.calendars_load(
        clinic=clinic,
        day_from=day_from,
        day_to=day_to,
        exclude_appointment_id=exclude_appointment_id,
    )
    return [
        slot
        for slot in sched.slots_find(
            clinic=clinic,
            appointment_type=appointment_type,
            day_from=day_from,
            day_to=day_to,
            not_before=first,
            limit=limit,
            calendars=cals,
        )
        if slot.start <= last
    ]


def slot_at(
    *,
    clinic: Clinic,
    conf: OnlineBookingSettings,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    now: dt.datetime,
    exclude_appointment_id: int | None = None,
) -> core.Slot:
    """The free slot starting at ``starts_at``: a clear 422 for a time the page never
    offers (outside the window or the opening hours), a 409 for one just taken."""
    if starts_at.tzinfo is None:
        raise _field("start", "Choose one of the times listed.")
    first, last = booking_window(conf, now)
    if starts_at < first:
        raise _field(
            "start",
            f"Online bookings start at least {conf.min_notice_hours} hours ahead; "
            "choose a later time.",
        )
    if starts_at > last:
        raise _field(
            "start", f"The clinic takes online bookings up to {conf.days_ahead} days ahead."
        )
    tz = sched.clinic_tz(clinic)
    day = starts_at.astimezone(tz).date()
    cals = sched.calendars_load(
        clinic=clinic, day_from=day, day_to=day, exclude_appointment_id=exclude_appointment_id
    )
    end = starts_at + dt.timedelta(minutes=appointment_type.duration_minutes)
    offered = any(
        w.start <= starts_at and end <= w.end for cal in cals.staff.values() for w in cal.working
    )
    if not offered:
        raise _field(
            "start", "The clinic does not see patients at that time; choose a listed time."
        )
    for slot in sched.slots_find(
        clinic=clinic,
        appointment_type=appointment_type,
        day_from=day,
        day_to=day,
        not_before=starts_at,
        limit=None,
        calendars=cals,
    ):
        if slot.start == starts_at:
            return slot
        if slot.start > starts_at:
            break
    raise Conflict(TAKEN)


def booking_from_token(token: str) -> OnlineBooking:
    try:
        data = signing.loads(token[:300], salt=MANAGE_SALT)
        pk = int(data["b"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("This link is not valid.") from None
    booking = (
        OnlineBooking.objects.select_related(
            "clinic", "appointment__appointment_type", "appointment__room"
        )
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise NotFound("This link is not valid.")
    return booking


def change_refusal(
    *, booking: OnlineBooking, conf: OnlineBookingSettings, now: dt.datetime
) -> str | None:
    """Why the patient can no longer change this visit online, or None if they may."""
    appointment = booking.appointment
    if appointment.status == Status.CANCELLED:
        return "This appointment has been cancelled."
    if appointment.status != Status.BOOKED:
        return "This appointment can no longer be changed online."
    if appointment.starts_at - now < dt.timedelta(hours=conf.change_cutoff_hours):
        return (
            f"Appointments can be changed online until {conf.change_cutoff_hours} hours "
            f"before they start. Please call {booking.clinic.name} instead."
        )
    return None


def when_text(appointment: Appointment, clinic: Clinic) -> str:
    tz = sched.clinic_tz(clinic)
    start = appointment.starts_at.astimezone(tz)
    return f"{start:%A %d %B %Y at %H:%M} ({clinic.time_zone})"


def review_list(*, clinic: Clinic) -> list[OnlineBooking]:
    return list(
        OnlineBooking.objects.for_clinic(clinic)
        .filter(needs_review=True, reviewed_at__isnull=True)
        .select_related("patient", "appointment__appointment_type")
        .order_by("created_at")[:100]
    )
