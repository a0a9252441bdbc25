"""The clinical tools: staff ask the pure clinical core what the treatment pathway will ask.

Every function here is a thin adapter. It takes the core's own inputs (``PatientFacts``,
``TreatmentProposal``, ``Quantity``, dates), built by the API's schemas or the pages' forms
(``pistor.tools.forms``), asks ``pistor.clinical`` and hands the answer back unchanged, so a
page, the API and later the treatment pathway get the same findings with the same reasons.
Nothing here parses text. Bad clinical data raises ``ClinicalDataError`` naming the field
(``areas[0].depth``, ``cocktail[1].volume``); pages and the API turn it into a 422.

Clinic protocols and products are merged into the built-in catalog (``catalog_for_clinic``),
so they plan and screen with the same engine, and every screen uses the clinic's settings
(``clinic_screening_settings``): its caution severities and pigmentation threshold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.catalog.drawing import Timeline, timeline_layout
from pistor.catalog.selectors import catalog_for_clinic, protocol_get
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Catalog, Protocol, Scale
from pistor.clinical.cocktails import Suggestion, suggest
from pistor.clinical.dosing import max_lidocaine_mg
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding
from pistor.clinical.protocols import PlannedSession, check_adherence, plan_course, replan
from pistor.clinical.safety import (
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
from pistor.tools.limits import MAX_AREAS, MAX_COCKTAIL_LINES

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient

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
    "facts_with_record",
    "lidocaine_maximum",
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


def facts_with_record(facts: PatientFacts, patient: Patient | None) -> PatientFacts:
    """``facts`` with the registry's date of birth, sex and Fitzpatrick type taking precedence.

    The rest (conditions, medicines, allergies, pregnancy, weight) is entered for now, until
    the intake app records it.
    """
    if patient is None:
        return facts
    return replace(
        facts,
        birth_date=patient.date_of_birth,
        age_years=None,
        sex=patient.sex or facts.sex,
        fitzpatrick=(
            patient.fitzpatrick_type if patient.fitzpatrick_type is not None else facts.fitzpatrick
        ),
    )


def _open_patient(request_or_user: Any, clinic: Clinic, patient_id: int | None) -> Patient | None:
    """The patient record, opened through ``access`` (role checked, audited); None if absent."""
    if patient_id is None:
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
    patient_id: int | None = None,
    facts: PatientFacts,
    proposal: TreatmentProposal,
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
    patient = _open_patient(request_or_user, clinic, patient_id)
    facts = facts_with_record(facts, patient)
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
    indication: str,
    patient_id: int | None = None,
    facts: PatientFacts,
    today: dt.date,
    catalog: Catalog | None = None,
) -> SuggestOutcome:
    """The indication's usual cocktail families, each entry screened for this patient."""
    code = indication
    catalog = catalog or catalog_for_clinic(clinic=clinic)
    patient = _open_patient(request_or_user, clinic, patient_id)
    facts = facts_with_record(facts, patient)
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


def course_plan(
    *,
    clinic: Clinic,
    protocol_code: str,
    first_session: dt.date,
    sessions: int | None = None,
    done_dates: Sequence[dt.date] = (),
    today: dt.date,
) -> CoursePlan:
    """A protocol's dated course, how the sessions done fit it, and the rest replanned.

    The same ``clinical.protocols`` functions the treatment plan uses: ``plan_course`` from
    the first session, ``check_adherence`` on the sessions done and ``replan`` from today.
    """
    code, start, count, done = protocol_code, first_session, sessions, list(done_dates)
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
    weight_kg: Decimal,
    with_adrenaline: bool = False,
    concentration: Quantity | None = None,
    volume: Quantity | None = None,
) -> LidocaineResult:
    """The label maximum (``dosing.max_lidocaine_mg``) and, optionally, a dose against it."""
    weight, adrenaline, strength, amount = weight_kg, with_adrenaline, concentration, volume
    maximum = max_lidocaine_mg(weight, with_adrenaline=adrenaline)
    if strength is not None:
        strength.require(Dimension.CONCENTRATION, field="concentration")
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
    *, scale_code: str, answers: Mapping[str, Any], catalog: Catalog | None = None
) -> Score:
    """Score ``answers`` on the scale; errors name the item code as their field.

    An unanswered item is left out: the core then says "an answer is needed" beside it.
    """
    return score(scale_code, dict(answers), catalog=catalog or load_catalog())


def scale_get(*, code: str | None, catalog: Catalog | None = None) -> Scale | None:
    """The scale named ``code``, or None when no (known) scale is chosen."""
    if not code:
        return None
    return (catalog or load_catalog()).scales.get(code)
