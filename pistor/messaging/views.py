"""Message pages: a patient's messages and contact preferences, the clinic's log of what
was sent (managers, with the reminder settings), and reception's due-recalls worklist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pistor.accounts.access import staff_required
from pistor.clinics.permissions import Action, can
from pistor.core import clock
from pistor.core.errors import ValidationFailed
from pistor.core.pagination import page_of
from pistor.messaging import services
from pistor.messaging.constants import Kind
from pistor.messaging.forms import MessagingSettingsForm, PreferenceForm
from pistor.messaging.selectors import (
    clinic_zone,
    course_due_list,
    message_list_for_patient,
    message_log,
    messaging_settings_get,
    preference_get,
)
from pistor.patients.access import patient_get_for_user, patients_listed

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic

LOG_PER_PAGE = 50


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _patient_page(
    request: HttpRequest, patient: Any, form: PreferenceForm | None = None, status: int = 200
) -> HttpResponse:
    preference = preference_get(patient=patient)
    form = form or PreferenceForm(
        initial={"channel": preference.channel, "marketing_opt_out": preference.marketing_opt_out}
    )
    context = {
        "patient": patient,
        "messages_sent": message_list_for_patient(
            clinic_id=_clinic(request).pk, patient_id=patient.pk
        ),
        "preference": preference,
        "form": form,
        "zone": clinic_zone(_clinic(request)),
    }
    return _no_store(render(request, "messaging/patient_messages.html", context, status=status))


@staff_required(Action.MESSAGES_VIEW)
def patient_messages_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=patient_pk,
        action=Action.MESSAGES_VIEW,
    )  # fmt: skip
    return _patient_page(request, patient)


@staff_required(Action.MESSAGE_PREFERENCES_EDIT)
@require_POST
def preferences_edit_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=patient_pk,
        action=Action.MESSAGE_PREFERENCES_EDIT,
    )  # fmt: skip
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return _patient_page(request, patient, form, status=422)
    try:
        services.preference_set(
            patient=patient,
            by=cast("User", request.user),
            channel=form.cleaned_data["channel"],
            marketing_opt_out=form.cleaned_data["marketing_opt_out"],
        )
    except ValidationFailed as exc:
        for name, messages in exc.extra.get("fields", {}).items():
            form.add_error(name if name in form.fields else None, " ".join(messages))
        return _patient_page(request, patient, form, status=422)
    return redirect("messaging:patient", patient_pk=patient.pk)


def _log_page(
    request: HttpRequest, form: MessagingSettingsForm | None = None, status: int = 200
) -> HttpResponse:
    clinic = _clinic(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    page = page_of(
        message_log(clinic_id=clinic.pk, kind=kind),
        number=request.GET.get("page"),
        per_page=LOG_PER_PAGE,
    )
    patients_listed(
        request_or_user=request, clinic=clinic, query=f"messages sent {kind}".strip(),
        include_archived=True, patients=[m.patient for m in page.items if m.patient],
        where="page",
    )  # fmt: skip
    current = messaging_settings_get(clinic=clinic)
    role = getattr(request, "membership", None)
    context = {
        "page": page,
        "kind": kind,
        "kinds": Kind.choices,
        "zone": clinic_zone(clinic),
        "settings_form": form
        or MessagingSettingsForm(
            initial={
                "reminder_hours_before": current.reminder_hours_before,
                "daily_hour": current.daily_hour,
            }
        ),
        "can_edit_settings": role is not None and can(role.role, Action.CLINIC_SETTINGS),
    }
    return _no_store(render(request, "messaging/message_log.html", context, status=status))


@staff_required(Action.MESSAGE_LOG_VIEW)
def message_log_view(request: HttpRequest) -> HttpResponse:
    return _log_page(request)


@staff_required(Action.CLINIC_SETTINGS)
@require_POST
def messaging_settings_view(request: HttpRequest) -> HttpResponse:
    form = MessagingSettingsForm(request.POST)
    if not form.is_valid():
        return _log_page(request, form, status=422)
    try:
        services.messaging_settings_set(
            clinic=_clinic(request), by=cast("User", request.user), **form.cleaned_data
        )
    except ValidationFailed as exc:
        for name, messages in exc.extra.get("fields", {}).items():
            form.add_error(name if name in form.fields else None, " ".join(messages))
        return _log_page(request, form, status=422)
    return redirect("messaging:log")


@staff_required(Action.RECALLS_VIEW)
def recalls_view(request: HttpRequest) -> HttpResponse:
    """Patients to call: the next session or top-up is due and nothing is booked."""
    clinic = _clinic(request)
    now = clock.now()
    rows = course_due_list(clinic=clinic, now=now, include_closed=True)
    patients_listed(
        request_or_user=request, clinic=clinic, query="due recalls",
        include_archived=False, patients=[r.patient for r in rows], where="page",
    )  # fmt: skip
    today = now.astimezone(clinic_zone(clinic)).date()
    context = {
        "rows": [(r, r.overdue(today)) for r in rows],
        "today": today,
    }
    return _no_store(render(request, "messaging/recalls.html", context))
