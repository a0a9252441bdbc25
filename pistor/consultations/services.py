"""Writes of consultations: recording one (with its screen), and overriding a warning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Severity
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding
from pistor.clinical.scales import score
from pistor.clinics.models import Clinic, Membership
from pistor.clinics.permissions import Action, can
from pistor.consultations.constants import TEXT_MAX, Anaesthesia, AreaFinding
from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.consultations.selectors import consultation_screen, screen_consultation_data
from pistor.core.errors import Forbidden, ValidationFailed
from pistor.patients.models import Patient

MIN_REASON_CHARS = 10
MAX_AREAS = 12


@dataclass(frozen=True)
class ChecklistAnswer:
    done: bool = False
    note: str = ""


@dataclass(frozen=True)
class ConsultationInput:
    indications: Sequence[str]
    areas: Sequence[str]
    area_findings: Mapping[str, Sequence[str]] = field(default_factory=dict)
    products: Sequence[str] = ()
    checklist: Mapping[str, ChecklistAnswer] = field(default_factory=dict)
    expectations_discussed: bool = False
    alternatives_discussed: bool = False
    discussion_notes: str = ""
    anaesthesia: str = Anaesthesia.TOPICAL_CREAM
    baseline_scores: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notes: str = ""


def finding_as_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": str(finding.severity),
        "message": finding.message,
        "evidence": list(finding.evidence),
    }


def _clean(clinic: Clinic, data: ConsultationInput) -> dict[str, Any]:
    catalog = catalog_for_clinic(clinic=clinic)
    errors: dict[str, list[str]] = {}
    indications = list(dict.fromkeys(data.indications))
    if not indications:
        errors["indications"] = ["Choose at least one indication."]
    wrong = [i for i in indications if i not in catalog.indications]
    if wrong:
        errors["indications"] = [f"'{i}' is not an indication of the catalog." for i in wrong]
    areas = list(dict.fromkeys(a.strip() for a in data.areas if isinstance(a, str) and a.strip()))
    if not areas:
        errors["areas"] = ["Name at least one area to treat."]
    elif len(areas) > MAX_AREAS or any(len(a) > 80 for a in areas):
        errors["areas"] = [f"At most {MAX_AREAS} areas, each up to 80 characters."]
    findings: dict[str, list[str]] = {}
    known_areas = {a.lower(): a for a in areas}
    for area, seen in data.area_findings.items():
        key = known_areas.get(str(area).strip().lower())
        if key is None:
            errors.setdefault("area_findings", []).append(
                f"'{area}' is not one of the areas of this consultation."
            )
            continue
        bad = [s for s in seen if s not in AreaFinding.values]
        if bad:
            errors.setdefault("area_findings", []).append(
                f"{area}: '{bad[0]}' is not one of: {', '.join(AreaFinding.values)}."
            )
        if seen:
            findings[key] = sorted(set(seen) & set(AreaFinding.values))
    products = list(dict.fromkeys(data.products))
    bad_products = [
        p for p in products if p not in catalog.products and p not in catalog.ingredients
    ]
    if bad_products:
        errors["products"] = [
            f"'{p}' is not a product or ingredient of the catalog." for p in bad_products
        ]
    checklist: dict[str, dict[str, Any]] = {}
    points = {item.code: item for item in catalog.checklist}
    unknown_points = [c for c in data.checklist if c not in points]
    if unknown_points:
        errors["checklist"] = [f"'{c}' is not a point of the checklist." for c in unknown_points]
    missing = []
    for code, item in points.items():
        answer = data.checklist.get(code, ChecklistAnswer())
        note = (answer.note or "").strip()
        if not answer.done and not note:
            missing.append(item.title)
        checklist[code] = {"done": bool(answer.done), "note": note[:TEXT_MAX]}
    if missing:
        errors.setdefault("checklist", []).append(
            "Tick or add a note to every point; still open: " + "; ".join(missing) + "."
        )
    if data.anaesthesia not in Anaesthesia.values:
        errors["anaesthesia"] = [f"Choose one of: {', '.join(Anaesthesia.values)}."]
    baseline: dict[str, Any] = {}
    for scale_code, answers in data.baseline_scores.items():
        try:
            result = score(scale_code, dict(answers), catalog=catalog)
        except ClinicalDataError as exc:
            errors.setdefault(f"baseline_scores.{scale_code}", []).append(str(exc))
            continue
        baseline[scale_code] = {
            "answers": {k: str(v) for k, v in answers.items()},
            "total": str(result.total),
            "band": getattr(result, "band", None) or "",
        }
    for name in ("discussion_notes", "notes"):
        if len(getattr(data, name) or "") > TEXT_MAX:
            errors[name] = [f"At most {TEXT_MAX} characters."]
    if errors:
        raise ValidationFailed("Some parts of the consultation need correcting.", fields=errors)
    return {
        "indications": indications,
        "areas": areas,
        "area_findings": findings,
        "products": products,
        "checklist": checklist,
        "expectations_discussed": bool(data.expectations_discussed),
        "alternatives_discussed": bool(data.alternatives_discussed),
        "discussion_notes": (data.discussion_notes or "").strip(),
        "anaesthesia": data.anaesthesia,
        "baseline_scores": baseline,
        "notes": (data.notes or "").strip(),
    }


def consultation_record(
    *, clinic: Clinic, patient: Patient, actor: Any, data: ConsultationInput, now: dt.datetime
) -> Consultation:
    """Record a consultation and the contraindication screen as it stood at that moment."""
    cleaned = _clean(clinic, data)
    try:
        screening = screen_consultation_data(
            clinic=clinic,
            patient=patient,
            indications=cleaned["indications"],
            areas=cleaned["areas"],
            area_findings=cleaned["area_findings"],
            products=cleaned["products"],
            now=now,
        )
    except ClinicalDataError as exc:
        raise ValidationFailed(str(exc), fields={exc.field or "__all__": [str(exc)]}) from None
    with transaction.atomic():
        consultation = Consultation(
            clinic=clinic,
            patient=patient,
            practitioner=actor,
            consulted_at=now,
            screening=[finding_as_dict(f) for f in screening.findings],
            **cleaned,
        )
        consultation.save(force_insert=True)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="consultation.recorded",
            subject_type="patient",
            subject_id=patient.pk,
            after={
                "consultation": consultation.pk,
                "indications": cleaned["indications"],
                "findings": [f.code for f in screening.findings],
            },
        )
    return consultation


def _role(actor: Any, clinic: Clinic) -> str | None:
    return (
        Membership.objects.filter(user=actor, clinic=clinic, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def screening_override_record(
    *,
    clinic: Clinic,
    consultation: Consultation,
    actor: Any,
    finding_codes: Sequence[str],
    reason: str,
    now: dt.datetime,
) -> ScreeningOverride:
    """A practitioner goes ahead despite named warnings of the screen, with a written reason.

    Only warnings of the screen as it stands now can be overridden; a block never can
    (REFERENCE §3–§4). The reason is kept as written.
    """
    if not can(_role(actor, clinic), Action.SCREENING_OVERRIDE):
        raise Forbidden("Only a practitioner can go ahead despite a screening warning.")
    codes = list(dict.fromkeys(c for c in finding_codes if isinstance(c, str) and c))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if len(reason) < MIN_REASON_CHARS:
        errors["reason"] = [
            "Write why it is right to go ahead (at least "
            f"{MIN_REASON_CHARS} characters); the reason is kept on the record."
        ]
    elif len(reason) > TEXT_MAX:
        errors["reason"] = [f"At most {TEXT_MAX} characters."]
    if not codes:
        errors["finding_codes"] = ["Choose the warning(s) to go ahead despite."]
    try:
        current = {
            f.code: f for f in consultation_screen(consultation=consultation, now=now).findings
        }
    except ClinicalDataError as exc:
        raise ValidationFailed(str(exc), fields={"__all__": [str(exc)]}) from None
    for code in codes:
        finding = current.get(code)
        if finding is None:
            errors.setdefault("finding_codes", []).append(
                f"'{code}' is not a finding of this consultation's screen."
            )
        elif finding.severity is Severity.BLOCK:
            errors.setdefault("finding_codes", []).append(
                f"'{code}' is a block: a block can never be overridden."
            )
        elif finding.severity is not Severity.WARN:
            errors.setdefault("finding_codes", []).append(
                f"'{code}' is a note, not a warning: there is nothing to override."
            )
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)
    with transaction.atomic():
        override = ScreeningOverride(
            clinic=clinic,
            consultation=consultation,
            patient_id=consultation.patient_id,
            finding_codes=codes,
            reason=reason,
            by=actor,
        )
        override.save(force_insert=True)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="screening.overridden",
            subject_type="patient",
            subject_id=consultation.patient_id,
            after={"consultation": consultation.pk, "findings": codes, "reason": reason},
        )
    return override
