"""The treatment session: who was treated, with what cocktail, where, and how deep.

A session starts only through the care-pathway gate, stays a draft while the practitioner
mixes and charts, and is then signed (``pistor.records``): from then on it is locked and
corrections are addenda.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.records.models import SignedRecord
from pistor.treatments.constants import REGION_CHOICES, Device


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


class TreatmentSession(SignedRecord):
    """One mesotherapy treatment of a patient, from a plan's course or unplanned with a reason.

    Signing freezes the cocktail (with its batches) and the injection chart as they were.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    plan = models.ForeignKey(
        "plans.Plan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_sessions",
    )
    indication_code = models.CharField(max_length=60)
    technique_code = models.CharField(max_length=60, blank=True)
    unplanned_reason = models.TextField(
        blank=True, help_text="Why this session is not part of a treatment plan."
    )
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)
    anaesthetic_product = models.CharField(
        max_length=120, blank=True, help_text="Numbing cream used, if any (e.g. lidocaine 5 %)."
    )
    anaesthetic_applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When the numbing cream was put on."
    )
    treatment_start = models.DateTimeField(
        null=True, blank=True, help_text="When the first injection was given."
    )
    treatment_end = models.DateTimeField(
        null=True, blank=True, help_text="When the last injection was given."
    )
    findings = models.JSONField(
        default=list,
        blank=True,
        help_text="The safety screen's findings at sign-off, as the practitioner saw them.",
    )
    reactions = models.JSONField(
        default=dict,
        blank=True,
        help_text="Immediate reactions seen, each with its severity: {reaction: severity}.",
    )

    class Meta(SignedRecord.Meta):
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "patient", "started_at"])]
        constraints = [
            *SignedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(plan__isnull=False) | ~models.Q(unplanned_reason=""),
                name="treatments_session_plan_or_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(treatment_start__isnull=True)
                | models.Q(treatment_end__isnull=True)
                | models.Q(treatment_end__gte=models.F("treatment_start")),
                name="treatments_session_ends_after_start",
            ),
        ]

    @property
    def duration_minutes(self) -> int | None:
        """Minutes from the first to the last injection, when both times are recorded."""
        if self.treatment_start is None or self.treatment_end is None:
            return None
        return int((self.treatment_end - self.treatment_start).total_seconds() // 60)

    def signable_content(self) -> dict[str, Any]:
        lines = list(self.cocktail_lines.all())
        areas = list(self.chart_areas.all())
        return {
            "patient": self.patient_id,
            "plan": self.plan_id,
            "indication": self.indication_code,
            "unplanned_reason": self.unplanned_reason,
            "started_at": self.started_at.isoformat(),
            "notes": self.notes,
            "anaesthetic": {
                "product": self.anaesthetic_product,
                "applied_at": _iso(self.anaesthetic_applied_at),
            },
            "treatment_start": _iso(self.treatment_start),
            "treatment_end": _iso(self.treatment_end),
            "reactions": dict(sorted((self.reactions or {}).items())),
            "findings": list(self.findings or []),
            "cocktail": [
                {
                    "code": line.code,
                    "volume_ml": str(line.volume_ml),
                    "concentration_mg_ml": (
                        None if line.concentration_mg_ml is None else str(line.concentration_mg_ml)
                    ),
                    "batch": line.batch_id,
                    "lot": line.lot,
                }
                for line in lines
            ],
            "chart": [
                {
                    "region": area.region,
                    "technique": area.technique_code,
                    "depth_mm": str(area.depth_mm),
                    "needle_gauge": area.needle_gauge,
                    "needle_length_mm": (
                        None if area.needle_length_mm is None else str(area.needle_length_mm)
                    ),
                    "device": area.device,
                    "injections": area.injections,
                    "volume_ml": str(area.volume_ml),
                    "points": [[str(p.x), str(p.y)] for p in area.points.all()],
                }
                for area in areas
            ],
        }


class CocktailLine(ClinicScopedModel):
    """One line of the session's cocktail: a catalog product or ingredient and how much.

    A product line is drawn from a batch (first-expiry-first-out unless chosen), so the
    sign-off can take it out of stock and a recall can find the patient.
    """

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="cocktail_lines"
    )
    code = models.CharField(max_length=60, help_text="Catalog product or ingredient code.")
    volume_ml = models.DecimalField(max_digits=8, decimal_places=3, help_text="Volume in mL.")
    concentration_mg_ml = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="For an ingredient on its own: its strength in mg/mL.",
    )
    batch = models.ForeignKey(
        "inventory.Batch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lot = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(volume_ml__gt=0), name="treatments_line_volume_positive"
            )
        ]


class ChartArea(ClinicScopedModel):
    """An area treated in the session: technique, depth, needle, device and how much went in."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="chart_areas"
    )
    region = models.CharField(max_length=40, choices=REGION_CHOICES)
    technique_code = models.CharField(max_length=60)
    depth_mm = models.DecimalField(max_digits=5, decimal_places=2)
    needle_gauge = models.PositiveSmallIntegerField(null=True, blank=True)
    needle_length_mm = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    device = models.CharField(max_length=12, choices=Device.choices, default=Device.MANUAL)
    injections = models.PositiveIntegerField(help_text="Number of injection points given.")
    volume_ml = models.DecimalField(max_digits=8, decimal_places=3)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(depth_mm__gte=0) & models.Q(depth_mm__lte=20),
                name="treatments_area_depth_range",
            ),
            models.CheckConstraint(
                condition=models.Q(volume_ml__gte=0), name="treatments_area_volume_positive"
            ),
        ]


class ChartPoint(ClinicScopedModel):
    """A point marked on the body map, as fractions (0–1) of the drawing's width and height."""

    area = models.ForeignKey(ChartArea, on_delete=models.CASCADE, related_name="points")
    x = models.DecimalField(max_digits=5, decimal_places=4)
    y = models.DecimalField(max_digits=5, decimal_places=4)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1),
                name="treatments_point_inside_drawing",
            )
        ]
