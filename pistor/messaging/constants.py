"""Choices of the message log and the fixed numbers of the reminder jobs."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Category(models.TextChoices):
    """Why a message is sent, which decides whether the patient's opt-out applies.

    The issue lets patients opt out of marketing but never of safety messages. We sort
    each kind like this:

    - SAFETY: appointment reminders and aftercare. Missing one puts the patient at risk
      (a wasted slot is the least of it; aftercare lists the signs that mean "call us").
      No opt-out.
    - CARE: "book your next session" while a course is under way. The patient agreed the
      course in a signed plan and consent; a session given outside its window weakens the
      result the protocol is built on. It is part of the treatment, not an offer, so the
      marketing opt-out does not stop it (a patient who wants no more sessions has the
      plan ended instead).
    - MARKETING: the maintenance recall. The course is over; a top-up months later is a
      new purchase the clinic proposes, so it respects the marketing opt-out (as UK PECR
      treats "soft opt-in" messages to existing customers).
    """

    SAFETY = "safety", "Safety"
    CARE = "care", "Care reminder"
    MARKETING = "marketing", "Marketing"


class Kind(models.TextChoices):
    APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
    AFTERCARE = "aftercare", "Aftercare advice"
    NEXT_SESSION = "next_session", "Book your next session"
    MAINTENANCE_RECALL = "maintenance_recall", "Maintenance recall"
    STOCK_ALERT = "stock_alert", "Daily stock alerts"


KIND_CATEGORY: dict[str, str] = {
    Kind.APPOINTMENT_REMINDER: Category.SAFETY,
    Kind.AFTERCARE: Category.SAFETY,
    Kind.NEXT_SESSION: Category.CARE,
    Kind.MAINTENANCE_RECALL: Category.MARKETING,
    Kind.STOCK_ALERT: Category.SAFETY,  # to staff; the opt-out is a patient's
}


class MessageStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    OPTED_OUT = "opted_out", "Not sent: patient opted out"
    NO_CONTACT = "no_contact", "Not sent: no email or phone"


class DailyJob(models.TextChoices):
    """The jobs the worker's scheduler enqueues once per clinic-local day."""

    COURSE_REMINDERS = "course_reminders", "Next-session reminders and maintenance recalls"
    STOCK_ALERTS = "stock_alerts", "Daily stock alert email"


REMINDER_HOURS_DEFAULT = 24
REMINDER_HOURS_MIN, REMINDER_HOURS_MAX = 1, 7 * 24
DAILY_HOUR_DEFAULT = 8
# Aftercare goes out after a session is signed; older sessions (a worker down for days,
# or the first run on an existing clinic) are not written to out of the blue.
AFTERCARE_LOOKBACK_HOURS = 48
# The worker enqueues the frequent sweep (appointment reminders, aftercare) this often.
SWEEP_INTERVAL_SECONDS = 300
