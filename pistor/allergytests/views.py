"""Allergy-test pages: the patient's tests, placing one, and reading it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pistor.accounts.access import staff_required
from pistor.allergytests.constants import Result
from pistor.allergytests.selectors import allergy_test_get, allergy_test_list
from pistor.allergytests.services import (
    allergy_reading_add_addendum,
    allergy_test_place,
    allergy_test_read,
)
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.models import Clinic
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import ApplicationError, NotFound, ValidationFailed
from pistor.patients.access import patient_get_for_user
from pistor.patients.models import Patient


def _clinic(request: HttpRequest) -> Clinic:
    return cast(Clinic, request.clinic)  # type: ignore[attr-defined]


def _when(clinic: Clinic, value: str, now: dt.datetime, name: str) -> dt.datetime:
    """A datetime-local input in the clinic's time zone; empty means now."""
    value = (value or "").strip()
    if not value:
        return now
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "Give the date and time as shown, e.g. 2026-03-02 14:30.",
            fields={name: ["Give a date and time."]},
        ) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(clinic.time_zone))


def _page(request: HttpRequest, patient: Patient, status: int = 200, **extra: Any) -> HttpResponse:
    clinic = _clinic(request)
    catalog = catalog_for_clinic(clinic=clinic)
    context = {
        "patient": patient,
        "tests": allergy_test_list(patient=patient),
        "products": sorted(catalog.products.values(), key=lambda p: p.name),
        "results": Result.choices,
        "min_hours": max(24, clinic.allergy_test_min_read_hours),
        "errors": {},
        **extra,
    }
    return render(request, "allergytests/allergy_tests.html", context, status=status)


@never_cache
@staff_required(Action.CLINICAL_NOTES_VIEW)
def allergy_test_list_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request,
        clinic=_clinic(request),
        pk=patient_id,
        action=Action.CLINICAL_NOTES_VIEW,
    )
    return _page(request, patient)


@never_cache
@staff_required(Action.ALLERGY_TEST_RECORD)
@require_POST
def allergy_test_place_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.ALLERGY_TEST_RECORD
    )
    now = clock.now()
    try:
        allergy_test_place(
            clinic=clinic,
            patient=patient,
            actor=request.user,
            placed_at=_when(clinic, request.POST.get("placed_at", ""), now, "placed_at"),
            sites=request.POST.get("sites", ""),
            products=request.POST.getlist("products"),
            batches=request.POST.get("batches", ""),
            notes=request.POST.get("notes", ""),
            now=now,
        )
    except ValidationFailed as exc:
        return _page(request, patient, 422, errors=exc.fields, place_message=exc.message)
    return redirect("allergytests:list", patient_id=patient.pk)


@never_cache
@staff_required(Action.ALLERGY_TEST_RECORD)
@require_POST
def allergy_test_read_view(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.ALLERGY_TEST_RECORD
    )
    test = allergy_test_get(clinic=clinic, patient=patient, pk=pk)
    now = clock.now()
    try:
        allergy_test_read(
            clinic=clinic,
            test=test,
            actor=request.user,
            read_at=_when(clinic, request.POST.get("read_at", ""), now, "read_at"),
            result=request.POST.get("result", ""),
            notes=request.POST.get("notes", ""),
            now=now,
        )
    except ValidationFailed as exc:
        return _page(
            request,
            patient,
            422,
            read_errors={test.pk: exc.fields},
            read_test=test.pk,
            read_message=exc.message,
        )
    return redirect("allergytests:list", patient_id=patient.pk)


@never_cache
@staff_required(Action.ALLERGY_TEST_RECORD)
@require_POST
def allergy_reading_addendum_view(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_id, action=Action.ALLERGY_TEST_RECORD
    )
    test = allergy_test_get(clinic=clinic, patient=patient, pk=pk)
    reading = getattr(test, "reading", None)
    if reading is None:
        raise NotFound("This test has not been read yet; an addendum goes beside a reading.")
    try:
        allergy_reading_add_addendum(
            reading=reading,
            author=request.user,
            text=request.POST.get("text", ""),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        fields = getattr(exc, "fields", None) or {}
        return _page(
            request,
            patient,
            exc.status,
            addendum_errors={test.pk: fields},
            addendum_test=test.pk,
            addendum_message=exc.message,
        )
    return redirect("allergytests:list", patient_id=patient.pk)
