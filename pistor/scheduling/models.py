"""Scheduling: when the clinic is open, who works when, rooms and devices, visit types
and the appointments that take them.

No double booking is enforced twice: the booking service checks for overlaps inside a
locked transaction (SQLite's BEGIN IMMEDIATE serialises writers), and on PostgreSQL the
database itself refuses overlapping rows with exclusion constraints on a time range
(``btree_gist``; see migration 0002, which runs only on PostgreSQL).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.scheduling.constants import (
    MAX_APPOINTMENT_MINUTES,
    MAX_BUFFER_MINUTES,
    MIN_APPOINTMENT_MINUTES,
    BookedVia,
    CancelledBy,
    ResourceKind,
    Status,
    VisitKind,
    Weekday,
)


class OpeningHours(ClinicScopedModel):
    """The hours the clinic is open on one weekday; a weekday without a row is closed."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opening_closes_after_opens"
            ),
            models.UniqueConstraint(fields=["clinic", "weekday"], name="opening_once_a_weekday"),
        ]


class ClosedDay(ClinicScopedModel):
    """A date the clinic is shut (a bank holiday, a training day): no visits are planned."""

    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="closed_day_once"),
        ]


class WorkingHours(ClinicScopedModel):
    """A member of staff's usual hours on one weekday at this clinic."""

    staff = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["staff_id", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="working_ends_after_starts"
            ),
        ]


class HoursException(ClinicScopedModel):
    """Different hours on one date (an evening clinic, a half day) replacing the usual ones."""

    staff = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, related_name="hours_exceptions"
    )
    date = models.DateField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="exception_ends_after_starts"
            ),
        ]


class Absence(ClinicScopedModel):
    """Time a member of staff is away (leave, training, illness): nothing is booked then."""

    staff = models.ForeignKey("clinics.Membership", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="absence_ends_after_starts",
            ),
        ]


class Resource(ClinicScopedModel):
    """A treatment room or a device (a mesotherapy injector gun) that one visit uses at a time."""

    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    name = models.CharField(max_length=100)
    device_type = models.SlugField(
        max_length=60,
        blank=True,
        help_text="For devices: what it is, e.g. mesotherapy-gun. Visit types ask for a type.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="resource_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class AppointmentType(ClinicScopedModel):
    """A kind of visit: how long it takes, the clean-up after it, and what it needs."""

    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=VisitKind.choices)
    indication_code = models.CharField(
        max_length=60, blank=True, help_text="The indication it treats; blank for any."
    )
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(MIN_APPOINTMENT_MINUTES),
            MaxValueValidator(MAX_APPOINTMENT_MINUTES),
        ]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Minutes kept free after the visit for cleaning and notes.",
    )
    needs_room = models.BooleanField(default=True)
    device_type = models.SlugField(
        max_length=60, blank=True, help_text="A device type it needs, e.g. mesotherapy-gun."
    )
    online_bookable = models.BooleanField(
        default=False, help_text="Patients may book it themselves on the public page."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="appointment_type_code_once"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=MIN_APPOINTMENT_MINUTES)
                & models.Q(duration_minutes__lte=MAX_APPOINTMENT_MINUTES),
                name="appointment_type_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Appointment(ClinicScopedModel):
    """A patient's visit with one member of staff, in a room, perhaps with a device.

    ``occupied_until`` is the end plus the type's buffer: the staff, room and device are
    taken until then; the patient only until ``ends_at``.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey("clinics.Membership", on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT)
    room = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    occupied_until = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    plan_session = models.ForeignKey(
        "plans.PlanSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booked_via = models.CharField(max_length=10, choices=BookedVia.choices, default="staff")
    note = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    late_cancellation = models.BooleanField(default=False)
    arrived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "staff", "starts_at"], name="appt_staff_start"),
            models.Index(fields=["clinic", "room", "starts_at"], name="appt_room_start"),
            models.Index(fields=["clinic", "patient", "starts_at"], name="appt_patient_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(occupied_until__gte=models.F("ends_at")),
                name="appointment_buffer_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=Status.CANCELLED) | models.Q(cancelled_at__isnull=False),
                name="appointment_cancelled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} at {self.starts_at:%Y-%m-%d %H:%M}"


class CalendarFeed(ClinicScopedModel):
    """A practitioner's private iCalendar feed: a secret address a calendar app subscribes
    to. Only a hash of the secret is kept; revoking it stops the address at once."""

    staff = models.ForeignKey("clinics.Membership", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        max_length=8, help_text="The secret's first characters, to tell feeds apart."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
