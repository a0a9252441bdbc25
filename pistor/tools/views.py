"""Clinical tools pages: plan a course, screen a session, suggest a cocktail, dose, score.

Thin views: gather the form (``forms``), call one service, render. A ``ClinicalDataError``
becomes a 422 with the message beside the input it names. An HTMX post of the screen swaps
only the results; when there are field errors the whole tool is swapped so they show.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pistor.accounts.access import staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Catalog
from pistor.clinical.errors import ClinicalDataError
from pistor.clinics.permissions import Action
from pistor.core.htmx import is_htmx
from pistor.intake.selectors import tool_prefill
from pistor.patients.access import patient_get_for_user
from pistor.tools import forms, services

INVALID = 422


def _clinic(request: HttpRequest) -> Any:
    return request.clinic  # type: ignore[attr-defined]


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    retarget: str | None = None,
) -> HttpResponse:
    response = render(request, template, context, status=status)
    if retarget is not None and is_htmx(request):
        # A failed post shows its errors beside the inputs: swap the whole tool, not the results.
        response["HX-Retarget"] = retarget
        response["HX-Reswap"] = "outerHTML"
    return response


def _patient_context(
    request: HttpRequest, catalog: Catalog, errors: forms.FormErrors, patient: Any = None
) -> dict[str, Any]:
    data = request.POST if request.method == "POST" else None
    chosen = {
        name: set(data.getlist(name)) if data is not None else set()
        for name in ("conditions", "medications", "allergens")
    }
    values = {
        name: (data.get(name, "") if data is not None else "") for name in forms.PATIENT_FIELDS
    }
    # Opened from a patient: start from the record's facts (the latest complete intake).
    record: Any = None
    if data is None and patient is not None:
        record = tool_prefill(patient=patient, now=timezone.now())
        chosen = record["chosen"]
        values["weight_kg"] = record["weight_kg"]
    return {
        "fact_groups": [
            (name, label, help_text, options, chosen[name], errors.fields.get(name, []))
            for name, label, help_text, options in forms.fact_groups(catalog)
        ],
        "patient_values": values,
        "pregnant": (data is not None and data.get("pregnant") == "on")
        or bool(record and record["pregnant"]),
        "breastfeeding": (data is not None and data.get("breastfeeding") == "on")
        or bool(record and record["breastfeeding"]),
        "sexes": forms.SEXES,
        "fitzpatrick_types": forms.FITZPATRICK,
        "patient_id": (
            data.get("patient_id", "") if data is not None else request.GET.get("patient", "")
        ).strip(),
    }


@staff_required(Action.CLINICAL_TOOLS_USE)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "tools/index.html")


# --------------------------------------------------------------------------------------
# Course planner
# --------------------------------------------------------------------------------------


@staff_required(Action.CLINICAL_TOOLS_USE)
def plan(request: HttpRequest) -> HttpResponse:
    """GET with the protocol chosen plans it: nothing about a patient travels in the address."""
    clinic = _clinic(request)
    today = timezone.localdate()
    catalog = catalog_for_clinic(clinic=clinic)
    data = request.GET
    values = {
        "protocol": data.get("protocol", "").strip(),
        "first_session": data.get("first_session", "").strip() or today.isoformat(),
        "sessions": data.get("sessions", "").strip(),
        "done_dates": data.get("done_dates", ""),
    }
    errors = forms.FormErrors()
    result = None
    if values["protocol"]:
        try:
            wanted = forms.plan_input(values)
            result = services.course_plan(
                clinic=clinic,
                protocol_code=wanted.protocol,
                first_session=wanted.first_session,
                sessions=wanted.sessions,
                done_dates=wanted.done_dates,
                today=today,
            )
        except ClinicalDataError as error:
            errors.add(error, known=("protocol", "first_session", "sessions", "done_dates"))
    protocols = sorted(catalog.protocols.values(), key=lambda p: p.name.lower())
    context = {
        "protocols": protocols,
        "builtin": set(load_catalog().protocols),
        "values": values,
        "errors": errors,
        "result": result,
        "adherence": _findings(result.adherence, catalog) if result else [],
        "item": result.protocol if result else None,
        "timeline": result.timeline if result else None,
        "today": today,
    }
    return render(request, "tools/plan.html", context, status=INVALID if errors else 200)


# --------------------------------------------------------------------------------------
# Safety screen
# --------------------------------------------------------------------------------------


@staff_required(Action.CLINICAL_TOOLS_USE)
def screen(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    today = timezone.localdate()
    catalog = catalog_for_clinic(clinic=clinic)
    errors = forms.FormErrors()
    outcome = None
    data = request.POST if request.method == "POST" else None
    if data is not None:
        try:
            outcome = services.screen_run(
                request_or_user=request,
                clinic=clinic,
                patient_id=forms.patient_id_input(data.get("patient_id")),
                facts=forms.patient_facts_from(forms.patient_input(data)),
                proposal=forms.proposal_from(forms.proposal_input(data), today=today),
                today=today,
                catalog=catalog,
            )
        except ClinicalDataError as error:
            errors.add(error, known=("indication", "protocol", "date"))
            forms.renumber(errors, data)
    patient = outcome.patient if outcome else None
    if patient is None and data is None and request.GET.get("patient"):
        patient = patient_get_for_user(
            request_or_user=request, clinic=clinic, pk=request.GET["patient"]
        )
    context = {
        **_patient_context(request, catalog, errors, patient),
        "catalog": catalog,
        "errors": errors,
        "outcome": outcome,
        "patient": patient,
        "findings": _findings(outcome.screening.findings, catalog) if outcome else [],
        "values": {
            name: (data.get(name, "") if data is not None else "")
            for name in ("indication", "protocol", "date")
        },
        "today": today,
        "indications": sorted(catalog.indications.values(), key=lambda i: i.name.lower()),
        "protocols": sorted(catalog.protocols.values(), key=lambda p: p.name.lower()),
        "techniques": sorted(catalog.techniques.values(), key=lambda t: t.name.lower()),
        "ingredients": sorted(catalog.ingredients.values(), key=lambda i: i.name.lower()),
        "products": sorted(catalog.products.values(), key=lambda p: p.name.lower()),
        "area_rows": forms.rows(data, "areas", forms.AREA_ROWS, forms.AREA_FIELDS, errors.areas),
        "cocktail_rows": forms.rows(
            data, "cocktail", forms.COCKTAIL_ROWS, forms.COCKTAIL_FIELDS, errors.cocktail
        ),
        "volume_units": forms.VOLUME_UNITS,
        "concentration_units": forms.CONCENTRATION_UNITS,
    }
    if errors:
        template = "tools/partials/screen_tool.html" if is_htmx(request) else "tools/screen.html"
        return _render(request, template, context, status=INVALID, retarget="#screen-tool")
    template = "tools/partials/screen_results.html" if is_htmx(request) else "tools/screen.html"
    return render(request, template, context)


def _findings(findings: Any, catalog: Catalog) -> list[dict[str, Any]]:
    return [{"finding": f, "evidence": services.evidence_for(f, catalog)} for f in findings]


# --------------------------------------------------------------------------------------
# Cocktail suggestions
# --------------------------------------------------------------------------------------


@staff_required(Action.CLINICAL_TOOLS_USE)
def cocktail(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    today = timezone.localdate()
    catalog = catalog_for_clinic(clinic=clinic)
    errors = forms.FormErrors()
    outcome = None
    data = request.POST if request.method == "POST" else None
    if data is not None:
        try:
            outcome = services.cocktail_suggest(
                request_or_user=request,
                clinic=clinic,
                indication=forms.indication_input(data.get("indication")),
                patient_id=forms.patient_id_input(data.get("patient_id")),
                facts=forms.patient_facts_from(forms.patient_input(data)),
                today=today,
                catalog=catalog,
            )
        except ClinicalDataError as error:
            errors.add(error, known=("indication",))
    context = {
        **_patient_context(request, catalog, errors),
        "catalog": catalog,
        "errors": errors,
        "outcome": outcome,
        "patient": outcome.patient if outcome else None,
        "indication_value": data.get("indication", "") if data is not None else "",
        "indications": sorted(catalog.indications.values(), key=lambda i: i.name.lower()),
        "indication": catalog.indications.get(outcome.indication) if outcome else None,
    }
    return render(request, "tools/cocktail.html", context, status=INVALID if errors else 200)


# --------------------------------------------------------------------------------------
# Lidocaine
# --------------------------------------------------------------------------------------


@staff_required(Action.CLINICAL_TOOLS_USE)
def lidocaine(request: HttpRequest) -> HttpResponse:
    errors = forms.FormErrors()
    result = None
    data = request.POST if request.method == "POST" else None
    names = ("weight_kg", "concentration", "concentration_unit", "volume")
    values = {name: (data.get(name, "").strip() if data is not None else "") for name in names}
    values["concentration_unit"] = values["concentration_unit"] or "%"
    with_adrenaline = data is not None and data.get("with_adrenaline") == "on"
    if data is not None:
        try:
            wanted = forms.lidocaine_input(values)
            result = services.lidocaine_maximum(
                weight_kg=wanted.weight_kg,
                with_adrenaline=with_adrenaline,
                concentration=wanted.concentration,
                volume=wanted.volume,
            )
        except ClinicalDataError as error:
            errors.add(error, known=("weight_kg", "concentration", "volume"))
    context = {
        "values": values,
        "with_adrenaline": with_adrenaline,
        "errors": errors,
        "result": result,
        "concentration_units": ("%", "mg/mL"),
    }
    return render(request, "tools/lidocaine.html", context, status=INVALID if errors else 200)


# --------------------------------------------------------------------------------------
# Scales
# --------------------------------------------------------------------------------------


@staff_required(Action.CLINICAL_TOOLS_USE)
def score(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    data = request.POST if request.method == "POST" else request.GET
    code = (data.get("scale") or "").strip()
    scale = services.scale_get(code=code, catalog=catalog)
    errors = forms.FormErrors()
    result = None
    if request.method == "POST":
        answers = (
            {item.code: data.get(f"item-{item.code}", "") for item in scale.items} if scale else {}
        )
        try:
            if not code:
                raise ClinicalDataError("Choose a scale.", field="scale")
            result = services.scale_score(
                scale_code=code, answers=forms.score_answers(answers), catalog=catalog
            )
        except ClinicalDataError as error:
            item_codes = tuple(item.code for item in scale.items) if scale else ()
            errors.add(error, known=("scale", *item_codes))
    items = [
        {
            "item": item,
            "value": data.get(f"item-{item.code}", "") if request.method == "POST" else "",
            "errors": errors.fields.get(item.code, []),
        }
        for item in (scale.items if scale else ())
    ]
    context = {
        "scales": sorted(catalog.scales.values(), key=lambda s: s.name.lower()),
        "scale": scale,
        "scale_code": code,
        "items": items,
        "errors": errors,
        "result": result,
        "unknown_scale": bool(code) and scale is None,
    }
    status = INVALID if errors or (code and scale is None) else 200
    return render(request, "tools/score.html", context, status=status)
