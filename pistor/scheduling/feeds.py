"""Private iCalendar (RFC 5545) feeds per practitioner, and one-event ``.ics`` files.

A feed shows the practitioner's live appointments from 30 days back to 180 days ahead.
Calendar apps copy what they fetch to servers the clinic does not control, so an event
names the visit type and the patient's record number, never the patient's name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from icalendar import Calendar, Event

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership
from pistor.core import clock
from pistor.core.errors import NotFound
from pistor.scheduling.models import Appointment, CalendarFeed
from pistor.scheduling.selectors import live_appointments

PAST_DAYS, AHEAD_DAYS = 30, 180
MAX_EVENTS = 2000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_create(*, clinic: Clinic, actor: Any, staff: Membership) -> tuple[CalendarFeed, str]:
    """A new secret feed address for ``staff``; the raw secret is returned once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.create(
            clinic=clinic, staff=staff, token_hash=_hash(token), prefix=token[:8]
        )
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_FEED_CREATED,
            subject_type="calendar_feed",
            subject_id=feed.pk,
            after={"staff": staff.pk},
        )
    return feed, token


def feed_revoke(*, clinic: Clinic, actor: Any, feed: CalendarFeed) -> CalendarFeed:
    with transaction.atomic():
        feed.revoked_at = clock.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.SCHEDULING_FEED_REVOKED,
            subject_type="calendar_feed",
            subject_id=feed.pk,
        )
    return feed


def feed_get(*, token: str) -> CalendarFeed:
    feed = (
        CalendarFeed.objects.select_related("clinic", "staff__user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        raise NotFound("No such calendar feed.")
    return feed


def _event(appt: Appointment, domain: str) -> Event:
    event = Event()
    event.add("uid", f"appointment-{appt.pk}@{domain}")
    event.add("dtstamp", appt.updated_at)
    event.add("dtstart", appt.starts_at)
    event.add("dtend", appt.ends_at)
    event.add("summary", f"{appt.appointment_type.name} · {appt.patient.record_number}")
    if appt.room is not None:
        event.add("location", appt.room.name)
    event.add("status", "CONFIRMED")
    return event


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Pistor//Scheduling//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    return cal


def feed_ics(*, feed: CalendarFeed, domain: str = "pistor.local") -> bytes:
    now = clock.now()
    rows = (
        live_appointments(clinic=feed.clinic)
        .filter(
            staff=feed.staff,
            starts_at__gte=now - dt.timedelta(days=PAST_DAYS),
            starts_at__lte=now + dt.timedelta(days=AHEAD_DAYS),
        )
        .select_related("appointment_type", "patient", "room")
        .order_by("starts_at")[:MAX_EVENTS]
    )
    cal = _calendar(f"{feed.clinic.name}: {feed.staff.user.full_name}")
    for appt in rows:
        cal.add_component(_event(appt, domain))
    return bytes(cal.to_ical())


def appointment_ics(*, appointment: Appointment, domain: str = "pistor.local") -> bytes:
    """One appointment as an ``.ics`` file (a confirmation's attachment)."""
    cal = _calendar(appointment.clinic.name)
    cal.add("method", "PUBLISH")
    cal.add_component(_event(appointment, domain))
    return bytes(cal.to_ical())
