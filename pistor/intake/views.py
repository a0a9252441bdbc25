"""Intake pages: the history of versions, the desk form, links, and the patient's own form.

Patients are fetched only through ``pistor.patients.access``; the patient's link page is
public and finds the patient through the link alone.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pistor.accounts.access import public_page, staff_required
from pistor.clinics.models import Clinic
from pistor.clinics.permissions import Action, can
from pistor.core import clock
from pistor.core.errors import ValidationFailed
from pistor.intake.constants import IntakeSource
from pistor.intake.forms import answers_from_post, form_context
from pistor.intake.selectors import (
    intake_get,
    intake_latest_complete,
    intake_link_list,
    intake_list,
)
from pistor.intake.services import (
    IntakeAnswers,
    LinkRefused,
    intake_link_create,
    intake_link_resolve,
    intake_submit,
    intake_submit_by_link,
)
from pistor.patients.access import patient_get_for_user


def _clinic(request: HttpRequest) -> Clinic:
    return cast(Clinic, request.clinic)  # type: ignore[attr-defined]


def _role(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    return membership.role if membership is not None else None


@never_cache
@staff_required(Action.CLINICAL_NOTES_VIEW)
def intake_history_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=patient_id,
        action=Action.CLINICAL_NOTES_VIEW,
    )
    versions = intake_list(patient=patient)
    latest = next((v for v in versions if v.status == "complete"), None)
    return render(
        request,
        "intake/intake_history.html",
        {
            "patient": patient,
            "versions": versions,
            "latest": latest,
            "links": intake_link_list(patient=patient, limit=10),
            "now": clock.now(),
        },
    )


@never_cache
@staff_required(Action.CLINICAL_NOTES_VIEW)
def intake_version_view(request: HttpRequest, patient_id: int, version: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=patient_id,
        action=Action.CLINICAL_NOTES_VIEW,
    )
    form = intake_get(patient=patient, version=version)
    return render(request, "intake/intake_detail.html", {"patient": patient, "form": form})


@never_cache
@staff_required(Action.INTAKE_RECORD)
@require_http_methods(["GET", "POST"])
def intake_record_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.INTAKE_RECORD
    )
    errors: dict[str, list[str]] = {}
    message = ""
    answers: IntakeAnswers | None = None
    if request.method == "POST":
        answers = answers_from_post(request.POST)
        complete = request.POST.get("save") != "draft"
        try:
            form = intake_submit(
                clinic=clinic,
                patient=patient,
                actor=request.user,
                answers=answers,
                complete=complete,
            )
        except ValidationFailed as exc:
            errors, message = exc.fields, exc.message
        else:
            if can(_role(request), Action.CLINICAL_NOTES_VIEW):
                return redirect("intake:version", patient_id=patient.pk, version=form.version)
            return redirect("patients:detail", pk=patient.pk)
    elif can(_role(request), Action.CLINICAL_NOTES_VIEW):
        # Start from the last version; reception, who may not read it, starts blank.
        latest = intake_list(patient=patient, limit=1)
        answers = IntakeAnswers.from_form(latest[0]) if latest else None
    context: dict[str, Any] = {
        "patient": patient,
        "message": message,
        **form_context(answers, errors),
    }
    status = 422 if errors else 200
    return render(request, "intake/intake_form.html", context, status=status)


@never_cache
@staff_required(Action.INTAKE_LINK_SEND)
@require_POST
def intake_link_create_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.INTAKE_LINK_SEND
    )
    link, token = intake_link_create(
        clinic=clinic, patient=patient, actor=request.user, now=clock.now()
    )
    url = request.build_absolute_uri(reverse("intake:fill", args=[token]))
    # Shown once: only the hash is kept, so nobody can show it again.
    return render(
        request, "intake/intake_link_created.html", {"patient": patient, "link": link, "url": url}
    )


@never_cache
@public_page
@require_http_methods(["GET", "POST"])
def intake_fill_view(request: HttpRequest, token: str) -> HttpResponse:
    now = clock.now()
    try:
        link = intake_link_resolve(token=token, now=now)
    except LinkRefused as exc:
        return render(
            request,
            "intake/intake_link_refused.html",
            {"message": exc.message, "kind": exc.kind},
            status=410 if exc.kind != "invalid" else 404,
        )
    errors: dict[str, list[str]] = {}
    message = ""
    answers: IntakeAnswers | None = None
    if request.method == "POST":
        answers = answers_from_post(request.POST)
        try:
            intake_submit_by_link(token=token, answers=answers, now=now)
        except LinkRefused as exc:
            return render(
                request,
                "intake/intake_link_refused.html",
                {"message": exc.message, "kind": exc.kind},
                status=410,
            )
        except ValidationFailed as exc:
            errors, message = exc.fields, exc.message
        else:
            return render(request, "intake/intake_thanks.html", {"clinic": link.clinic})
    context = {
        "clinic": link.clinic,
        "given_name": link.patient.given_name,
        "message": message,
        **form_context(answers, errors),
    }
    return render(request, "intake/intake_fill.html", context, status=422 if errors else 200)


@never_cache
@staff_required(Action.INTAKE_RECORD)
@require_POST
def intake_from_tools_view(request: HttpRequest) -> HttpResponse:
    """Save the facts edited in a clinical tool as a new intake version (HTMX fragment).

    Starts from the latest intake so the answers the tools do not show (lifestyle, earlier
    treatments) carry over, then takes the tool's conditions, medicines, allergies,
    pregnancy, breastfeeding and weight.
    """
    clinic = _clinic(request)
    patient_id = request.POST.get("patient_id", "").strip()
    if not patient_id.isdigit():
        # The tool was used without a patient record: there is nowhere to save the facts.
        return HttpResponse("Open a patient's record first.", status=400, content_type="text/plain")
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=clinic,
        pk=patient_id,
        action=Action.INTAKE_RECORD,
    )
    base = intake_latest_complete(patient=patient) or next(
        iter(intake_list(patient=patient, limit=1)), None
    )
    start = IntakeAnswers.from_form(base) if base is not None else IntakeAnswers()
    data = request.POST
    answers = IntakeAnswers(
        **{
            **start.__dict__,
            "conditions": data.getlist("conditions"),
            "medications": data.getlist("medications"),
            "allergens": data.getlist("allergens"),
            "pregnant": data.get("pregnant") == "on",
            "breastfeeding": data.get("breastfeeding") == "on",
            "weight_kg": data.get("weight_kg", "").strip() or None,
            "fitzpatrick": start.fitzpatrick or patient.fitzpatrick_type,
        }
    )
    try:
        form = intake_submit(
            clinic=clinic,
            patient=patient,
            actor=request.user,
            answers=answers,
            complete=True,
            source=IntakeSource.TOOLS,
        )
    except ValidationFailed as exc:
        return render(
            request,
            "intake/partials/saved_from_tools.html",
            {"errors": exc.fields, "message": exc.message, "patient": patient},
            status=422,
        )
    return render(
        request, "intake/partials/saved_from_tools.html", {"form": form, "patient": patient}
    )
