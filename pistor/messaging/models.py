"""Messages to patients and staff: what was sent, to whom, why, and the patient's choices.

The log keeps ids, the kind and the template, never the text: a reminder or aftercare
message says what was done to whom, which is health data, and the log is read by staff
who do not read clinical notes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.messaging.constants import (
    DAILY_HOUR_DEFAULT,
    REMINDER_HOURS_DEFAULT,
    REMINDER_HOURS_MAX,
    REMINDER_HOURS_MIN,
    Category,
    Channel,
    DailyJob,
    Kind,
    MessageStatus,
)


class MessagingSettings(ClinicScopedModel):
    """When this clinic's reminders go out: how long before a visit, and the local hour at
    which the daily course reminders, recalls and stock alerts are sent."""

    reminder_hours_before = models.PositiveSmallIntegerField(
        default=REMINDER_HOURS_DEFAULT,
        validators=[MinValueValidator(REMINDER_HOURS_MIN), MaxValueValidator(REMINDER_HOURS_MAX)],
        help_text="How many hours before an appointment the patient is reminded of it.",
    )
    daily_hour = models.PositiveSmallIntegerField(
        default=DAILY_HOUR_DEFAULT,
        validators=[MaxValueValidator(23)],
        help_text="The hour of the day (clinic time, 0 to 23) at which the daily reminders, "
        "recalls and stock alerts are sent.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="messaging_settings_once"),
            models.CheckConstraint(
                condition=models.Q(reminder_hours_before__gte=REMINDER_HOURS_MIN)
                & models.Q(reminder_hours_before__lte=REMINDER_HOURS_MAX),
                name="messaging_reminder_hours_range",
            ),
            models.CheckConstraint(
                condition=models.Q(daily_hour__lte=23), name="messaging_daily_hour_range"
            ),
        ]


class MessagePreference(ClinicScopedModel):
    """How a patient wants to be contacted, and whether they accept marketing (the
    maintenance recall). Safety messages are sent whatever is chosen here."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="message_preference"
    )
    channel = models.CharField(
        max_length=10,
        choices=Channel.choices,
        default=Channel.EMAIL,
        help_text="Email or text message; the other is used when this one has no address.",
    )
    marketing_opt_out = models.BooleanField(
        default=False,
        help_text="No maintenance recalls or offers. Appointment reminders, aftercare and "
        "reminders to book the next session of an agreed course are still sent.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=[c.value for c in Channel]),
                name="messaging_preference_channel_valid",
            ),
        ]


class Message(ClinicScopedModel):
    """One message the clinic sent (or decided not to send), to a patient or a member of
    staff. ``dedupe_key`` names the occasion (this appointment at this time, this session's
    aftercare): the unique constraint makes a second send of the same occasion impossible,
    however many workers run."""

    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        "clinics.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    template = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    dedupe_key = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=MessageStatus.choices, default=MessageStatus.SENDING
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, blank=True, help_text="The failure's kind only.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["clinic", "patient", "created_at"], name="message_patient"),
            models.Index(fields=["clinic", "created_at"], name="message_clinic_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "dedupe_key"], name="message_once"),
            models.CheckConstraint(
                condition=models.Q(patient__isnull=False) | models.Q(staff__isnull=False),
                name="message_has_recipient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=MessageStatus.SENT) | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class DueJobRun(ClinicScopedModel):
    """A daily job enqueued for one clinic on one of its local days. The unique constraint
    is what stops a restarted (or second) worker from sending the day's messages twice."""

    job = models.CharField(max_length=30, choices=DailyJob.choices)
    local_date = models.DateField()
    enqueued_at = models.DateTimeField()

    class Meta:
        ordering = ["-local_date", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "job", "local_date"], name="due_job_once_a_day"
            ),
        ]
