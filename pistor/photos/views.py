"""Photograph pages: a patient's photographs by view, taking or uploading one (with the
previous photograph of the view as a guide), comparing two, withdrawing, the marketing
export, and the one view that streams a photograph's bytes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pistor.accounts.access import staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.permissions import Action
from pistor.core.errors import ApplicationError, NotFound, ValidationFailed
from pistor.patients.access import patient_get_for_user
from pistor.photos import services
from pistor.photos.constants import NOTE_MAX, PhotoView, Rendition
from pistor.photos.http import photo_response, upload_read
from pistor.photos.models import Photo
from pistor.photos.selectors import (
    photo_consent_in_force,
    photo_get,
    photo_list,
    photo_uses_label,
    photos_by_view,
    views_for_areas,
)
from pistor.plans.selectors import plan_list
from pistor.treatments.selectors import session_list

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _patient(request: HttpRequest, pk: int, action: Action) -> Patient:
    return patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=pk, action=action
    )


def _photo_url(photo: Photo, rendition: str) -> str:
    return reverse("photos:file", args=[photo.pk, rendition])


def _listed_urls(
    request: HttpRequest, patient: Patient, photos: list[Photo], rendition: str
) -> None:
    """Record the page's one listing event and give each photograph its ``image_url``:
    ``rendition`` with the listing token that puts its fetch under that event."""
    listing = services.photos_listed(
        clinic=_clinic(request),
        patient=patient,
        photos=photos,
        by=_actor(request),
        rendition=rendition,
    )
    for photo in photos:
        query = urlencode({"listing": listing[photo.pk]})
        photo.image_url = f"{_photo_url(photo, rendition)}?{query}"  # type: ignore[attr-defined]


@staff_required(Action.PHOTO_VIEW)
@require_GET
@never_cache
def photo_list_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _patient(request, patient_pk, Action.PHOTO_VIEW)
    photos = photo_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    _listed_urls(request, patient, photos, Rendition.THUMB)
    consent = photo_consent_in_force(clinic_id=patient.clinic_id, patient_id=patient.pk)
    return render(
        request,
        "photos/photo_list.html",
        {
            "patient": patient,
            "groups": photos_by_view(photos),
            "count": len(photos),
            "consent": consent,
            "consent_uses": photo_uses_label(consent.uses) if consent else [],
        },
    )


def _parse_taken_at(value: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "Give the date and time the photograph was taken.",
            fields={"taken_at": ["Give the date and time, e.g. 2026-12-06 14:30."]},
        ) from None
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)
    return parsed


def _upload_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    clinic = _clinic(request)
    photos = photo_list(clinic_id=clinic.pk, patient_id=patient.pk)
    previous: dict[str, Photo] = {}
    for photo in photos:  # newest first: the first seen of each view is the latest
        previous.setdefault(photo.view, photo)
    # The views for the areas of the patient's plans (and their indications) come first.
    catalog = catalog_for_clinic(clinic=clinic)
    areas: list[str] = []
    for plan in plan_list(clinic_id=clinic.pk, patient_id=patient.pk):
        areas += list(plan.areas)
        indication = catalog.indications.get(plan.indication_code)
        areas += list(indication.usual_areas) if indication else []
    suggested = views_for_areas(areas) if areas else []
    views = [
        {
            "value": view.value,
            "label": view.label,
            "ghost": _photo_url(previous[view.value], Rendition.DISPLAY)
            if view.value in previous
            else "",
            "suggested": view in suggested,
        }
        for view in PhotoView
    ]
    if len(suggested) == len(PhotoView):
        for entry in views:
            entry["suggested"] = False
    sessions = session_list(clinic_id=clinic.pk, patient_id=patient.pk)
    return {
        "patient": patient,
        "views": views,
        "has_suggested": any(v["suggested"] for v in views),
        "sessions": sessions,
        "consent": photo_consent_in_force(clinic_id=clinic.pk, patient_id=patient.pk),
        "note_max": NOTE_MAX,
    }


@staff_required(Action.PHOTO_RECORD)
@require_http_methods(["GET", "POST"])
@never_cache
def photo_upload_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _patient(request, patient_pk, Action.PHOTO_RECORD)
    context = _upload_context(request, patient)
    if request.method == "GET":
        context["chosen"] = {"view": request.GET.get("view", ""), "session": ""}
        return render(request, "photos/photo_upload.html", context)
    chosen = {
        "view": request.POST.get("view", ""),
        "session": request.POST.get("session_id", ""),
        "note": request.POST.get("note", ""),
        "taken_at": request.POST.get("taken_at", ""),
    }
    try:
        data = upload_read(request.FILES.get("file"))
        session_raw = chosen["session"].strip()
        photo = services.photo_upload(
            clinic=_clinic(request),
            patient=patient,
            by=_actor(request),
            data=data,
            view=chosen["view"],
            taken_at=_parse_taken_at(chosen["taken_at"]),
            session_id=session_raw or None,
            note=chosen["note"],
        )
    except ApplicationError as exc:
        context.update(
            {
                "chosen": chosen,
                "error": exc.message,
                "field_errors": getattr(exc, "fields", {}),
            }
        )
        return render(request, "photos/photo_upload.html", context, status=exc.status)
    messages.success(request, f"Photograph saved: {photo.get_view_display()}.")
    return redirect(reverse("photos:list", args=[patient.pk]) + f"#photo-{photo.pk}")


@staff_required(Action.PHOTO_VIEW)
@require_GET
@never_cache
def photo_file_view(request: HttpRequest, pk: int, rendition: str) -> HttpResponse:
    """The only door to a photograph's bytes: signed in, allowed, this clinic's, audited."""
    if rendition not in Rendition.values:
        raise NotFound("No such photograph.")
    photo = photo_get(clinic_id=_clinic(request).pk, pk=pk)
    opened = services.photo_open(
        photo=photo,
        by=_actor(request),
        rendition=rendition,
        listing=request.GET.get("listing", ""),
    )
    return photo_response(opened)


def _pick(request: HttpRequest, name: str, patient: Patient) -> Photo | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(
            "Choose two photographs of this patient.", fields={name: ["Not a photograph."]}
        )
    photo = photo_get(clinic_id=patient.clinic_id, pk=int(raw))
    if photo.patient_id != patient.pk:
        raise NotFound("No such photograph of this patient.")
    return photo


@staff_required(Action.PHOTO_VIEW)
@require_GET
@never_cache
def photo_compare_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _patient(request, patient_pk, Action.PHOTO_VIEW)
    photos = photo_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    groups = [g for g in photos_by_view(photos) if len(g.photos) >= 2]
    error = ""
    before = after = None
    try:
        before, after = _pick(request, "before", patient), _pick(request, "after", patient)
        if before and after and before.view != after.view:
            raise ValidationFailed(
                "Compare two photographs of the same view.",
                fields={"after": ["Choose a photograph of the same view as the first."]},
            )
    except ValidationFailed as exc:
        error, before, after = exc.message, None, None
    if before is None and after is None and groups and not error:
        # Nothing chosen yet: the first and the latest photograph of the first view.
        before, after = groups[0].photos[0], groups[0].photos[-1]
    if before and after and before.taken_at > after.taken_at:
        before, after = after, before
    if before and after:
        _listed_urls(request, patient, [before, after], Rendition.DISPLAY)
    return render(
        request,
        "photos/photo_compare.html",
        {
            "patient": patient,
            "groups": groups,
            "before": before,
            "after": after,
            "error": error,
        },
        status=422 if error else 200,
    )


@staff_required(Action.PHOTO_RECORD)
@require_POST
@never_cache
def photo_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    photo = photo_get(clinic_id=_clinic(request).pk, pk=pk)
    patient = _patient(request, photo.patient_id, Action.PHOTO_RECORD)
    try:
        services.photo_withdraw(
            photo=photo, by=_actor(request), reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("photos:list", args=[patient.pk]) + f"#photo-{photo.pk}")
    messages.success(request, "Photograph withdrawn; its files have been deleted.")
    return redirect("photos:list", patient_pk=patient.pk)


@staff_required(Action.PHOTO_EXPORT)
@require_POST
@never_cache
def photo_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    photo = photo_get(clinic_id=_clinic(request).pk, pk=pk)
    try:
        opened = services.photo_export_for_marketing(photo=photo, by=_actor(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("photos:list", args=[photo.patient_id]) + f"#photo-{photo.pk}")
    return photo_response(opened, attachment=True)
