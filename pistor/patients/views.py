"""Patient registry pages: search, register, read, edit, archive and restore.

Patients are fetched only through ``pistor.patients.access`` (role check + audit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pistor.accounts.access import staff_required
from pistor.clinics.permissions import Action
from pistor.core.errors import Conflict, ValidationFailed
from pistor.core.forms import errors_beside_fields
from pistor.core.htmx import htmx_partial
from pistor.patients.access import (
    PATIENT_COUNT_LIMIT,
    PATIENT_OFFSET_MAX,
    patient_get_for_user,
    patient_list_for_user,
)
from pistor.patients.forms import ArchiveForm, PatientForm, PatientSearchForm
from pistor.patients.models import Patient
from pistor.patients.record import record_page_render, record_versions_sql
from pistor.patients.services import (
    PossibleDuplicate,
    patient_archive,
    patient_create,
    patient_restore,
    patient_update,
)

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic

PAGE_SIZE = 25


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _actor(request: HttpRequest) -> User:
    # staff_required has already turned away anyone not signed in.
    return cast("User", request.user)


def _add_service_errors(form: BaseForm, exc: ValidationFailed) -> None:
    errors_beside_fields(form, exc.fields)


@staff_required(Action.PATIENT_VIEW)
@never_cache
def patient_list_view(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    query, include_archived, page = "", False, 1
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"] or ""
        include_archived = bool(form.cleaned_data["archived"])
        page = form.cleaned_data["page"] or 1
    page = min(page, PATIENT_OFFSET_MAX // PAGE_SIZE + 1)
    is_live_search = bool(request.headers.get("HX-Request"))
    patients, total = patient_list_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        query=query,
        include_archived=include_archived,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        where="search" if is_live_search else "page",
    )
    shown_to = (page - 1) * PAGE_SIZE + len(patients)
    more = shown_to < total or (total > PATIENT_COUNT_LIMIT and len(patients) == PAGE_SIZE)
    has_next = more and page * PAGE_SIZE <= PATIENT_OFFSET_MAX
    context = {
        "form": form,
        "query": query,
        "include_archived": include_archived,
        "patients": patients,
        "total": total,
        "total_is_capped": total > PATIENT_COUNT_LIMIT,
        "count_limit": PATIENT_COUNT_LIMIT,
        "page": page,
        "shown_from": (page - 1) * PAGE_SIZE + 1 if patients else 0,
        "shown_to": shown_to,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if has_next else None,
    }
    template = htmx_partial(
        request, "patients/patient_list.html", "patients/partials/patient_results.html"
    )
    return render(request, template, context)


@staff_required(Action.PATIENT_CREATE)
@require_http_methods(["GET", "POST"])
@never_cache
def patient_create_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = PatientForm(request.POST or None, instance=Patient(clinic=clinic), registering=True)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                patient = patient_create(
                    clinic=clinic,
                    actor=_actor(request),
                    confirm_not_duplicate=form.cleaned_data.get("confirm_not_duplicate", False),
                    **form.service_fields(),
                )
            except PossibleDuplicate as exc:
                # Ask, don't refuse: show who matches and let the person confirm.
                context["duplicates"] = exc.candidates
                form.offer_duplicate_confirmation()
                status = 409
            except ValidationFailed as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(
                    request, f"{patient.full_name} registered as {patient.record_number}."
                )
                return redirect("patients:detail", pk=patient.pk)
        return render(request, "patients/patient_form.html", context, status=status)
    return render(request, "patients/patient_form.html", context)


def _detail(
    request: HttpRequest,
    patient: Patient,
    archive_form: ArchiveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return record_page_render(
        request=request,
        patient=patient,
        template="patients/patient_detail.html",
        context={"patient": patient, "archive_form": archive_form or ArchiveForm()},
        keep=archive_form is None and request.method == "GET",
        status=status,
    )


@staff_required(Action.PATIENT_VIEW)
@never_cache
def patient_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=pk,
        annotations=record_versions_sql(request),
    )
    return _detail(request, patient)


@staff_required(Action.PATIENT_EDIT)
@require_http_methods(["GET", "POST"])
@never_cache
def patient_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=pk,
        action=Action.PATIENT_EDIT,
    )
    if patient.is_archived:
        messages.warning(request, "This patient is archived. Restore them to edit their details.")
        return redirect("patients:detail", pk=patient.pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = patient_update(
                    patient=patient, actor=_actor(request), **form.service_fields()
                )
            except ValidationFailed as exc:
                _add_service_errors(form, exc)
            except Conflict as exc:
                messages.error(request, exc.message)
                return redirect("patients:detail", pk=patient.pk)
            else:
                messages.success(request, "Patient details saved.")
                return redirect("patients:detail", pk=saved.pk)
        status = 422
    else:
        status = 200
    return render(
        request, "patients/patient_form.html", {"form": form, "patient": patient}, status=status
    )


@staff_required(Action.PATIENT_ARCHIVE)
@require_POST
def patient_archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=pk,
        action=Action.PATIENT_ARCHIVE,
    )
    form = ArchiveForm(request.POST)
    if form.is_valid():
        try:
            patient = patient_archive(
                patient=patient, actor=_actor(request), reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            _add_service_errors(form, exc)
        except Conflict as exc:
            messages.info(request, exc.message)
            return redirect("patients:detail", pk=patient.pk)
        else:
            messages.success(
                request, f"{patient.full_name} archived: hidden from search, records kept."
            )
            return redirect("patients:detail", pk=patient.pk)
    return _detail(request, patient, archive_form=form, status=422)


@staff_required(Action.PATIENT_ARCHIVE)
@require_POST
def patient_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=pk,
        action=Action.PATIENT_ARCHIVE,
    )
    try:
        patient = patient_restore(patient=patient, actor=_actor(request))
    except Conflict as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, f"{patient.full_name} restored to the patient list.")
    return redirect("patients:detail", pk=patient.pk)
