"""Consultation pages: the list, the form, and a consultation with its screen and overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pistor.accounts.access import staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Severity
from pistor.clinics.models import Clinic
from pistor.clinics.permissions import Action
from pistor.consultations.constants import Anaesthesia, AreaFinding
from pistor.consultations.selectors import consultation_get, consultation_list, consultation_screen
from pistor.consultations.services import (
    ChecklistAnswer,
    ConsultationInput,
    consultation_record,
    screening_override_record,
)
from pistor.core import clock
from pistor.core.errors import ValidationFailed
from pistor.patients.access import patient_get_for_user

AREA_ROWS = 4


def _clinic(request: HttpRequest) -> Clinic:
    return cast(Clinic, request.clinic)  # type: ignore[attr-defined]


def _input_from_post(
    data: QueryDict, scales: Mapping[str, Any], points: list[str]
) -> ConsultationInput:
    areas: list[str] = []
    findings: dict[str, list[str]] = {}
    for i in range(AREA_ROWS):
        name = data.get(f"area_{i}", "").strip()
        if name:
            areas.append(name)
            seen = data.getlist(f"findings_{i}")
            if seen:
                findings[name] = seen
    baseline: dict[str, dict[str, str]] = {}
    for code, scale in scales.items():
        answers = {
            item.code: data.get(f"scale__{code}__{item.code}", "").strip() for item in scale.items
        }
        answers = {k: v for k, v in answers.items() if v}
        if answers:
            baseline[code] = answers
    return ConsultationInput(
        indications=data.getlist("indications"),
        areas=areas,
        area_findings=findings,
        products=data.getlist("products"),
        checklist={
            code: ChecklistAnswer(
                done=data.get(f"check_{code}") == "on", note=data.get(f"note_{code}", "")
            )
            for code in points
        },
        expectations_discussed=data.get("expectations_discussed") == "on",
        alternatives_discussed=data.get("alternatives_discussed") == "on",
        discussion_notes=data.get("discussion_notes", ""),
        anaesthesia=data.get("anaesthesia", ""),
        baseline_scores=baseline,
        notes=data.get("notes", ""),
    )


@never_cache
@staff_required(Action.CLINICAL_NOTES_VIEW)
def consultation_list_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=patient_id,
        action=Action.CLINICAL_NOTES_VIEW,
    )
    return render(
        request,
        "consultations/consultation_list.html",
        {"patient": patient, "consultations": consultation_list(patient=patient)},
    )


@never_cache
@staff_required(Action.CONSULTATION_RECORD)
@require_http_methods(["GET", "POST"])
def consultation_record_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.CONSULTATION_RECORD
    )
    catalog = catalog_for_clinic(clinic=clinic)
    points = [item.code for item in catalog.checklist]
    errors: dict[str, list[str]] = {}
    message = ""
    posted: QueryDict | None = None
    if request.method == "POST":
        posted = request.POST
        data = _input_from_post(request.POST, catalog.scales, points)
        try:
            consultation = consultation_record(
                clinic=clinic, patient=patient, actor=request.user, data=data, now=clock.now()
            )
        except ValidationFailed as exc:
            errors, message = exc.fields, exc.message
        else:
            return redirect("consultations:detail", patient_id=patient.pk, pk=consultation.pk)
    baseline_errors = [m for k, msgs in errors.items() if k.startswith("baseline") for m in msgs]
    context = {
        "patient": patient,
        "message": message,
        "errors": errors,
        "baseline_errors": baseline_errors,
        "indications": sorted(catalog.indications.values(), key=lambda i: i.name),
        "products": sorted(catalog.products.values(), key=lambda p: p.name),
        "checklist": sorted(catalog.checklist, key=lambda c: c.order),
        "scales": sorted(catalog.scales.values(), key=lambda s: s.name),
        "area_rows": range(AREA_ROWS),
        "area_findings": AreaFinding.choices,
        "anaesthesia_choices": Anaesthesia.choices,
        "posted": posted,
    }
    return render(
        request, "consultations/consultation_form.html", context, status=422 if errors else 200
    )


def _detail(request: HttpRequest, patient_id: int, pk: int, **extra: Any) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.CLINICAL_NOTES_VIEW
    )
    consultation = consultation_get(clinic=clinic, patient=patient, pk=pk)
    catalog = catalog_for_clinic(clinic=clinic)
    screening = consultation_screen(consultation=consultation, now=clock.now(), catalog=catalog)
    overridden = {c for o in consultation.overrides.all() for c in o.finding_codes}
    context = {
        "patient": patient,
        "consultation": consultation,
        "screening": screening,
        "blocks": screening.blocks,
        "warnings": screening.warnings,
        "notes": screening.notes,
        "open_warnings": [f for f in screening.warnings if f.code not in overridden],
        "overridden": overridden,
        "checklist": [
            (item, consultation.checklist.get(item.code, {}))
            for item in sorted(catalog.checklist, key=lambda c: c.order)
        ],
        "Severity": Severity,
        **extra,
    }
    status = 422 if extra.get("override_errors") else 200
    return render(request, "consultations/consultation_detail.html", context, status=status)


@never_cache
@staff_required(Action.CLINICAL_NOTES_VIEW)
def consultation_detail_view(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    return _detail(request, patient_id, pk)


@never_cache
@staff_required(Action.SCREENING_OVERRIDE)
@require_POST
def consultation_override_view(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.SCREENING_OVERRIDE
    )
    consultation = consultation_get(clinic=clinic, patient=patient, pk=pk)
    try:
        screening_override_record(
            clinic=clinic,
            consultation=consultation,
            actor=request.user,
            finding_codes=request.POST.getlist("finding_codes"),
            reason=request.POST.get("reason", ""),
            now=clock.now(),
        )
    except ValidationFailed as exc:
        return _detail(
            request,
            patient_id,
            pk,
            override_errors=exc.fields,
            override_message=exc.message,
            reason=request.POST.get("reason", ""),
        )
    return redirect("consultations:detail", patient_id=patient.pk, pk=consultation.pk)
