"""Reads of the outcomes app, each a fixed number of queries whatever the data size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet

from pistor.clinical import adverse
from pistor.clinical.catalog.types import Catalog, Scale
from pistor.core.errors import NotFound
from pistor.outcomes.constants import MAX_MEASUREMENTS_ON_RECORD, CallStatus
from pistor.outcomes.models import FollowUpCall, Measurement, SideEffect
from pistor.records.constants import RecordStatus
from pistor.treatments.models import TreatmentSession


def flagged_q(today: dt.date) -> Q:
    """Side effects to review: graded 3 or more (either grading), or past the end of their
    expected duration — resolved after it, or still open today beyond it."""
    return (
        Q(grade__gte=adverse.REVIEW_GRADE)
        | Q(local_grade__gte=adverse.REVIEW_GRADE)
        | Q(expected_end_on__isnull=False, resolved_on__gt=F("expected_end_on"))
        | Q(expected_end_on__lt=today, resolved_on__isnull=True)
    )


def measurement_list(*, clinic_id: int, patient_id: int) -> list[Measurement]:
    """The patient's latest scores (oldest first), at most MAX_MEASUREMENTS_ON_RECORD."""
    rows = list(
        Measurement.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .select_related("recorded_by")
        .order_by("-measured_on", "-pk")[:MAX_MEASUREMENTS_ON_RECORD]
    )
    rows.reverse()
    return rows


def side_effect_list(*, clinic_id: int, patient_id: int) -> list[SideEffect]:
    return list(
        SideEffect.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .select_related("session", "reviewed_by")
        .prefetch_related("batches__product")
        .order_by("-onset", "-pk")[:500]
    )


def side_effect_get(*, clinic_id: int, pk: int) -> SideEffect:
    effect = SideEffect.objects.for_clinic(clinic_id).filter(pk=pk).select_related("clinic").first()
    if effect is None:
        raise NotFound("No such side effect at this clinic.")
    return effect


def follow_up_call_get(*, clinic_id: int, pk: int) -> FollowUpCall:
    call = FollowUpCall.objects.for_clinic(clinic_id).filter(pk=pk).first()
    if call is None:
        raise NotFound("No such follow-up call at this clinic.")
    return call


def review_list(*, clinic_id: int, today: dt.date, limit: int = 200) -> list[SideEffect]:
    """Flagged side effects not yet reviewed, oldest onset first."""
    return list(
        SideEffect.objects.for_clinic(clinic_id)
        .filter(flagged_q(today), reviewed_at__isnull=True)
        .select_related("patient", "session")
        .prefetch_related("batches__product")
        .order_by("onset", "pk")[:limit]
    )


def follow_up_due_list(*, clinic_id: int, today: dt.date, limit: int = 200) -> list[FollowUpCall]:
    """Safety-net calls still to make, with those due by ``today`` first."""
    return list(
        FollowUpCall.objects.for_clinic(clinic_id)
        .filter(status=CallStatus.DUE)
        .select_related("patient")
        .order_by("due_on", "pk")[:limit]
    )


def patient_follow_ups(*, clinic_id: int, patient_id: int) -> QuerySet[FollowUpCall]:
    return FollowUpCall.objects.for_clinic(clinic_id).filter(patient_id=patient_id)


def review_reasons(effect: SideEffect, catalog: Catalog, today: dt.date) -> tuple[str, ...]:
    kind = catalog.side_effects.get(effect.event_code)
    if kind is None:
        return ()
    return tuple(
        r.text
        for r in adverse.review_reasons(
            side_effect=kind,
            onset=effect.onset,
            resolved_on=effect.resolved_on,
            ctcae_grade=effect.grade,
            local_grade=effect.local_grade,
            today=today,
        )
    )


# --------------------------------------------------------------------------------------
# The progress chart: server-drawn SVG, one per scale
# --------------------------------------------------------------------------------------

W, H = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36
PLOT_W, PLOT_H = W - LEFT - RIGHT, H - TOP - BOTTOM


@dataclass
class ChartPoint:
    x: float
    y: float
    measurement: Measurement


@dataclass
class ProgressChart:
    scale: Scale
    points: list[ChartPoint]
    ticks: list[dict[str, Any]]  # sessions: x and label
    y_labels: list[dict[str, Any]]
    x_labels: list[dict[str, Any]]
    polyline: str
    width: int = W
    height: int = H
    lower_is_better: bool = False
    rows: list[Measurement] = field(default_factory=list)


def _scale_range(scale: Scale) -> tuple[Decimal, Decimal]:
    if scale.scoring == "single" and scale.items:
        return scale.items[0].minimum, scale.items[0].maximum
    return (
        sum((i.minimum for i in scale.items), Decimal(0)),
        sum((i.maximum for i in scale.items), Decimal(0)),
    )


def session_dates(*, clinic_id: int, patient_id: int) -> list[dt.date]:
    """The days of the patient's signed sessions, for the chart's ticks (one query)."""
    return [
        at.date()
        for at in TreatmentSession.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id, status=RecordStatus.SIGNED)
        .order_by("started_at")
        .values_list("started_at", flat=True)[:500]
    ]


def session_choices(*, clinic_id: int, patient_id: int) -> list[tuple[int, dt.datetime, str]]:
    """(id, started at, indication) of the patient's sessions, for the forms' pickers."""
    return list(
        TreatmentSession.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .order_by("started_at")
        .values_list("pk", "started_at", "indication_code")[:200]
    )


def patient_batch_choices(*, clinic_id: int, patient_id: int) -> list[tuple[int, str]]:
    """(batch id, "product lot") of the batches the patient's sessions used: the suspects a
    side effect can name."""
    from pistor.treatments.models import CocktailLine

    rows = (
        CocktailLine.objects.for_clinic(clinic_id)
        .filter(session__patient_id=patient_id, batch__isnull=False)
        .values_list("batch_id", "batch__product__name", "batch__lot")
        .distinct()
        .order_by("batch_id")[:100]
    )
    return [(pk, f"{name} lot {lot}") for pk, name, lot in rows]


def progress_charts(
    *, measurements: list[Measurement], sessions: list[dt.date], catalog: Catalog
) -> list[ProgressChart]:
    """One line chart per scale over time, sessions marked by vertical ticks. No queries."""
    by_scale: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_scale.setdefault(m.scale_code, []).append(m)
    charts = []
    for code, rows in by_scale.items():
        scale = catalog.scales.get(code)
        if scale is None:
            continue
        days = [m.measured_on for m in rows] + sessions
        first, last = min(days), max(days)
        span = max((last - first).days, 1)
        low, high = _scale_range(scale)
        if rows:
            high = max(high, max(m.total for m in rows))
            low = min(low, min(m.total for m in rows))
        rng = (high - low) or Decimal(1)

        def x_of(day: dt.date, _first: dt.date = first, _span: int = span) -> float:
            return round(LEFT + PLOT_W * (day - _first).days / _span, 1)

        def y_of(v: Decimal, _low: Decimal = low, _rng: Decimal = rng) -> float:
            return round(TOP + PLOT_H * float((_low + _rng - v) / _rng), 1)

        points = [ChartPoint(x_of(m.measured_on), y_of(m.total), m) for m in rows]
        ticks = [
            {"x": x_of(day), "label": f"Session {n} ({day:%d %b %Y})"}
            for n, day in enumerate(sessions, start=1)
        ]
        y_labels = [
            {"y": y_of(v), "text": f"{v.normalize():f}"} for v in (low, (low + high) / 2, high)
        ]
        x_labels = [
            {"x": x_of(first), "text": f"{first:%d %b %Y}", "anchor": "start"},
            {"x": x_of(last), "text": f"{last:%d %b %Y}", "anchor": "end"},
        ]
        charts.append(
            ProgressChart(
                scale=scale,
                points=points,
                ticks=ticks,
                y_labels=y_labels,
                x_labels=x_labels,
                polyline=" ".join(f"{p.x},{p.y}" for p in points),
                lower_is_better=scale.lower_is_better,
                rows=rows,
            )
        )
    return charts
