"""Reads of treatment sessions: the session page, a patient's sessions, course progress,
the cocktail's totals and the aftercare sheet. Bounded queries whatever the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Sum
from django.utils import timezone

from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.dosing import LidocaineCheck, cocktail_totals, cumulative_lidocaine_check
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding
from pistor.clinical.sessions import session_duration_finding
from pistor.core.errors import NotFound
from pistor.intake.selectors import patient_facts_get
from pistor.records.constants import RecordStatus
from pistor.records.selectors import record_addenda_list
from pistor.treatments.constants import MAP_HEIGHT, MAP_WIDTH, REGIONS
from pistor.treatments.models import ChartArea, CocktailLine, TreatmentSession
from pistor.treatments.services import _core_lines

if TYPE_CHECKING:
    from pistor.patients.models import Patient
    from pistor.plans.models import Plan, PlanSession

_MAX_ID = 2**63 - 1


def session_get(*, clinic_id: int, pk: Any) -> TreatmentSession:
    """One session of the clinic with its cocktail, areas and points; another clinic's
    (or a missing one) answers NotFound. Four queries."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such session.") from None
    if not 0 < pk <= _MAX_ID:
        raise NotFound("No such session.")
    session = (
        TreatmentSession.objects.for_clinic(clinic_id)
        .select_related("clinic", "plan", "started_by", "signed_by")
        .prefetch_related("cocktail_lines", "chart_areas__points")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise NotFound("No such session.")
    return session


def chart_area_get(*, session: TreatmentSession, pk: Any) -> ChartArea:
    for area in session.chart_areas.all():
        if str(area.pk) == str(pk):
            area.session = session
            return area
    raise NotFound("No such area in this session.")


def session_list(*, clinic_id: int, patient_id: int, limit: int = 200) -> list[TreatmentSession]:
    """A patient's sessions, newest first, with their areas and points (for small charts)."""
    return list(
        TreatmentSession.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .select_related("plan")
        .prefetch_related("chart_areas__points")
        .order_by("-started_at", "-pk")[:limit]
    )


# ------------------------------------------------------------------------------ cocktail


@dataclass(frozen=True)
class CocktailSummary:
    totals_mg: dict[str, Decimal]  # ingredient → mg
    total_ml: Decimal
    lidocaine: LidocaineCheck | None
    error: str = ""


def cocktail_summary(
    *,
    session: TreatmentSession,
    weight_kg: Decimal | None,
    lines: list[CocktailLine] | None = None,
) -> CocktailSummary:
    """Totals per ingredient (mg) and the volume (mL); the lidocaine against the maximum for
    the patient's weight (``pistor.clinical.dosing``). ``lines``: a cocktail being typed."""
    lines = list(session.cocktail_lines.all()) if lines is None else lines
    catalog = catalog_for_clinic(clinic=session.clinic)
    core = _core_lines(lines)
    total_ml = sum((line.volume_ml for line in lines), Decimal(0))
    try:
        totals = {k: v.value for k, v in cocktail_totals(core, catalog=catalog).items()}
        lidocaine = cumulative_lidocaine_check(core, weight_kg=weight_kg, catalog=catalog)
    except ClinicalDataError as exc:
        return CocktailSummary({}, total_ml, None, str(exc))
    return CocktailSummary(totals, total_ml, lidocaine if lidocaine.total.value or
                           lidocaine.uncounted_lines else None)  # fmt: skip


def patient_weight(*, patient: Patient, now: dt.datetime) -> Decimal | None:
    return patient_facts_get(patient=patient, now=now).weight_kg


# -------------------------------------------------------------------------------- chart


@dataclass(frozen=True)
class DrawnPoint:
    cx: str
    cy: str
    area: int


def chart_points(session: TreatmentSession, *, scale: Decimal = Decimal(1)) -> list[DrawnPoint]:
    """Stored fractions → drawing coordinates; the same stored points always draw the same."""
    out = []
    for index, area in enumerate(session.chart_areas.all(), start=1):
        for p in area.points.all():
            out.append(
                DrawnPoint(
                    cx=f"{p.x * MAP_WIDTH * scale:.2f}",
                    cy=f"{p.y * MAP_HEIGHT * scale:.2f}",
                    area=index,
                )  # fmt: skip
            )
    return out


def session_duration(*, session: TreatmentSession) -> tuple[int | None, Finding | None]:
    """The minutes from the first to the last injection, and the core's caution when they
    fall outside the catalog's usual range."""
    minutes = session.duration_minutes
    if minutes is None:
        return None, None
    catalog = catalog_for_clinic(clinic=session.clinic)
    return minutes, session_duration_finding(minutes, catalog=catalog)


def region_label(code: str) -> str:
    return REGIONS.get(code, (code, False))[0]


# ------------------------------------------------------------------------------ course


@dataclass(frozen=True)
class CourseProgress:
    done: int
    total: int
    next_session: PlanSession | None
    findings: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.done} of {self.total}"


def course_progress(*, plan: Plan) -> CourseProgress:
    """Signed sessions against the course's first phase, the next planned window,
    and each session signed outside its window. Two queries."""
    planned = list(plan.planned_sessions.all())
    course = [s for s in planned if not s.maintenance]
    # Counted against the protocol's first phase (seed 004: ten weekly sessions), the
    # number the practitioner and the patient talk about; later phases follow on.
    first_phase = [s for s in course if course and s.phase == course[0].phase]
    signed = list(
        TreatmentSession.objects.for_clinic(plan.clinic_id)
        .filter(plan_id=plan.pk, status=RecordStatus.SIGNED)
        .order_by("started_at", "pk")
        .values_list("started_at", flat=True)
    )
    findings = []
    for number, started in enumerate(signed, start=1):
        slot = next((s for s in planned if s.number == number), None)
        day = started.date()
        if slot is not None and not slot.earliest <= day <= slot.latest:
            findings.append(
                f"Session {number} was given on {day:%d %b %Y}, outside its window "
                f"({slot.earliest:%d %b} to {slot.latest:%d %b %Y})."
            )
    next_session = next((s for s in planned if s.number == len(signed) + 1), None)
    return CourseProgress(len(signed), len(first_phase), next_session, tuple(findings))


# ---------------------------------------------------------------------------- aftercare


@dataclass(frozen=True)
class Aftercare:
    do: tuple[tuple[str, str, str], ...]  # (title, text, timing)
    expected: tuple[tuple[str, str], ...]  # (side effect, how long)
    call_us: tuple[str, ...]
    next_window: tuple[dt.date, dt.date] | None
    body_treatment: bool


NODULE_SIGN = (
    "A new, painful lump or nodule under the skin of a treated area in the weeks after a "
    "body treatment, especially with redness, warmth or discharge: call us, it needs to be "
    "seen (delayed infection can appear weeks later)."
)


def aftercare_for_session(*, session: TreatmentSession) -> Aftercare:
    """Advice for this indication and technique from the catalog, the expected side effects
    with how long they last, the signs that mean "call us" (the delayed nodule warning for
    body treatments, REFERENCE §5.3) and the next session's window from the plan."""
    catalog = catalog_for_clinic(clinic=session.clinic)
    areas = list(session.chart_areas.all())
    techniques = {a.technique_code for a in areas} | (
        {session.technique_code} if session.technique_code else set()
    )
    do = tuple(
        (a.title, a.text, a.timing)
        for a in catalog.aftercare.values()
        if (not a.indications or session.indication_code in a.indications)
        and (not a.techniques or techniques & set(a.techniques))
    )
    expected = tuple(
        (s.name, s.expected_duration) for s in catalog.side_effects.values() if s.expected
    )
    call_us: list[str] = []
    for s in catalog.side_effects.values():
        for flag in s.red_flags:
            if flag not in call_us:
                call_us.append(flag)
    body = any(REGIONS.get(a.region, ("", False))[1] for a in areas)
    if body:
        call_us.insert(0, NODULE_SIGN)
    window = None
    if session.plan_id:
        progress = course_progress(plan=session.plan)  # type: ignore[arg-type]
        if progress.next_session is not None:
            window = (progress.next_session.earliest, progress.next_session.latest)
    return Aftercare(do, expected, tuple(call_us[:12]), window, body)


def session_addenda(*, session: TreatmentSession) -> list[Any]:
    return record_addenda_list(record=session) if session.is_signed else []


# ------------------------------------------------------------------------------ timeline


@dataclass(frozen=True)
class TimelineEntry:
    session: TreatmentSession
    lines: list[CocktailLine]
    areas: list[tuple[str, ChartArea]]  # (label, area)
    points: list[DrawnPoint]
    total_ml: Decimal
    findings: list[dict[str, str]]


@dataclass(frozen=True)
class VolumeBar:
    x: str
    y: str
    height: str
    label: str  # the session's date and volume, for the bar's title


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    progress: CourseProgress | None
    bars: list[VolumeBar]
    more: bool  # older sessions than those shown


# The record shows the newest sessions in full; older ones are on the sessions page. The
# volume chart covers more, from one aggregate query.
TIMELINE_SESSIONS = 10
CHART_SMALL = Decimal("0.3")
VOLUME_CHART = (400, 80)  # width, height of the volume-per-session chart
VOLUME_BARS = 20


def session_timeline(
    *, clinic_id: int, patient_id: int, limit: int = TIMELINE_SESSIONS
) -> Timeline:
    """The patient's sessions for the record, newest first: the cocktail in short, the
    areas, the chart drawn small, the findings seen at sign-off; the course's progress
    (the latest session's plan) at the top and the volume given per signed session as a
    small bar chart. Seven queries whatever the history."""
    rows = list(
        TreatmentSession.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .select_related("plan", "signed_by")
        .prefetch_related("cocktail_lines", "chart_areas__points")
        # The signed snapshot is the largest column and the timeline does not show it.
        .defer("content")
        .order_by("-started_at", "-pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    entries = []
    for session in rows:
        lines = list(session.cocktail_lines.all())
        entries.append(
            TimelineEntry(
                session=session,
                lines=lines,
                areas=[(region_label(a.region), a) for a in session.chart_areas.all()],
                points=chart_points(session),
                total_ml=sum((line.volume_ml for line in lines), Decimal(0)),
                findings=[f for f in (session.findings or []) if f.get("severity") != "info"],
            )
        )
    plan = next((s.plan for s in rows if s.plan is not None), None)
    progress = course_progress(plan=plan) if plan is not None else None
    volumes = list(
        TreatmentSession.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id, status=RecordStatus.SIGNED)
        .order_by("-started_at", "-pk")
        .annotate(total=Sum("cocktail_lines__volume_ml"))
        .values_list("started_at", "total")[:VOLUME_BARS]
    )
    return Timeline(entries, progress, _volume_bars(volumes[::-1]), more)


def _volume_bars(volumes: list[tuple[dt.datetime, Decimal | None]]) -> list[VolumeBar]:
    """Oldest to newest: one bar per signed session, its height the volume injected."""
    width, height = VOLUME_CHART
    totals = [(at, Decimal(total or 0)) for at, total in volumes]
    top = max((total for _at, total in totals), default=Decimal(0))
    if top <= 0:
        return []
    slot = Decimal(width) / VOLUME_BARS
    bars = []
    for i, (at, total) in enumerate(totals):
        h = (total / top) * (height - 14)
        bars.append(
            VolumeBar(
                x=f"{slot * i + 2:.1f}",
                y=f"{height - h:.1f}",
                height=f"{h:.1f}",
                label=f"{timezone.localtime(at):%d %b %Y}: {total.normalize()} mL",
            )
        )
    return bars
