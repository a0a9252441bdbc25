"""The clinic's outcomes report: does treatment work, and what does it cost in side effects?

Per indication and per protocol: the change in each scale's score from a patient's baseline
to their latest later score (median, interquartile range, number of patients). Side effects
per 100 signed sessions: overall, per product and per batch (an event counts against the
batches suspected of it, and a product's or batch's sessions are those that used it).

Ten queries whatever the clinic's size: the scores are read once, ordered, and reduced in
one pass; the counts are SQL aggregates. Figures on fewer than ``SMALL_N`` patients or
sessions carry the note that they are too few to draw conclusions from.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet

from pistor.clinical.catalog.types import Catalog
from pistor.inventory.models import Batch
from pistor.outcomes.constants import SMALL_N, SMALL_N_NOTE, Timepoint
from pistor.outcomes.models import Measurement, SideEffect
from pistor.records.constants import RecordStatus
from pistor.treatments.models import CocktailLine, TreatmentSession

BATCH_ROWS = 100  # the batches with the highest rates; the CSV has the same


@dataclass(frozen=True)
class ChangeRow:
    group: str  # indication or protocol code ("" for scores outside a plan)
    group_name: str
    scale_code: str
    scale_name: str
    n: int
    median: Decimal | None
    q1: Decimal | None
    q3: Decimal | None
    lower_is_better: bool

    @property
    def small(self) -> bool:
        return self.n < SMALL_N

    @property
    def note(self) -> str:
        return SMALL_N_NOTE if self.small else ""

    @property
    def direction(self) -> str:
        if self.median is None or self.median == 0:
            return "no change"
        better = (self.median < 0) == self.lower_is_better
        return "better" if better else "worse"


@dataclass(frozen=True)
class RateRow:
    scope: str  # "" overall, else the product code or the batch lot
    scope_name: str
    event_code: str
    event_name: str
    events: int
    sessions: int

    @property
    def per_100(self) -> Decimal | None:
        if not self.sessions:
            return None
        return (Decimal(self.events) * 100 / self.sessions).quantize(Decimal("0.1"))

    @property
    def small(self) -> bool:
        return self.sessions < SMALL_N

    @property
    def note(self) -> str:
        return SMALL_N_NOTE if self.small else ""


@dataclass
class OutcomesReport:
    by_indication: list[ChangeRow]
    by_protocol: list[ChangeRow]
    sessions: int
    rates: list[RateRow]
    rates_by_product: list[RateRow]
    rates_by_batch: list[RateRow]
    patients_measured: int
    charts: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    chart_heights: dict[str, int] = field(default_factory=dict)


def _quartiles(values: list[Decimal]) -> tuple[Decimal, Decimal | None, Decimal | None]:
    values = sorted(values)
    median = Decimal(statistics.median(values))
    if len(values) < 2:
        return median, None, None
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, Decimal(q1), Decimal(q3)


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def _changes(clinic_id: int) -> tuple[dict[tuple[str, str, str], list[Decimal]], int]:
    """(kind, group, scale) → each patient's change from baseline to latest. One query."""
    rows = (
        Measurement.objects.for_clinic(clinic_id)
        .order_by("patient_id", "indication_code", "scale_code", "measured_on", "pk")
        .values_list(
            "patient_id", "indication_code", "protocol_code", "scale_code", "timepoint", "total"
        )
    )
    out: dict[tuple[str, str, str], list[Decimal]] = {}
    patients: set[int] = set()
    key: tuple[int, str, str] | None = None
    baseline: Decimal | None = None
    latest: Decimal | None = None
    protocol = ""

    def flush() -> None:
        if key is None or baseline is None or latest is None:
            return
        change = latest - baseline
        patients.add(key[0])
        out.setdefault(("indication", key[1], key[2]), []).append(change)
        out.setdefault(("protocol", protocol, key[2]), []).append(change)

    for patient_id, indication, proto, scale, timepoint, total in rows.iterator(chunk_size=5000):
        this = (patient_id, indication, scale)
        if this != key:
            flush()
            key, baseline, latest, protocol = this, None, None, ""
        if timepoint == Timepoint.BASELINE:
            if baseline is None:
                baseline, protocol = total, proto
            continue
        if baseline is not None:
            latest = total
            protocol = proto or protocol
    flush()
    return out, len(patients)


def outcomes_report(*, clinic_id: int, catalog: Catalog) -> OutcomesReport:
    changes, measured = _changes(clinic_id)
    by_indication: list[ChangeRow] = []
    by_protocol: list[ChangeRow] = []
    for (kind, group, scale_code), values in sorted(changes.items()):
        scale = catalog.scales.get(scale_code)
        median, q1, q3 = _quartiles(values)
        if kind == "indication":
            ind = catalog.indications.get(group)
            name = ind.name if ind else group
        else:
            proto = catalog.protocols.get(group)
            name = proto.name if proto else (group or "Outside a plan")
        row = ChangeRow(
            group=group,
            group_name=name,
            scale_code=scale_code,
            scale_name=scale.name if scale else scale_code,
            n=len(values),
            median=_q(median),
            q1=_q(q1),
            q3=_q(q3),
            lower_is_better=bool(scale and scale.lower_is_better),
        )
        (by_indication if kind == "indication" else by_protocol).append(row)

    signed = TreatmentSession.objects.for_clinic(clinic_id).filter(status=RecordStatus.SIGNED)
    sessions = signed.count()
    events = dict(
        SideEffect.objects.for_clinic(clinic_id)
        .values_list("event_code")
        .annotate(n=Count("id"))
        .values_list("event_code", "n")
    )
    # Sessions per product and per batch: counted over all the clinic's cocktail lines (no
    # join), less those of sessions not signed yet (a few drafts): the same figure as a
    # join to the sessions' status, at a fraction of the cost on a large clinic.
    lines = CocktailLine.objects.for_clinic(clinic_id)
    drafts = lines.exclude(session__status=RecordStatus.SIGNED)

    def per_product(rows: QuerySet[CocktailLine]) -> dict[str, int]:
        return dict(
            rows.values_list("code")
            .annotate(n=Count("session_id", distinct=True))
            .values_list("code", "n")
        )

    def per_batch(rows: QuerySet[CocktailLine]) -> dict[tuple[int, str], int]:
        return {
            (b, code): n
            for b, code, n in rows.filter(batch__isnull=False)
            .values_list("batch_id", "code")
            .annotate(n=Count("session_id", distinct=True))
            .values_list("batch_id", "code", "n")
        }

    product_sessions = per_product(lines)
    for code, n in per_product(drafts).items():
        product_sessions[code] -= n
    batch_sessions = per_batch(lines)
    for key, n in per_batch(drafts).items():
        batch_sessions[key] -= n
    through = SideEffect.batches.through.objects.filter(sideeffect__clinic_id=clinic_id)
    product_events = {
        (row["batch__product__code"], row["sideeffect__event_code"]): row["n"]
        for row in through.values("batch__product__code", "sideeffect__event_code").annotate(
            n=Count("sideeffect_id", distinct=True)
        )
    }
    batch_events = {
        (row["batch_id"], row["sideeffect__event_code"]): row["n"]
        for row in through.values("batch_id", "sideeffect__event_code").annotate(
            n=Count("sideeffect_id", distinct=True)
        )
    }

    def event_name(code: str) -> str:
        kind = catalog.side_effects.get(code)
        return kind.name if kind else code

    def product_name(code: str) -> str:
        product = catalog.products.get(code)
        return product.name if product else code

    rates = [
        RateRow("", "All sessions", code, event_name(code), n, sessions)
        for code, n in sorted(events.items())
    ]
    rates_by_product = [
        RateRow(product, product_name(product), code, event_name(code), n,
                product_sessions.get(product, 0))
        for (product, code), n in sorted(product_events.items())
    ]  # fmt: skip
    lot_of = dict(
        Batch.objects.for_clinic(clinic_id)
        .filter(pk__in={b for b, _code in batch_sessions} | {b for b, _e in batch_events})
        .values_list("pk", "lot")
    )
    lots = {b: (lot, "") for b, lot in lot_of.items()}
    lots.update({b: (lot_of.get(b, str(b)), code) for (b, code) in batch_sessions})
    batch_count = {b: n for (b, _code), n in batch_sessions.items()}
    rates_by_batch = sorted(
        (
            RateRow(
                lots.get(batch, (str(batch), ""))[0],
                product_name(lots.get(batch, ("", ""))[1]),
                code,
                event_name(code),
                n,
                batch_count.get(batch, 0),
            )
            for (batch, code), n in batch_events.items()
        ),
        key=lambda r: (-(r.per_100 or 0), r.scope, r.event_code),
    )[:BATCH_ROWS]
    report = OutcomesReport(
        by_indication=by_indication,
        by_protocol=by_protocol,
        sessions=sessions,
        rates=rates,
        rates_by_product=rates_by_product,
        rates_by_batch=rates_by_batch,
        patients_measured=measured,
    )
    report.charts = {"changes": _change_bars(by_indication), "rates": _rate_bars(rates)}
    report.chart_heights = {k: len(v) * BAR_H + 4 for k, v in report.charts.items()}
    return report


# Simple horizontal bar charts, drawn as SVG in the template from these numbers.
BAR_W, BAR_H, LABEL_W = 640, 22, 300


def _change_bars(rows: list[ChangeRow]) -> list[dict[str, object]]:
    span = max((abs(r.median) for r in rows if r.median is not None), default=Decimal(1)) or 1
    half = (BAR_W - LABEL_W) / 2
    bars = []
    for i, r in enumerate(rows):
        value = r.median or Decimal(0)
        length = float(abs(value) / span) * (half - 10)
        zero = LABEL_W + half
        bars.append(
            {
                "y": i * BAR_H,
                "label": f"{r.group_name}: {r.scale_name} (n={r.n})",
                "x": zero - length if value < 0 else zero,
                "w": max(length, 1),
                "zero": zero,
                "value": f"{value:+}",
                "better": r.direction == "better",
                "small": r.small,
            }
        )
    return bars


def _rate_bars(rows: list[RateRow]) -> list[dict[str, object]]:
    top = max((r.per_100 or 0 for r in rows), default=Decimal(1)) or 1
    return [
        {
            "y": i * BAR_H,
            "label": r.event_name,
            "x": LABEL_W,
            "w": max(float((r.per_100 or 0) / top) * (BAR_W - LABEL_W - 60), 1),
            "value": f"{r.per_100}",
            "small": r.small,
        }
        for i, r in enumerate(rows)
    ]


def _csv_safe(value: object) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not text[1:2].isdigit() else text


def report_csv(report: OutcomesReport) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(["section", "group", "scale", "patients", "median change", "q1", "q3", "note"])
    for section, rows in (("indication", report.by_indication), ("protocol", report.by_protocol)):
        for r in rows:
            out.writerow(
                [
                    _csv_safe(v)
                    for v in (
                        section,
                        r.group_name,
                        r.scale_name,
                        r.n,
                        r.median,
                        r.q1,
                        r.q3,
                        r.note,
                    )
                ]
            )
    out.writerow([])
    out.writerow(
        ["section", "scope", "side effect", "events", "sessions", "per 100 sessions", "note"]
    )
    for section, rates in (
        ("all", report.rates),
        ("product", report.rates_by_product),
        ("batch", report.rates_by_batch),
    ):
        for rate in rates:
            cells = (section, rate.scope or rate.scope_name, rate.event_name, rate.events,
                     rate.sessions, rate.per_100, rate.note)  # fmt: skip
            out.writerow([_csv_safe(v) for v in cells])
    return buffer.getvalue()
