"""Online booking: a patient books, cancels or moves a visit on the clinic's public page.

Everything here reuses scheduling: free times come from its slot finding, the visit is
written by ``appointment_book`` (the same lock and no-double-booking checks as the desk's),
cancelling and moving by ``appointment_cancel`` and ``appointment_move``, the ``.ics`` file
by its feed code. Patients are registered through the registry's ``patient_create``, and
the intake link comes from ``intake_link_create``.

Nobody learns from the page whether someone is a patient: a returning patient is matched
by email AND date of birth, and whatever the match, the page and the email say the same.
An email that belongs to a patient with another date of birth, or a name and birth date
that match another record, register a new patient flagged for reception to check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic
from pistor.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
    validation_error_from_django,
)
from pistor.intake.services import intake_link_create
from pistor.onlinebooking.constants import ReviewReason
from pistor.onlinebooking.models import OnlineBooking, OnlineBookingSettings
from pistor.onlinebooking.selectors import (
    MANAGE_SALT,
    TAKEN,
    booking_from_token,
    booking_settings_get,
    change_refusal,
    slot_at,
    when_text,
)
from pistor.patients.models import Patient
from pistor.patients.services import PossibleDuplicate, patient_create
from pistor.scheduling import selectors as sched
from pistor.scheduling.constants import BookedVia, CancelledBy
from pistor.scheduling.feeds import appointment_ics
from pistor.scheduling.models import Appointment, AppointmentType
from pistor.scheduling.services import appointment_book, appointment_cancel, appointment_move

FORM_SALT = "pistor.onlinebooking.form"
SUBJECT_TYPE = "online_booking"


def _field(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


# --- Settings -----------------------------------------------------------------------------


def booking_settings_update(
    *,
    clinic: Clinic,
    actor: Any,
    enabled: bool,
    days_ahead: int,
    min_notice_hours: int,
    change_cutoff_hours: int,
    bookable_type_ids: list[int],
) -> OnlineBookingSettings:
    """Turn the public page on or off, set its limits and choose the visit types it offers."""
    conf = booking_settings_get(clinic=clinic)
    before = {
        "enabled": conf.enabled,
        "days_ahead": conf.days_ahead,
        "min_notice_hours": conf.min_notice_hours,
        "change_cutoff_hours": conf.change_cutoff_hours,
    }
    conf.enabled = enabled
    conf.days_ahead = days_ahead
    conf.min_notice_hours = min_notice_hours
    conf.change_cutoff_hours = change_cutoff_hours
    try:
        conf.full_clean(exclude=["clinic"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise validation_error_from_django(exc) from None
    types = AppointmentType.objects.for_clinic(clinic).filter(is_active=True)
    wanted = {int(pk) for pk in bookable_type_ids}
    unknown = wanted - set(types.values_list("pk", flat=True))
    if unknown:
        raise _field("types", "Choose visit types of this clinic.")
    with transaction.atomic():
        conf.save()
        types.filter(pk__in=wanted).update(online_bookable=True)
        types.exclude(pk__in=wanted).update(online_bookable=False)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.ONLINE_BOOKING_SETTINGS_UPDATED,
            subject_type="clinic",
            subject_id=clinic.pk,
            before=before,
            after={
                "enabled": enabled,
                "days_ahead": days_ahead,
                "min_notice_hours": min_notice_hours,
                "change_cutoff_hours": change_cutoff_hours,
                "types": sorted(wanted),
            },
        )
    return conf


# --- Free times ---------------------------------------------------------------------------


# --- Booking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingDetails:
    """What the person typed: who they are and how to reach them."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    email: str
    phone: str = ""


def _patient_for(*, clinic: Clinic, details: BookingDetails) -> tuple[Patient, bool, str]:
    """(patient, registered now?, review reason). Email AND date of birth find a returning
    patient; anything less registers a new one, flagged when it resembles another record."""
    same_email = list(
        Patient.objects.for_clinic(clinic)
        .filter(email__iexact=details.email, archived_at__isnull=True)
        .order_by("pk")
    )
    for patient in same_email:
        if patient.date_of_birth == details.date_of_birth:
            return patient, False, ""
    fields = {
        "given_name": details.given_name,
        "family_name": details.family_name,
        "date_of_birth": details.date_of_birth,
        "email": details.email,
        "phone": details.phone,
    }
    reason = ReviewReason.EMAIL_DOB_MISMATCH if same_email else ""
    try:
        patient = patient_create(
            clinic=clinic, actor=None, confirm_not_duplicate=bool(reason), **fields
        )
    except PossibleDuplicate:
        reason = ReviewReason.SAME_NAME_DOB
        patient = patient_create(clinic=clinic, actor=None, confirm_not_duplicate=True, **fields)
    return patient, True, str(reason)


def manage_token(booking: OnlineBooking) -> str:
    return signing.dumps({"b": booking.pk}, salt=MANAGE_SALT, compress=True)


def form_token(*, now: dt.datetime) -> str:
    """A hidden field saying when the form was shown (signed), for the minimum fill time."""
    return signing.dumps(now.timestamp(), salt=FORM_SALT)


def form_age(token: str, *, now: dt.datetime) -> dt.timedelta | None:
    try:
        shown = float(signing.loads(token[:200], salt=FORM_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return now - dt.datetime.fromtimestamp(shown, tz=dt.UTC)


def public_booking_make(
    *,
    clinic: Clinic,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    details: BookingDetails,
    now: dt.datetime,
    build_url: Callable[[str], str],
) -> OnlineBooking:
    """Book the visit, registering or matching the patient, in one transaction.

    A time taken meanwhile raises ``Conflict`` and writes nothing: the registration rolls
    back with the appointment. The confirmation (with the ``.ics``, the link to cancel or
    move, and the intake form's link) is sent once the transaction has committed.
    """
    conf = booking_settings_get(clinic=clinic)
    if not conf.enabled or not appointment_type.online_bookable:
        raise NotFound("The clinic does not offer that visit online.")
    slot = slot_at(
        clinic=clinic, conf=conf, appointment_type=appointment_type, starts_at=starts_at, now=now
    )
    staff_id = sched.resource_ids(slot.resources)["staff"]
    staff = sched.staff_get(clinic=clinic, pk=staff_id)
    with transaction.atomic():
        patient, is_new, reason = _patient_for(clinic=clinic, details=details)
        try:
            appointment = appointment_book(
                clinic=clinic,
                actor=None,
                patient=patient,
                staff=staff,
                appointment_type=appointment_type,
                starts_at=starts_at,
                booked_via=BookedVia.ONLINE,
            )
        except Conflict:
            # Scheduling names what collides ("the patient already has..."): the public
            # page must not, or it would tell a stranger that someone is a patient.
            raise Conflict(TAKEN) from None
        booking = OnlineBooking.objects.create(
            clinic=clinic,
            appointment=appointment,
            patient=patient,
            new_patient=is_new,
            needs_review=bool(reason),
            review_reason=reason,
        )
        _link, intake_token = intake_link_create(
            clinic=clinic, patient=patient, actor=None, now=now
        )
        audit_record(
            clinic=clinic,
            actor=None,
            event_type=AuditEventType.ONLINE_BOOKING_MADE,
            subject_type=SUBJECT_TYPE,
            subject_id=booking.pk,
            after={
                "appointment": appointment.pk,
                "patient": patient.pk,
                "new_patient": is_new,
                "needs_review": bool(reason),
            },
        )
        intake_url = build_url(reverse("intake:fill", args=[intake_token]))
        transaction.on_commit(
            lambda: _send_confirmation(
                booking=booking,
                to=details.email,
                build_url=build_url,
                intake_url=intake_url,
                subject=f"Your appointment at {clinic.name}",
            ),
            # A mail server that is down must not turn a booking made into an error page.
            robust=True,
        )
    return booking


def _send_confirmation(
    *,
    booking: OnlineBooking,
    to: str,
    build_url: Callable[[str], str],
    subject: str,
    intake_url: str = "",
) -> None:
    appointment = Appointment.objects.select_related(
        "clinic", "appointment_type", "patient", "room"
    ).get(pk=booking.appointment_id)
    clinic = appointment.clinic
    conf = booking_settings_get(clinic=clinic)
    manage_url = build_url(reverse("onlinebooking:manage", args=[manage_token(booking)]))
    lines = [
        "Hello,",
        "",
        f"Your {appointment.appointment_type.name.lower()} at {clinic.name} is booked for",
        f"{when_text(appointment, clinic)}.",
        "",
        "To cancel or move it, use this link (until "
        f"{conf.change_cutoff_hours} hours before the visit; after that, please call us):",
        manage_url,
    ]
    if intake_url:
        lines += [
            "",
            "Before your visit, please answer a few questions about your health here:",
            intake_url,
        ]
    lines += ["", "The attached calendar file adds the visit to your calendar.", "", clinic.name]
    message = EmailMessage(subject=subject, body="\n".join(lines), to=[to])
    message.attach(
        "appointment.ics",
        appointment_ics(appointment=appointment, domain=_domain()),
        "text/calendar",
    )
    message.send(fail_silently=False)


def _domain() -> str:
    hosts = [h for h in django_settings.ALLOWED_HOSTS if h and h not in ("*",)]
    return hosts[0].lstrip(".") if hosts else "pistor.local"


# --- Cancel or move by the emailed link ---------------------------------------------------


def public_booking_cancel(*, token: str, now: dt.datetime) -> OnlineBooking:
    booking = booking_from_token(token)
    conf = booking_settings_get(clinic=booking.clinic)
    refusal = change_refusal(booking=booking, conf=conf, now=now)
    if refusal:
        raise Conflict(refusal)
    with transaction.atomic():
        appointment_cancel(
            clinic=booking.clinic,
            actor=None,
            appointment=booking.appointment,
            by=CancelledBy.PATIENT,
            reason="Cancelled by the patient with the emailed link.",
        )
        audit_record(
            clinic=booking.clinic,
            actor=None,
            event_type=AuditEventType.ONLINE_BOOKING_CANCELLED,
            subject_type=SUBJECT_TYPE,
            subject_id=booking.pk,
            after={"appointment": booking.appointment_id, "patient": booking.patient_id},
        )
    return booking_from_token(token)


def public_booking_move(
    *, token: str, starts_at: dt.datetime, now: dt.datetime, build_url: Callable[[str], str]
) -> OnlineBooking:
    """Move the visit to another free time the page offers; a new confirmation follows."""
    booking = booking_from_token(token)
    clinic = booking.clinic
    conf = booking_settings_get(clinic=clinic)
    refusal = change_refusal(booking=booking, conf=conf, now=now)
    if refusal:
        raise Conflict(refusal)
    appointment = booking.appointment
    slot = slot_at(
        clinic=clinic,
        conf=conf,
        appointment_type=appointment.appointment_type,
        starts_at=starts_at,
        now=now,
        exclude_appointment_id=appointment.pk,
    )
    staff = sched.staff_get(clinic=clinic, pk=sched.resource_ids(slot.resources)["staff"])
    before = appointment.starts_at.isoformat()
    with transaction.atomic():
        appointment_move(
            clinic=clinic, actor=None, appointment=appointment, starts_at=starts_at, staff=staff
        )
        audit_record(
            clinic=clinic,
            actor=None,
            event_type=AuditEventType.ONLINE_BOOKING_MOVED,
            subject_type=SUBJECT_TYPE,
            subject_id=booking.pk,
            before={"starts_at": before},
            after={
                "appointment": appointment.pk,
                "patient": booking.patient_id,
                "starts_at": starts_at.isoformat(),
            },
        )
        email = booking.patient.email if booking.patient_id else ""
        if email:
            transaction.on_commit(
                lambda: _send_confirmation(
                    booking=booking,
                    to=email,
                    build_url=build_url,
                    subject=f"Your appointment at {clinic.name} has moved",
                ),
                robust=True,
            )
    return booking_from_token(token)


# --- Reception's check of flagged registrations -------------------------------------------


def booking_review_done(*, clinic: Clinic, actor: Any, booking_id: int, now: dt.datetime) -> None:
    with transaction.atomic():
        booking = (
            OnlineBooking.objects.for_clinic(clinic)
            .select_for_update()
            .filter(pk=booking_id, needs_review=True, reviewed_at__isnull=True)
            .first()
        )
        if booking is None:
            raise NotFound("No such booking to check.")
        booking.reviewed_at = now
        booking.reviewed_by = actor
        booking.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.ONLINE_BOOKING_REVIEWED,
            subject_type=SUBJECT_TYPE,
            subject_id=booking.pk,
            after={"patient": booking.patient_id},
        )
