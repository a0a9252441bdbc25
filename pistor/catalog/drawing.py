"""Geometry for the catalog's drawings, computed here and drawn by the templates as SVG.

The page shows server-drawn SVG (the CSP forbids inline scripts and styles; SVG markup
with presentation attributes and CSS classes is fine). Keeping the numbers in Python makes
them testable: a window's bar spans exactly its earliest–latest days, a depth band is
exactly its millimetres times the fixed scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pistor.clinical.catalog.types import Technique
from pistor.clinical.protocols import MAINTENANCE, PlannedSession
from pistor.clinical.units import Unit

# --------------------------------------------------------------------------------------
# The course timeline
# --------------------------------------------------------------------------------------

TIMELINE_WIDTH = 960
TIMELINE_LEFT = 96  # room for "Maintenance 12"
TIMELINE_RIGHT = 24
TIMELINE_TOP = 30  # month labels
TIMELINE_ROW = 22
TIMELINE_BAR = 14
MIN_BAR_PX = 4.0  # a one-day window (the first session) must still be visible


@dataclass(frozen=True)
class TimelineRow:
    session: PlannedSession
    label: str
    css: str  # phase-0..3 or phase-maintenance
    y: float
    bar_x: float
    bar_width: float
    target_x: float
    title: str  # tooltip text


@dataclass(frozen=True)
class TimelineTick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    axis_y: float
    left: int
    right: float
    rows: tuple[TimelineRow, ...]
    ticks: tuple[TimelineTick, ...]
    phases: tuple[tuple[str, str], ...]  # (phase name, css class) for the legend
    start: date
    end: date
    px_per_day: float


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def timeline_layout(sessions: Sequence[PlannedSession], phase_names: Sequence[str]) -> Timeline:
    """Lay out ``sessions`` as one row each: a bar over its window and a mark on its target."""
    if not sessions:
        raise ValueError("A timeline needs at least one planned session.")
    start = min(s.earliest for s in sessions)
    end = max(s.latest for s in sessions)
    days = max((end - start).days, 1)
    usable = TIMELINE_WIDTH - TIMELINE_LEFT - TIMELINE_RIGHT
    px_per_day = usable / days

    def x_of(day: date) -> float:
        return round(TIMELINE_LEFT + (day - start).days * px_per_day, 2)

    css_of = {name: f"phase-{index % 4}" for index, name in enumerate(phase_names)}
    css_of[MAINTENANCE] = "phase-maintenance"
    rows: list[TimelineRow] = []
    for index, session in enumerate(sessions):
        y = TIMELINE_TOP + index * TIMELINE_ROW
        left = x_of(session.earliest)
        width = max(round(x_of(session.latest) - left, 2), MIN_BAR_PX)
        if session.phase == MAINTENANCE:
            label = f"Maint. {session.number}"
        else:
            label = f"Session {session.number}"
        window = (
            f"on {session.target:%a %d %b %Y}"
            if session.earliest == session.latest
            else (
                f"target {session.target:%a %d %b %Y}, window {session.earliest:%d %b} – "
                f"{session.latest:%d %b %Y}"
            )
        )
        rows.append(
            TimelineRow(
                session=session,
                label=label,
                css=css_of.get(session.phase, "phase-0"),
                y=y,
                bar_x=left,
                bar_width=width,
                target_x=x_of(session.target),
                title=f"{label} ({session.phase}): {window}",
            )
        )
    ticks: list[TimelineTick] = []
    tick = _first_of_next_month(start) if start.day != 1 else start
    # Monthly ticks, thinned out so labels never collide on a long maintenance horizon.
    months = max(1, (end.year - start.year) * 12 + end.month - start.month)
    every = 1 if months <= 14 else 2 if months <= 28 else 3
    count = 0
    labelled_year = None
    while tick <= end:
        if count % every == 0:
            # The year is written on the first tick and wherever it changes.
            label = f"{tick:%b %Y}" if tick.year != labelled_year else f"{tick:%b}"
            labelled_year = tick.year
            ticks.append(TimelineTick(x_of(tick), label))
        count += 1
        tick = _first_of_next_month(tick)
    height = TIMELINE_TOP + len(rows) * TIMELINE_ROW + 8
    legend = tuple((name, css_of[name]) for name in phase_names)
    if any(s.phase == MAINTENANCE for s in sessions):
        legend += (("maintenance", "phase-maintenance"),)
    return Timeline(
        width=TIMELINE_WIDTH,
        height=height,
        axis_y=TIMELINE_TOP - 6,
        left=TIMELINE_LEFT,
        right=TIMELINE_WIDTH - TIMELINE_RIGHT,
        rows=tuple(rows),
        ticks=tuple(ticks),
        phases=legend,
        start=start,
        end=end,
        px_per_day=px_per_day,
    )


def next_monday(today: date) -> date:
    """The sample course starts on the next Monday (a week ahead if today is one)."""
    return today + timedelta(days=7 - today.weekday())


# --------------------------------------------------------------------------------------
# A technique's depth, drawn to scale in a cross-section of the skin
# --------------------------------------------------------------------------------------

#: Fixed scale: every technique is drawn with the same millimetre, so they compare.
SKIN_PX_PER_MM = 30
SKIN_TOP = 24  # the skin surface
SKIN_LEFT = 70  # depth ruler
SKIN_WIDTH = 620  # at least; wider when many needles are drawn
#: Schematic layer boundaries in mm. Real thickness varies with the body site.
EPIDERMIS_MM = Decimal("1")
DERMIS_MM = Decimal("4")


@dataclass(frozen=True)
class SkinLayer:
    name: str
    css: str
    top_mm: Decimal
    bottom_mm: Decimal
    y: float
    height: float


@dataclass(frozen=True)
class NeedleMark:
    label: str
    length_mm: Decimal
    x: float
    y_end: float
    label_y: float


@dataclass(frozen=True)
class RulerMark:
    mm: int
    y: float


@dataclass(frozen=True)
class SkinDrawing:
    width: int
    height: int
    left: int
    right: int
    inner_width: int
    surface_y: int
    px_per_mm: int
    layers: tuple[SkinLayer, ...]
    band_y: float
    band_height: float
    band_label: str
    band_label_y: float
    needles: tuple[NeedleMark, ...]
    ruler: tuple[RulerMark, ...]
    depth_mm: Decimal


_NEEDLE_X = SKIN_LEFT + 350
_NEEDLE_GAP = 66


def _mm(value: Decimal) -> float:
    return float(value) * SKIN_PX_PER_MM


def skin_drawing(technique: Technique) -> SkinDrawing:
    """The skin layers, the technique's depth band and its needles at ``SKIN_PX_PER_MM``."""
    depth_min = technique.depth_min.to(Unit.MM).value
    depth_max = technique.depth_max.to(Unit.MM).value
    needle_lengths = [n.length.to(Unit.MM).value for n in technique.needles]
    deepest = max([depth_max, DERMIS_MM + 2, *needle_lengths])
    depth_mm = Decimal(int(deepest) + 1)
    layers = []
    for name, css, top, bottom in (
        ("Epidermis", "epidermis", Decimal(0), EPIDERMIS_MM),
        ("Dermis", "dermis", EPIDERMIS_MM, DERMIS_MM),
        ("Hypodermis (fat)", "hypodermis", DERMIS_MM, depth_mm),
    ):
        layers.append(SkinLayer(name, css, top, bottom, SKIN_TOP + _mm(top), _mm(bottom - top)))
    needles = []
    for index, needle in enumerate(technique.needles):
        length = needle.length.to(Unit.MM).value
        needles.append(
            NeedleMark(
                label=f"{needle.gauge}G × {format(length.normalize(), 'f')} mm",
                length_mm=length,
                x=_NEEDLE_X + index * _NEEDLE_GAP,
                y_end=SKIN_TOP + _mm(length),
                # Staggered, so labels of needles side by side never overlap.
                label_y=SKIN_TOP + _mm(length) + 14 + 14 * index,
            )
        )
    width = max(SKIN_WIDTH, _NEEDLE_X + len(needles) * _NEEDLE_GAP + 20)
    band_height = _mm(depth_max - depth_min)
    label = (
        f"{format(depth_min.normalize(), 'f')}–{format(depth_max.normalize(), 'f')} mm"
        if depth_min != depth_max
        else f"{format(depth_max.normalize(), 'f')} mm"
    )
    return SkinDrawing(
        width=width,
        height=int(SKIN_TOP + _mm(depth_mm) + 30 + 14 * len(needles)),
        left=SKIN_LEFT,
        right=width - 10,
        inner_width=width - 10 - SKIN_LEFT,
        surface_y=SKIN_TOP,
        px_per_mm=SKIN_PX_PER_MM,
        layers=tuple(layers),
        band_y=SKIN_TOP + _mm(depth_min),
        band_height=band_height,
        band_label=label,
        band_label_y=SKIN_TOP + _mm(depth_min) + band_height / 2 + 4,
        needles=tuple(needles),
        ruler=tuple(
            RulerMark(mm, SKIN_TOP + mm * SKIN_PX_PER_MM) for mm in range(int(depth_mm) + 1)
        ),
        depth_mm=depth_mm,
    )
