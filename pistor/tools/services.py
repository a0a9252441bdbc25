"""The clinical tools: staff ask the pure clinical core what the treatment pathway will ask.

Every function here is a thin adapter. It turns plain input (a JSON body, or a page's form
already gathered into the same shape) into the core's dataclasses, asks ``pistor.clinical``
and hands the answer back unchanged, so a page, the API and later the treatment pathway get
the same findings with the same reasons. Bad data raises ``ClinicalDataError`` naming the
field (``areas[0].depth``, ``cocktail[1].volume``); pages and the API turn it into a 422.

Input shape (the API's JSON, and what the pages build from their forms)::

    patient:  {birth_date, age_years, sex, weight_kg, pregnant, breastfeeding,
               conditions: [...], medications: [...], allergens: [...], fitzpatrick}
    proposal: {indication, protocol, date,
               areas: [{area, technique, depth: {value, unit}, needle: {gauge,
                        length: {value, unit}}, injections, volume_per_injection}],
               cocktail: [{code, volume, concentration, amount}]}

Amounts are ``{"value": "0.2", "unit": "mL"}``. Clinic protocols and products are merged
into the built-in catalog (``catalog_for_clinic``), so they plan and screen with the same engine,
and every screen uses the clinic's settings (``clinic_screening_settings``): its caution
severities and pigmentation threshold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.catalog.drawing import Timeline, timeline_layout
from pistor.catalog.selectors import catalog_for_clinic, protocol_get
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Catalog, Needle, Protocol, Scale
from pistor.clinical.cocktails import Suggestion, suggest
from pistor.clinical.dosing import CocktailLine, max_lidocaine_mg
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding
from pistor.clinical.protocols import PlannedSession, check_adherence, plan_course, replan
from pistor.clinical.safety import (
    AreaPlan,
    EarlierSession,
    PatientFacts,
    Screening,
    TreatmentProposal,
    screen,
)
from pistor.clinical.scales import Score, score
from pistor.clinical.units import Dimension, Quantity, Unit, mass_from
from pistor.clinics.selectors import clinic_screening_settings
from pistor.core.errors import NotFound
from pistor.patients.access import patient_get_for_user

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient

#: How many area and cocktail rows a proposal may carry: a session, not a whole course.
MAX_AREAS = 12
MAX_COCKTAIL_LINES = 12
MAX_DONE_DATES = 100
MAX_EARLIER_SESSIONS = 50
SCREEN_EVENT = AuditEventType.CLINICAL_SCREEN_RUN

__all__ = [
    "MAX_AREAS",
    "MAX_COCKTAIL_LINES",
    "SCREEN_EVENT",
    "CoursePlan",
    "Evidence",
    "LidocaineResult",
    "ScreenOutcome",
    "SuggestOutcome",
    "cocktail_suggest",
    "course_plan",
    "evidence_for",
    "lidocaine_maximum",
    "patient_facts_from",
    "proposal_from",
    "scale_score",
    "screen_run",
]


# --------------------------------------------------------------------------------------
# The catalog as this clinic sees it
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One evidence tag of a finding, resolved for reading: a source, a fact or a protocol."""

    tag: str
    label: str
    url: str | None
    kind: str  # "source", "patient", "protocol" or "other"


def evidence_for(finding: Finding, catalog: Catalog) -> list[Evidence]:
    """The tags behind ``finding`` with their titles; an unknown tag is kept as written."""
    result: list[Evidence] = []
    for tag in finding.evidence:
        kind, _, code = tag.partition(":")
        if tag in catalog.sources:
            source = catalog.sources[tag]
            url = source.urls[0] if source.urls else None
            result.append(Evidence(tag, source.title, url, "source"))
        elif kind == "patient" and code:
            fact = catalog.facts.get(code)
            label = fact.name if fact is not None else code.replace("-", " ")
            result.append(Evidence(tag, f"Patient: {label}", None, "patient"))
        elif kind == "protocol" and code:
            protocol = catalog.protocols.get(code)
            name = protocol.name if protocol is not None else code
            result.append(
                Evidence(tag, f"Protocol: {name}", f"/catalog/protocols/{code}/", "protocol")
            )
        else:
            result.append(Evidence(tag, tag, None, "other"))
    return result


# --------------------------------------------------------------------------------------
# Parsing plain input into the core's dataclasses
# --------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, field: str, *, max_length: int = 200) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise ClinicalDataError(f"{field}: give text, not {type(value).__name__}.", field=field)
    text = value.strip()
    if len(text) > max_length or "\x00" in text:
        raise ClinicalDataError(
            f"{field}: at most {max_length} characters of plain text.", field=field
        )
    return text


def _int(value: Any, field: str, *, label: str) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ClinicalDataError(f"{label} must be a whole number.", field=field)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError, TypeError):
        raise ClinicalDataError(f"{label}: '{value}' is not a whole number.", field=field) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ClinicalDataError(f"{label}: '{value}' is not a whole number.", field=field)
    if abs(number) > 10**6:
        raise ClinicalDataError(f"{label}: {value} is not plausible.", field=field)
    return int(number)


def _decimal(value: Any, field: str, *, label: str) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ClinicalDataError(f"{label} must be a number.", field=field)
    try:
        number = Decimal(str(value).strip() if isinstance(value, float | str) else value)
    except (InvalidOperation, ValueError, TypeError):
        raise ClinicalDataError(f"{label}: '{value}' is not a number.", field=field) from None
    if not number.is_finite():
        raise ClinicalDataError(f"{label}: '{value}' is not a number.", field=field)
    return number


def _date(value: Any, field: str, *, label: str) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ClinicalDataError(
            f"{label}: '{str(value)[:40]}' is not a date; write it as YYYY-MM-DD.", field=field
        ) from None


def _bool(value: Any, field: str) -> bool:
    if _blank(value) or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "on", "yes"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "off", "no"}:
        return False
    raise ClinicalDataError(f"{field}: give true or false.", field=field)


def _quantity(value: Any, field: str, *, default_unit: str | None = None) -> Quantity | None:
    """``{"value": "0.2", "unit": "mL"}`` (or a bare number in ``default_unit``) as a Quantity."""
    if _blank(value):
        return None
    if isinstance(value, Mapping):
        amount, unit = value.get("value"), value.get("unit")
    else:
        amount, unit = value, default_unit
    if _blank(amount):
        return None
    if _blank(unit):
        raise ClinicalDataError(f"{field}: give the unit of {amount}.", field=f"{field}.unit")
    if isinstance(amount, bool) or not isinstance(amount, int | float | str | Decimal):
        raise ClinicalDataError(f"{field}: '{amount}' is not a number.", field=field)
    if not isinstance(unit, str | Unit):
        raise ClinicalDataError(f"{field}: '{unit}' is not a unit.", field=f"{field}.unit")
    return Quantity.of(amount.strip() if isinstance(amount, str) else amount, unit, field=field)


def _codes(value: Any, field: str) -> frozenset[str]:
    if _blank(value):
        return frozenset()
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise ClinicalDataError(f"{field}: give a list of codes.", field=field)
    codes: set[str] = set()
    for item in value:
        code = _text(item, field, max_length=100)
        if code:
            codes.add(code)
    return frozenset(codes)


def _rows(value: Any, field: str, limit: int) -> list[Mapping[str, Any]]:
    if _blank(value):
        return []
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise ClinicalDataError(f"{field}: give a list.", field=field)
    if len(value) > limit:
        raise ClinicalDataError(f"{field}: at most {limit} rows.", field=field)
    for index, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise ClinicalDataError(f"{field}[{index}]: give an object.", field=f"{field}[{index}]")
    return list(value)


def patient_facts_from(
    data: Mapping[str, Any] | None, *, patient: Patient | None = None
) -> PatientFacts:
    """The screen's ``PatientFacts`` from plain input, the registry's facts taking precedence.

    From a patient record the registry gives date of birth, sex and Fitzpatrick type; the
    rest (conditions, medicines, allergies, pregnancy, weight) is entered for now, until the
    intake app records it.
    """
    data = data or {}
    birth_date = _date(data.get("birth_date"), "patient.birth_date", label="Date of birth")
    age = _int(data.get("age_years"), "patient.age_years", label="Age")
    sex = _text(data.get("sex"), "patient.sex", max_length=20)
    weight = _decimal(data.get("weight_kg"), "patient.weight_kg", label="Weight")
    fitzpatrick = _int(data.get("fitzpatrick"), "patient.fitzpatrick", label="Fitzpatrick type")
    if patient is not None:
        birth_date, age = patient.date_of_birth, None
        sex = patient.sex or sex
        if patient.fitzpatrick_type is not None:
            fitzpatrick = patient.fitzpatrick_type
    return PatientFacts(
        birth_date=birth_date,
        age_years=age,
        sex=sex,
        weight_kg=weight,
        pregnant=_bool(data.get("pregnant"), "patient.pregnant"),
        breastfeeding=_bool(data.get("breastfeeding"), "patient.breastfeeding"),
        conditions=_codes(data.get("conditions"), "patient.conditions"),
        medications=_codes(data.get("medications"), "patient.medications"),
        allergens=_codes(data.get("allergens"), "patient.allergens"),
        fitzpatrick=fitzpatrick,
        earlier_sessions=_earlier_sessions(data.get("earlier_sessions")),
    )


def _earlier_sessions(value: Any) -> tuple[EarlierSession, ...]:
    """Sessions already given, so the screen checks label intervals and session counts."""
    field = "patient.earlier_sessions"
    sessions = []
    for index, row in enumerate(_rows(value, field, MAX_EARLIER_SESSIONS)):
        where = f"{field}[{index}]"
        day = _date(row.get("date"), f"{where}.date", label="Session date")
        if day is None:
            raise ClinicalDataError(
                f"Earlier session {index + 1}: give its date.", field=f"{where}.date"
            )
        rows = _rows(row.get("ingredients"), f"{where}.ingredients", MAX_COCKTAIL_LINES)
        sessions.append(
            EarlierSession(
                date=day,
                ingredients=tuple(
                    _line(line, i, prefix=f"{where}.ingredients") for i, line in enumerate(rows)
                ),
                protocol=_text(row.get("protocol"), f"{where}.protocol", max_length=100),
            )
        )
    return tuple(sessions)


def _area(row: Mapping[str, Any], index: int) -> AreaPlan:
    where = f"areas[{index}]"
    technique = _text(row.get("technique"), f"{where}.technique", max_length=100)
    if technique is None:
        raise ClinicalDataError(
            f"Area {index + 1}: choose a technique.", field=f"{where}.technique"
        )
    depth = _quantity(row.get("depth"), f"{where}.depth", default_unit="mm")
    if depth is None:
        raise ClinicalDataError(f"Area {index + 1}: give the depth.", field=f"{where}.depth")
    needle = None
    raw_needle = row.get("needle")
    if isinstance(raw_needle, Mapping) and not all(_blank(v) for v in raw_needle.values()):
        gauge = _int(raw_needle.get("gauge"), f"{where}.needle.gauge", label="Needle gauge")
        length = _quantity(raw_needle.get("length"), f"{where}.needle.length", default_unit="mm")
        if gauge is None or length is None:
            missing, name = (
                ("gauge", f"{where}.needle.gauge")
                if gauge is None
                else ("length", f"{where}.needle.length")
            )
            raise ClinicalDataError(
                f"Area {index + 1}: give the needle's {missing} too, or neither.", field=name
            )
        needle = Needle(gauge, length.require(Dimension.LENGTH, field=f"{where}.needle.length"))
    elif not _blank(raw_needle) and not isinstance(raw_needle, Mapping):
        raise ClinicalDataError(f"{where}.needle: give gauge and length.", field=f"{where}.needle")
    return AreaPlan(
        area=_text(row.get("area"), f"{where}.area", max_length=100) or "",
        technique=technique,
        depth=depth,
        needle=needle,
        injections=_int(row.get("injections"), f"{where}.injections", label="Injections"),
        volume_per_injection=_quantity(
            row.get("volume_per_injection"), f"{where}.volume_per_injection", default_unit="mL"
        ),
    )


def _line(row: Mapping[str, Any], index: int, *, prefix: str = "cocktail") -> CocktailLine:
    where = f"{prefix}[{index}]"
    code = _text(row.get("code"), f"{where}.code", max_length=100)
    if code is None:
        raise ClinicalDataError(
            f"Cocktail line {index + 1}: choose an ingredient or product.", field=f"{where}.code"
        )
    return CocktailLine(
        code=code,
        volume=_quantity(row.get("volume"), f"{where}.volume", default_unit="mL"),
        concentration=_quantity(row.get("concentration"), f"{where}.concentration"),
        amount=_quantity(row.get("amount"), f"{where}.amount", default_unit="mg"),
    )


def proposal_from(data: Mapping[str, Any] | None, *, today: dt.date) -> TreatmentProposal:
    """The session to screen, from plain input; the date defaults to ``today``."""
    data = data or {}
    indication = _text(data.get("indication"), "indication", max_length=100)
    if indication is None:
        raise ClinicalDataError("Choose the indication being treated.", field="indication")
    areas = [_area(row, i) for i, row in enumerate(_rows(data.get("areas"), "areas", MAX_AREAS))]
    lines = [
        _line(row, i)
        for i, row in enumerate(_rows(data.get("cocktail"), "cocktail", MAX_COCKTAIL_LINES))
    ]
    return TreatmentProposal(
        indication=indication,
        areas=tuple(areas),
        cocktail=tuple(lines),
        date=_date(data.get("date"), "date", label="Treatment date") or today,
        protocol=_text(data.get("protocol"), "protocol", max_length=100),
    )


def _open_patient(request_or_user: Any, clinic: Clinic, patient_id: Any) -> Patient | None:
    """The patient record, opened through ``access`` (role checked, audited); None if absent."""
    if _blank(patient_id):
        return None
    return patient_get_for_user(request_or_user=request_or_user, clinic=clinic, pk=patient_id)


# --------------------------------------------------------------------------------------
# The safety screen
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenOutcome:
    facts: PatientFacts
    proposal: TreatmentProposal
    screening: Screening
    catalog: Catalog
    patient: Patient | None = None


def screen_run(
    *,
    request_or_user: Any,
    clinic: Clinic,
    patient_id: Any = None,
    patient_data: Mapping[str, Any] | None,
    proposal_data: Mapping[str, Any] | None,
    today: dt.date,
    catalog: Catalog | None = None,
) -> ScreenOutcome:
    """Screen a proposed session with the same ``clinical.safety.screen`` the pathway uses.

    ``catalog`` is the clinic's (``catalog_for_clinic``); pass it when already read.

    With a patient record attached, the opening is audited by ``access`` and the run itself
    is recorded as ``clinical.screen_run`` with the codes screened and found (never free
    text, so the trail holds no notes). Without one nothing is stored.
    """
    catalog = catalog or catalog_for_clinic(clinic=clinic)
    proposal = proposal_from(proposal_data, today=today)
    patient = _open_patient(request_or_user, clinic, patient_id)
    facts = patient_facts_from(patient_data, patient=patient)
    settings = clinic_screening_settings(clinic)
    screening = screen(facts, proposal, today=today, catalog=catalog, settings=settings)
    if patient is not None:
        actor = getattr(request_or_user, "user", request_or_user)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=SCREEN_EVENT,
            subject_type="patient",
            subject_id=patient.pk,
            after={
                "indication": proposal.indication,
                "protocol": proposal.protocol,
                "date": proposal.date.isoformat(),
                "techniques": sorted({a.technique for a in proposal.areas}),
                "cocktail": [line.code for line in proposal.cocktail],
                "findings": list(screening.codes),
                "blocked": screening.blocked,
                "catalog_version": catalog.version,
            },
        )
    return ScreenOutcome(facts, proposal, screening, catalog, patient)


# --------------------------------------------------------------------------------------
# Cocktail suggestions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestOutcome:
    indication: str
    suggestions: tuple[Suggestion, ...]
    catalog: Catalog
    patient: Patient | None = None

    @property
    def families(self) -> list[tuple[str, list[Suggestion]]]:
        """The suggestions grouped by family, in the catalog's order."""
        groups: dict[str, list[Suggestion]] = {}
        for item in self.suggestions:
            groups.setdefault(item.family, []).append(item)
        return list(groups.items())


def cocktail_suggest(
    *,
    request_or_user: Any,
    clinic: Clinic,
    indication: Any,
    patient_id: Any = None,
    patient_data: Mapping[str, Any] | None,
    today: dt.date,
    catalog: Catalog | None = None,
) -> SuggestOutcome:
    """The indication's usual cocktail families, each entry screened for this patient."""
    code = _text(indication, "indication", max_length=100)
    if code is None:
        raise ClinicalDataError("Choose the indication to suggest for.", field="indication")
    catalog = catalog or catalog_for_clinic(clinic=clinic)
    patient = _open_patient(request_or_user, clinic, patient_id)
    facts = patient_facts_from(patient_data, patient=patient)
    settings = clinic_screening_settings(clinic)
    items = suggest(code, facts, today=today, catalog=catalog, settings=settings)
    return SuggestOutcome(code, tuple(items), catalog, patient)


# --------------------------------------------------------------------------------------
# Course planning
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoursePlan:
    protocol: Protocol
    first_session: dt.date
    sessions_count: int | None
    planned: tuple[PlannedSession, ...]
    timeline: Timeline
    done_dates: tuple[dt.date, ...]
    adherence: tuple[Finding, ...]
    replanned: tuple[PlannedSession, ...]  # empty when no session has been done yet
    today: dt.date


def _done_dates(value: Any) -> list[dt.date]:
    if _blank(value):
        return []
    if isinstance(value, str):
        raw = [line for line in value.splitlines() if line.strip()]
    elif isinstance(value, Sequence):
        raw = list(value)
    else:
        raise ClinicalDataError("done_dates: give a list of dates.", field="done_dates")
    if len(raw) > MAX_DONE_DATES:
        raise ClinicalDataError(
            f"At most {MAX_DONE_DATES} done sessions can be checked at once.", field="done_dates"
        )
    dates = []
    for index, item in enumerate(raw):
        day = _date(item, f"done_dates[{index}]", label=f"Done session {index + 1}")
        if day is not None:
            dates.append(day)
    return dates


def course_plan(
    *,
    clinic: Clinic,
    protocol_code: Any,
    first_session: Any,
    sessions: Any = None,
    done_dates: Any = None,
    today: dt.date,
) -> CoursePlan:
    """A protocol's dated course, how the sessions done fit it, and the rest replanned.

    The same ``clinical.protocols`` functions the treatment plan uses: ``plan_course`` from
    the first session, ``check_adherence`` on the sessions done and ``replan`` from today.
    """
    code = _text(protocol_code, "protocol", max_length=100)
    if code is None:
        raise ClinicalDataError("Choose a protocol.", field="protocol")
    start = _date(first_session, "first_session", label="First session")
    if start is None:
        raise ClinicalDataError("Give the date of the first session.", field="first_session")
    count = _int(sessions, "sessions", label="Number of sessions")
    done = _done_dates(done_dates)
    try:
        protocol = protocol_get(clinic=clinic, code=code)
    except NotFound:
        raise ClinicalDataError(
            f"'{code}' is not a protocol of this clinic or the catalog.", field="protocol"
        ) from None
    planned = plan_course(protocol, start, sessions=count)
    adherence = check_adherence(protocol, done, sessions=count) if done else []
    replanned = replan(protocol, done, today=today, sessions=count) if done else []
    return CoursePlan(
        protocol=protocol,
        first_session=start,
        sessions_count=count,
        planned=tuple(planned),
        timeline=timeline_layout(planned, [p.name for p in protocol.phases]),
        done_dates=tuple(sorted(done)),
        adherence=tuple(adherence),
        replanned=tuple(replanned),
        today=today,
    )


# --------------------------------------------------------------------------------------
# Lidocaine and scales
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LidocaineResult:
    weight_kg: Decimal
    with_adrenaline: bool
    maximum: Quantity  # mg
    concentration: Quantity | None
    volume: Quantity | None
    planned: Quantity | None  # mg in the volume given, when both are given
    percent_of_maximum: Decimal | None
    max_volume: Quantity | None  # mL at the given concentration

    @property
    def over(self) -> bool:
        return self.planned is not None and self.planned > self.maximum


def lidocaine_maximum(
    *,
    weight_kg: Any,
    with_adrenaline: Any = False,
    concentration: Any = None,
    volume: Any = None,
) -> LidocaineResult:
    """The label maximum (``dosing.max_lidocaine_mg``) and, optionally, a dose against it."""
    weight = _decimal(weight_kg, "weight_kg", label="Weight")
    if weight is None:
        raise ClinicalDataError("Give the patient's weight in kilograms.", field="weight_kg")
    adrenaline = _bool(with_adrenaline, "with_adrenaline")
    maximum = max_lidocaine_mg(weight, with_adrenaline=adrenaline)
    strength = _quantity(concentration, "concentration")
    if strength is not None:
        strength.require(Dimension.CONCENTRATION, field="concentration")
    amount = _quantity(volume, "volume", default_unit="mL")
    if amount is not None:
        amount.require(Dimension.VOLUME, field="volume")
    planned = percent = max_volume = None
    if strength is not None and strength.value > 0:
        per_ml = strength.to(Unit.MG_PER_ML).value
        max_volume = Quantity((maximum.value / per_ml).quantize(Decimal("0.1")), Unit.ML)
    if strength is not None and amount is not None:
        planned = mass_from(amount, strength, field="lidocaine")
        planned = Quantity(planned.value.quantize(Decimal("0.01")).normalize(), Unit.MG)
        percent = (planned.value * 100 / maximum.value).quantize(Decimal("0.1"))
    return LidocaineResult(
        weight_kg=weight,
        with_adrenaline=adrenaline,
        maximum=Quantity(maximum.value.normalize(), Unit.MG),
        concentration=strength,
        volume=amount,
        planned=planned,
        percent_of_maximum=percent,
        max_volume=max_volume,
    )


def scale_score(
    *, scale_code: Any, answers: Mapping[str, Any] | None, catalog: Catalog | None = None
) -> Score:
    """Score ``answers`` on the scale; errors name the item code as their field."""
    code = _text(scale_code, "scale", max_length=100)
    if code is None:
        raise ClinicalDataError("Choose a scale.", field="scale")
    cleaned: dict[str, Any] = {}
    for key, value in (answers or {}).items():
        if _blank(value):
            continue  # an unanswered item: the core says "an answer is needed" beside it
        cleaned[str(key)] = str(value) if isinstance(value, float) else value
    return score(code, cleaned, catalog=catalog or load_catalog())


def scale_get(*, code: str | None, catalog: Catalog | None = None) -> Scale | None:
    """The scale named ``code``, or None when no (known) scale is chosen."""
    if not code:
        return None
    return (catalog or load_catalog()).scales.get(code)
