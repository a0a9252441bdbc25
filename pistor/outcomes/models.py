"""Outcome measures, the side-effect register and safety-net follow-up calls (issue 12)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.outcomes.constants import ActionTaken, CallStatus, Outcome, Timepoint


class Measurement(ClinicScopedModel):
    """One scoring of a validated outcome scale for a patient (Hexsel CSS, GAIS, pain VAS...)
    at baseline, during the course (after session n) or at follow-up, as the clinical core
    scored it from the practitioner's answers."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    indication_code = models.CharField(max_length=60)
    protocol_code = models.CharField(
        max_length=60, blank=True, help_text="The course's protocol, empty outside a plan."
    )
    scale_code = models.CharField(max_length=60)
    timepoint = models.CharField(max_length=12, choices=Timepoint.choices)
    session_number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="During the course: after which session."
    )
    answers = models.JSONField(help_text="Item code → the value given.")
    total = models.DecimalField(max_digits=10, decimal_places=3)
    band = models.CharField(max_length=60, blank=True)
    measured_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    catalog_version = models.CharField(max_length=40)

    class Meta:
        ordering = ["measured_on", "pk"]
        indexes = [
            models.Index(fields=["clinic", "patient", "scale_code", "measured_on"]),
            models.Index(fields=["clinic", "indication_code", "scale_code"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(timepoint="during") | models.Q(session_number__isnull=False),
                name="outcomes_measurement_during_has_session_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.scale_code} {self.total} on {self.measured_on}"


class SideEffect(ClinicScopedModel):
    """A side effect or complication a patient had: its type from the catalog, when it began
    and ended, how bad it was (CTCAE grade and the local-reaction grade), where, what was done
    and the session and batches it may be linked to. Flagged for review when graded 3 or more
    or when it lasts beyond its expected duration (``expected_end_on``)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    batches = models.ManyToManyField(
        "inventory.Batch", blank=True, related_name="+", help_text="Suspected batches."
    )
    event_code = models.CharField(max_length=60, help_text="The catalog's side effect.")
    indication_code = models.CharField(max_length=60, blank=True)
    onset = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField(help_text="CTCAE v5.0 grade, 1 to 5.")
    local_kind = models.CharField(max_length=30, blank=True)
    local_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    areas = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    action_taken = models.CharField(
        max_length=20, choices=ActionTaken.choices, default=ActionTaken.NONE
    )
    action_note = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.ONGOING)
    expected_end_on = models.DateField(
        null=True,
        blank=True,
        help_text="The last day within the expected duration (catalog); empty: none given.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-onset", "-pk"]
        indexes = [
            models.Index(fields=["clinic", "patient", "onset"]),
            models.Index(fields=["clinic", "event_code"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1) & models.Q(grade__lte=5),
                name="outcomes_side_effect_grade_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(local_grade__isnull=True)
                | (models.Q(local_grade__gte=1) & models.Q(local_grade__lte=4)),
                name="outcomes_side_effect_local_grade_1_to_4",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True)
                | models.Q(resolved_on__gte=models.F("onset")),
                name="outcomes_side_effect_resolves_after_onset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_code} from {self.onset}"


class FollowUpCall(ClinicScopedModel):
    """A safety-net telephone call after a course, where the catalog asks for one (body
    mesotherapy and lipolysis: new painful nodules weeks later, REFERENCE §5.3). Its due date
    moves with each new session, so it always counts from the last one."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    indication_code = models.CharField(max_length=60)
    after_days = models.PositiveSmallIntegerField(help_text="Days after the last session.")
    last_session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    side_effect_code = models.CharField(max_length=60)
    question = models.TextField()
    status = models.CharField(max_length=12, choices=CallStatus.choices, default=CallStatus.DUE)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["clinic", "status", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "patient", "indication_code", "after_days"],
                condition=models.Q(status="due"),
                name="outcomes_one_due_call_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up call due {self.due_on}"
