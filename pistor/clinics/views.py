"""Choosing the clinic to work in, and the clinic's settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pistor.accounts.access import home_url, safe_next, staff_required
from pistor.clinical.catalog import load_catalog
from pistor.clinics.forms import ClinicSettingsForm
from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
from pistor.clinics.permissions import Action
from pistor.clinics.selectors import configurable_cautions, membership_list_for_user
from pistor.clinics.services import clinic_settings_update, membership_choose
from pistor.core.errors import NotFound, ValidationFailed


@require_http_methods(["GET", "POST"])
@staff_required(need_clinic=False)
def choose_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        try:
            membership = membership_choose(
                user=request.user,
                clinic_id=request.POST.get("clinic_id"),
                previous_clinic_id=request.session.get(CURRENT_CLINIC_SESSION_KEY),
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        request.session[CURRENT_CLINIC_SESSION_KEY] = membership.clinic_id
        return redirect(next_url or home_url())
    memberships = membership_list_for_user(request.user)
    if len(memberships) == 1:
        # One clinic: nothing to choose.
        request.session[CURRENT_CLINIC_SESSION_KEY] = memberships[0].clinic_id
        return redirect(next_url or home_url())
    current = getattr(request, "clinic", None)
    return render(
        request,
        "clinics/choose.html",
        {
            "memberships": memberships,
            "current_clinic_id": current.pk if current is not None else None,
            "next": next_url,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required(Action.CLINIC_SETTINGS)
def settings_view(request: HttpRequest) -> HttpResponse:
    """The clinic's safety settings (managers): read window, pigmentation, caution severities."""
    clinic = request.clinic  # type: ignore[attr-defined]
    catalog = load_catalog()
    cautions = configurable_cautions(catalog)
    status = 200
    if request.method == "POST":
        form = ClinicSettingsForm(request.POST, cautions=cautions, clinic=clinic)
        if form.is_valid():
            if not form.has_changed():
                messages.info(request, "Nothing to save: the settings are as they were.")
                return redirect("clinics:settings")
            try:
                clinic_settings_update(
                    clinic=clinic,
                    actor=request.user,
                    allergy_test_min_read_hours=form.cleaned_data["allergy_test_min_read_hours"],
                    fitzpatrick_pigmentation_threshold=form.cleaned_data[
                        "fitzpatrick_pigmentation_threshold"
                    ],
                    caution_severity_overrides=form.overrides(),
                    catalog=catalog,
                    allergy_test_policy=form.cleaned_data.get("allergy_test_policy") or None,
                )
            except ValidationFailed as error:
                form.place_errors(error.fields)
            else:
                messages.success(request, f"Settings for {clinic.name} saved.")
                return redirect("clinics:settings")
        status = 422
    else:
        form = ClinicSettingsForm(cautions=cautions, clinic=clinic)
    return render(
        request,
        "clinics/settings.html",
        {"form": form, "clinic": clinic, "rows": form.caution_rows()},
        status=status,
    )
