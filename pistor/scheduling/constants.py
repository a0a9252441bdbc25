"""Choices and limits of scheduling."""

from __future__ import annotations

from django.db import models

MIN_APPOINTMENT_MINUTES = 5
MAX_APPOINTMENT_MINUTES = 12 * 60  # no clinic visit lasts longer than a working day
TREATMENT_MIN_MINUTES = 10  # seed sessions last 10 to 50 minutes
TREATMENT_MAX_MINUTES = 50
MAX_BUFFER_MINUTES = 120
MAX_BOOKING_AHEAD_DAYS = 2 * 366  # further ahead than two years is a typing mistake
SLOT_STEP_MINUTES = 15


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ResourceKind(models.TextChoices):
    ROOM = "room", "Room"
    DEVICE = "device", "Device"


class VisitKind(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    ALLERGY_TEST = "allergy_test", "Allergy test visit"
    TEST_READING = "test_reading", "Allergy test reading"
    TREATMENT = "treatment", "Treatment session"
    FOLLOW_UP = "follow_up", "Follow-up"


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    IN_TREATMENT = "in_treatment", "In treatment"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Which status may follow which: the desk moves a visit forward, never back.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    Status.BOOKED: frozenset({Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW}),
    Status.ARRIVED: frozenset({Status.IN_TREATMENT, Status.DONE, Status.CANCELLED}),
    Status.IN_TREATMENT: frozenset({Status.DONE}),
    Status.DONE: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset(),
}

# Only a cancelled appointment frees its time; a no-show still held the room.
RELEASED_STATUSES = (Status.CANCELLED,)
LATE_CANCELLATION_HOURS = 24


class CancelledBy(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINIC = "clinic", "Clinic"


class BookedVia(models.TextChoices):
    STAFF = "staff", "Staff"
    ONLINE = "online", "Online booking"
