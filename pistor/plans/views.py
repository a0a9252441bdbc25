"""Plan pages: a patient's plans, creating one, the plan with its course, timeline, quote
and gate panel, moving a session, the quote PDF, and the manager's price list."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pistor.accounts.access import staff_required
from pistor.catalog.drawing import timeline_layout
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.protocols import PlannedSession
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import ValidationFailed
from pistor.patients.access import patient_get_for_user
from pistor.patients.models import Patient
from pistor.plans.forms import PlanCreateForm, PlanSessionForm, PriceItemForm, VatForm
from pistor.plans.models import Plan
from pistor.plans.pdf import quote_pdf
from pistor.plans.selectors import (
    plan_gate,
    plan_get,
    plan_list,
    plan_quote,
    plan_session_get,
    price_list,
    vat_rate_get,
)
from pistor.plans.services import (
    plan_consent_create,
    plan_create,
    plan_session_update,
    price_item_delete,
    price_item_set,
    pricing_settings_set,
)

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _add_errors(form: BaseForm, exc: ValidationFailed) -> None:
    for name, field_messages in exc.fields.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


def _plan_and_patient(
    request: HttpRequest, pk: int, action: Action = Action.PLAN_VIEW
) -> tuple[Plan, Patient]:
    plan = plan_get(clinic_id=_clinic(request).pk, pk=pk)
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=plan.patient_id, action=action
    )
    plan.patient = patient
    return plan, patient


def _list(
    request: HttpRequest, patient: Patient, form: BaseForm, status: int = 200
) -> HttpResponse:
    context = {
        "patient": patient,
        "plans": plan_list(clinic_id=_clinic(request).pk, patient_id=patient.pk),
        "form": form,
    }
    return render(request, "plans/plan_list.html", context, status=status)


@staff_required(Action.PLAN_VIEW)
@never_cache
def plan_list_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_pk, action=Action.PLAN_VIEW
    )
    form = PlanCreateForm(
        catalog=catalog_for_clinic(clinic=clinic),
        initial={"first_session": timezone.localdate() + dt.timedelta(days=7)},
    )
    return _list(request, patient, form)


@staff_required(Action.PLAN_MANAGE)
@never_cache
@require_POST
def plan_create_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_pk, action=Action.PLAN_MANAGE
    )
    form = PlanCreateForm(request.POST, catalog=catalog_for_clinic(clinic=clinic))
    if form.is_valid():
        try:
            plan = plan_create(
                clinic=clinic, patient=patient, by=_actor(request), **form.service_fields()
            )
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            return redirect("plans:detail", pk=plan.pk)
    return _list(request, patient, form, status=422)


def _detail(
    request: HttpRequest,
    plan: Plan,
    patient: Patient,
    *,
    session_form: BaseForm | None = None,
    session_number: int | None = None,
    status: int = 200,
) -> HttpResponse:
    sessions = list(plan.planned_sessions.all())
    drawn = [
        PlannedSession(s.number, s.phase, s.earliest, s.planned_on, s.latest) for s in sessions
    ]
    catalog = catalog_for_clinic(clinic=plan.clinic)
    protocol = catalog.protocols.get(plan.protocol_code)
    phases = [p.name for p in protocol.phases] if protocol else []
    context: dict[str, Any] = {
        "plan": plan,
        "patient": patient,
        "sessions": sessions,
        "timeline": timeline_layout(drawn, phases) if drawn else None,
        "item": {"name": plan.protocol_name},
        "quote": plan_quote(plan=plan),
        "gate": plan_gate(plan=plan, now=clock.now()),
        "session_form": session_form,
        "session_number": session_number,
        "product_names": {c: p.name for c, p in catalog.products.items()},
    }
    return render(request, "plans/plan_detail.html", context, status=status)


@staff_required(Action.PLAN_VIEW)
@never_cache
def plan_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan, patient = _plan_and_patient(request, pk)
    return _detail(request, plan, patient)


@staff_required(Action.PLAN_MANAGE)
@never_cache
@require_POST
def plan_session_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    plan, patient = _plan_and_patient(request, pk, Action.PLAN_MANAGE)
    session = plan_session_get(plan=plan, number=number)
    form = PlanSessionForm(request.POST)
    if form.is_valid():
        try:
            plan_session_update(session=session, by=_actor(request), **form.service_fields())
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Session {number} updated.")
            return redirect("plans:detail", pk=plan.pk)
    plan = plan_get(clinic_id=plan.clinic_id, pk=plan.pk)
    plan.patient = patient
    return _detail(request, plan, patient, session_form=form, session_number=number, status=422)


@staff_required(Action.CONSENT_MANAGE)
@never_cache
@require_POST
def plan_consent_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw up the consent for this plan, with its course and cost, and open it."""
    plan, _ = _plan_and_patient(request, pk, Action.CONSENT_MANAGE)
    consent = plan_consent_create(plan=plan, by=_actor(request))
    return redirect("consents:detail", pk=consent.pk)


@staff_required(Action.PLAN_VIEW)
@never_cache
def plan_quote_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan, patient = _plan_and_patient(request, pk)
    pdf = quote_pdf(plan=plan, patient=patient, quote=plan_quote(plan=plan))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="quote-plan-{plan.pk}.pdf"'
    return response


def _prices(
    request: HttpRequest,
    *,
    form: BaseForm | None = None,
    vat_form: BaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    clinic = _clinic(request)
    context = {
        "items": price_list(clinic_id=clinic.pk),
        "form": form or PriceItemForm(),
        "vat_form": vat_form or VatForm(initial={"vat_rate": vat_rate_get(clinic_id=clinic.pk)}),
        "currency": clinic.currency,
    }
    return render(request, "plans/price_list.html", context, status=status)


@staff_required(Action.PRICE_LIST_MANAGE)
def price_list_view(request: HttpRequest) -> HttpResponse:
    return _prices(request)


@staff_required(Action.PRICE_LIST_MANAGE)
@require_POST
def price_item_set_view(request: HttpRequest) -> HttpResponse:
    form = PriceItemForm(request.POST)
    if form.is_valid():
        try:
            price_item_set(clinic=_clinic(request), by=_actor(request), **form.cleaned_data)
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Price saved.")
            return redirect("plans:prices")
    return _prices(request, form=form, status=422)


@staff_required(Action.PRICE_LIST_MANAGE)
@require_POST
def price_item_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    price_item_delete(clinic=_clinic(request), by=_actor(request), pk=pk)
    messages.success(request, "Price removed.")
    return redirect("plans:prices")


@staff_required(Action.PRICE_LIST_MANAGE)
@require_POST
def vat_set_view(request: HttpRequest) -> HttpResponse:
    form = VatForm(request.POST)
    if form.is_valid():
        try:
            pricing_settings_set(
                clinic=_clinic(request), by=_actor(request), vat_rate=form.cleaned_data["vat_rate"]
            )
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "VAT rate saved.")
            return redirect("plans:prices")
    return _prices(request, vat_form=form, status=422)
