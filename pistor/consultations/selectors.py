"""Reads of consultations: the latest one, the overrides the gate honours, and the screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Catalog
from pistor.clinical.dosing import CocktailLine
from pistor.clinical.findings import Finding, sort_findings
from pistor.clinical.gates import OverrideFacts
from pistor.clinical.safety import AreaPlan, PatientFacts, Screening, TreatmentProposal, screen
from pistor.clinics.models import Clinic
from pistor.clinics.selectors import clinic_screening_settings
from pistor.consultations.constants import AREA_FINDING_FACTS
from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.core.errors import NotFound
from pistor.intake.selectors import patient_facts_get
from pistor.patients.models import Patient

HISTORY_LIMIT = 50


def consultation_latest(*, patient: Patient) -> Consultation | None:
    """The newest consultation, with its practitioner and overrides (two queries).

    ``indications``, ``areas`` and ``area_findings`` (area → what was seen) are on the row;
    ``site_conditions_for_areas`` turns the findings into the screen's site-level facts.
    """
    return (
        Consultation.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .select_related("practitioner")
        .prefetch_related("overrides__by")
        .order_by("-consulted_at", "-pk")
        .first()
    )


def consultation_list(*, patient: Patient, limit: int = HISTORY_LIMIT) -> list[Consultation]:
    return list(
        Consultation.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .select_related("practitioner")
        .order_by("-consulted_at", "-pk")[:limit]
    )


def consultation_get(*, clinic: Clinic, patient: Patient, pk: object) -> Consultation:
    try:
        key = int(str(pk))
    except ValueError:
        key = 0
    found = (
        Consultation.objects.for_clinic(clinic)
        .filter(patient=patient, pk=key)
        .select_related("practitioner")
        .prefetch_related("overrides__by")
        .first()
    )
    if found is None:
        raise NotFound("No such consultation for this patient.")
    # Already loaded by the caller: spares two queries when the screen reads them.
    found.clinic = clinic
    found.patient = patient
    return found


def site_conditions_for_areas(
    area_findings: Mapping[str, Sequence[str]], areas: Iterable[str] | None = None
) -> frozenset[str]:
    """Condition codes seen at ``areas`` (all areas when None): infection, herpes …

    Areas match case-insensitively, so the plan's "Abdomen" finds the consultation's
    "abdomen".
    """
    wanted = None if areas is None else {a.strip().lower() for a in areas}
    codes: set[str] = set()
    for area, seen in area_findings.items():
        if wanted is not None and area.strip().lower() not in wanted:
            continue
        codes |= {AREA_FINDING_FACTS[s] for s in seen if s in AREA_FINDING_FACTS}
    return frozenset(codes)


def screening_facts_get(
    *, patient: Patient, now: dt.datetime, areas: Iterable[str] | None = None
) -> PatientFacts:
    """``patient_facts_get`` plus what the latest consultation saw at ``areas``."""
    facts = patient_facts_get(patient=patient, now=now)
    latest = consultation_latest(patient=patient)
    if latest is None:
        return facts
    site = site_conditions_for_areas(latest.area_findings or {}, areas)
    return replace(facts, conditions=facts.conditions | site) if site else facts


def override_facts_get(*, patient: Patient) -> OverrideFacts | None:
    """The warnings the practitioner chose to go ahead despite, at the latest consultation.

    Several overrides of that consultation read as one: every warning named, the reasons
    and names joined. An earlier consultation's overrides do not carry over: a new
    assessment weighs the warnings afresh. Two queries.
    """
    latest = (
        Consultation.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .order_by("-consulted_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if latest is None:
        return None
    rows = list(
        ScreeningOverride.objects.for_clinic(patient.clinic_id)
        .filter(consultation_id=latest)
        .select_related("by")
        .order_by("created_at", "pk")
    )
    if not rows:
        return None
    codes = frozenset(code for row in rows for code in row.finding_codes)
    reason = "; ".join(dict.fromkeys(row.reason for row in rows))
    by = ", ".join(dict.fromkeys(_name(row.by) for row in rows))
    return OverrideFacts(finding_codes=codes, reason=reason, by=by)


def _name(user: object) -> str:
    full = getattr(user, "get_full_name", lambda: "")()
    return str(full or getattr(user, "email", "") or user)


def proposal_for(
    *, catalog: Catalog, indication: str, areas: Sequence[str], products: Sequence[str], on: dt.date
) -> TreatmentProposal:
    """The proposal a consultation is screened as: its areas with the indication's first
    technique at that technique's shallowest depth (the plan fixes both later), and the
    products discussed. Depth and needle checks belong to the session, not here."""
    ind = catalog.indications.get(indication)
    technique = ind.techniques[0] if ind is not None and ind.techniques else ""
    tech = catalog.techniques.get(technique)
    area_plans: tuple[AreaPlan, ...] = ()
    if tech is not None:
        area_plans = tuple(
            AreaPlan(area=a, technique=tech.code, depth=tech.depth_min) for a in areas
        )
    return TreatmentProposal(
        indication=indication,
        areas=area_plans,
        cocktail=tuple(CocktailLine(code) for code in products),
        date=on,
    )


def screen_consultation_data(
    *,
    clinic: Clinic,
    patient: Patient,
    indications: Sequence[str],
    areas: Sequence[str],
    area_findings: Mapping[str, Sequence[str]],
    products: Sequence[str],
    now: dt.datetime,
    catalog: Catalog | None = None,
) -> Screening:
    """The contraindication screen for a consultation's indications, areas and products.

    One screen per indication, findings merged: the patient's facts from the record plus the
    site-level conditions seen at these areas, with the clinic's screening settings.
    """
    cat = catalog or catalog_for_clinic(clinic=clinic)
    facts = patient_facts_get(patient=patient, now=now)
    site = site_conditions_for_areas(area_findings)
    if site:
        facts = replace(facts, conditions=facts.conditions | site)
    settings = clinic_screening_settings(clinic)
    findings: list[Finding] = []
    today = now.date()
    for indication in indications:
        proposal = proposal_for(
            catalog=cat, indication=indication, areas=areas, products=products, on=today
        )
        findings += screen(facts, proposal, today=today, catalog=cat, settings=settings).findings
    return Screening(sort_findings(findings))


def consultation_screen(
    *, consultation: Consultation, now: dt.datetime, catalog: Catalog | None = None
) -> Screening:
    """The screen for a recorded consultation, against the record as it is ``now``."""
    return screen_consultation_data(
        catalog=catalog,
        clinic=consultation.clinic,
        patient=consultation.patient,
        indications=consultation.indications,
        areas=consultation.areas,
        area_findings=consultation.area_findings or {},
        products=consultation.products or [],
        now=now,
    )
