"""Consent pages: a patient's consents, drawing one up, signing at the desk or by link,
countersigning, withdrawing, addenda, and the PDF.

Patients are fetched only through ``pistor.patients.access``; a consent through the
clinic-scoped selector, so another clinic's consent answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pistor.accounts.access import public_page, staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.permissions import Action
from pistor.consents.forms import AddendumForm, ConsentCreateForm, ReasonForm, SignatureForm
from pistor.consents.models import Consent
from pistor.consents.pdf import consent_pdf
from pistor.consents.selectors import consent_addenda, consent_get, consent_list, consent_state_get
from pistor.consents.services import (
    LinkRefused,
    consent_add_addendum,
    consent_countersign,
    consent_create,
    consent_link_create,
    consent_link_resolve,
    consent_patient_sign,
    consent_withdraw,
)
from pistor.consents.signatures import png_data_url
from pistor.core.errors import Conflict, ValidationFailed
from pistor.patients.access import patient_get_for_user
from pistor.patients.models import Patient

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


def _consent_and_patient(
    request: HttpRequest, pk: int, action: Action = Action.CONSENT_VIEW
) -> tuple[Consent, Patient]:
    consent = consent_get(clinic_id=_clinic(request).pk, pk=pk)
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=consent.patient_id, action=action
    )
    return consent, patient


@staff_required(Action.CONSENT_VIEW)
@never_cache
def consent_list_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_pk, action=Action.CONSENT_VIEW
    )
    return _list(request, patient, ConsentCreateForm(catalog=catalog_for_clinic(clinic=clinic)))


def _list(
    request: HttpRequest, patient: Patient, form: BaseForm, status: int = 200
) -> HttpResponse:
    context = {
        "patient": patient,
        "consents": consent_list(clinic_id=_clinic(request).pk, patient_id=patient.pk),
        "form": form,
    }
    return render(request, "consents/consent_list.html", context, status=status)


@staff_required(Action.CONSENT_MANAGE)
@never_cache
@require_POST
def consent_create_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=patient_pk, action=Action.CONSENT_MANAGE
    )
    form = ConsentCreateForm(request.POST, catalog=catalog_for_clinic(clinic=clinic))
    if form.is_valid():
        try:
            consent = consent_create(
                clinic=clinic,
                patient=patient,
                by=_actor(request),
                kind=form.cleaned_data["kind"],
                indication_code=form.cleaned_data["indication_code"],
                product_codes=form.cleaned_data["product_codes"],
                photo_uses=form.cleaned_data["photo_uses"],
            )
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            return redirect("consents:detail", pk=consent.pk)
    return _list(request, patient, form, status=422)


def _detail(
    request: HttpRequest,
    consent: Consent,
    patient: Patient,
    *,
    forms: dict[str, BaseForm] | None = None,
    status: int = 200,
    link_url: str = "",
) -> HttpResponse:
    forms = forms or {}
    context: dict[str, Any] = {
        "consent": consent,
        "patient": patient,
        "state": consent_state_get(consent=consent),
        "addenda": consent_addenda(consent=consent) if consent.is_signed else [],
        "patient_signature": png_data_url(consent.patient_signature),
        "countersignature": png_data_url(consent.countersignature),
        "sign_form": forms.get("sign") or SignatureForm(initial={"signed_name": patient.full_name}),
        "countersign_form": forms.get("countersign") or SignatureForm(),
        "withdraw_form": forms.get("withdraw") or ReasonForm(),
        "addendum_form": forms.get("addendum") or AddendumForm(),
        "link_url": link_url,
    }
    return render(request, "consents/consent_detail.html", context, status=status)


@staff_required(Action.CONSENT_VIEW)
@never_cache
def consent_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent, patient = _consent_and_patient(request, pk)
    return _detail(request, consent, patient)


def _refusal(
    request: HttpRequest, consent: Consent, patient: Patient, exc: Conflict
) -> HttpResponse:
    messages.error(request, exc.message)
    return _detail(request, consent, patient, status=409)


@staff_required(Action.CONSENT_MANAGE)
@never_cache
@require_POST
def consent_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient signs at the desk, on the clinic's tablet."""
    consent, patient = _consent_and_patient(request, pk, Action.CONSENT_MANAGE)
    form = SignatureForm(request.POST)
    if form.is_valid():
        try:
            consent_patient_sign(
                consent=consent,
                signature=form.cleaned_data["signature"],
                signed_name=form.cleaned_data["signed_name"],
                actor=_actor(request),
            )
        except ValidationFailed as exc:
            _add_errors(form, exc)
        except Conflict as exc:
            return _refusal(request, consent, patient, exc)
        else:
            messages.success(request, "The patient's signature is recorded.")
            return redirect("consents:detail", pk=consent.pk)
    return _detail(request, consent, patient, forms={"sign": form}, status=422)


@staff_required(Action.CONSENT_COUNTERSIGN)
@never_cache
@require_POST
def consent_countersign_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent, patient = _consent_and_patient(request, pk, Action.CONSENT_VIEW)
    form = SignatureForm(request.POST)
    if form.is_valid():
        try:
            consent_countersign(
                consent=consent,
                practitioner=_actor(request),
                signature=form.cleaned_data["signature"],
            )
        except ValidationFailed as exc:
            form.add_error("signature", "; ".join(m for v in exc.fields.values() for m in v))
        except Conflict as exc:
            return _refusal(request, consent, patient, exc)
        else:
            messages.success(request, "Consent signed. It can no longer be changed.")
            return redirect("consents:detail", pk=consent.pk)
    return _detail(request, consent, patient, forms={"countersign": form}, status=422)


@staff_required(Action.CONSENT_MANAGE)
@never_cache
@require_POST
def consent_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent, patient = _consent_and_patient(request, pk, Action.CONSENT_MANAGE)
    try:
        _, token = consent_link_create(consent=consent, by=_actor(request))
    except Conflict as exc:
        return _refusal(request, consent, patient, exc)
    url = request.build_absolute_uri(reverse("consents:public_sign", args=[token]))
    return _detail(request, consent, patient, link_url=url)


@staff_required(Action.CONSENT_MANAGE)
@never_cache
@require_POST
def consent_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent, patient = _consent_and_patient(request, pk, Action.CONSENT_MANAGE)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            consent_withdraw(
                consent=consent, by=_actor(request), reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            _add_errors(form, exc)
        except Conflict as exc:
            return _refusal(request, consent, patient, exc)
        else:
            messages.success(request, "Consent withdrawn. No session can start under it.")
            return redirect("consents:detail", pk=consent.pk)
    return _detail(request, consent, patient, forms={"withdraw": form}, status=422)


@staff_required(Action.CONSENT_MANAGE)
@never_cache
@require_POST
def consent_addendum_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent, patient = _consent_and_patient(request, pk, Action.CONSENT_MANAGE)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            consent_add_addendum(
                consent=consent,
                author=_actor(request),
                text=form.cleaned_data["text"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            _add_errors(form, exc)
        except Conflict as exc:
            return _refusal(request, consent, patient, exc)
        else:
            messages.success(request, "Addendum added beside the signed consent.")
            return redirect("consents:detail", pk=consent.pk)
    return _detail(request, consent, patient, forms={"addendum": form}, status=422)


@staff_required(Action.CONSENT_VIEW)
@never_cache
def consent_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent, patient = _consent_and_patient(request, pk)
    state = consent_state_get(consent=consent)
    pdf = consent_pdf(
        consent=consent,
        patient=patient,
        addenda=consent_addenda(consent=consent),
        withdrawal=state.withdrawal,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consent-{consent.pk}.pdf"'
    return response


_LINK_MESSAGES = {
    "unknown": "This signing link is not valid. Please check that you used the whole link, "
    "or ask the clinic for a new one.",
    "expired": "This signing link has expired. Please ask the clinic to send you a new one.",
    "used": "This signing link has already been used. Each link works once; if you still need "
    "to sign, ask the clinic for a new one.",
    "done": "This consent has already been signed. There is nothing more to do here.",
}


@public_page
@never_cache
@require_http_methods(["GET", "POST"])
def consent_public_sign_view(request: HttpRequest, token: str) -> HttpResponse:
    """The patient reads and signs on their own device, through the single-use link."""
    try:
        link = consent_link_resolve(token=token)
    except LinkRefused as refused:
        return render(
            request,
            "consents/link_refused.html",
            {"message": _LINK_MESSAGES[refused.reason], "reason": refused.reason},
            status=410 if refused.reason in ("expired", "used", "done") else 404,
        )
    consent = link.consent
    form = SignatureForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                consent_patient_sign(
                    consent=consent,
                    signature=form.cleaned_data["signature"],
                    signed_name=form.cleaned_data["signed_name"],
                    actor=None,
                    link=link,
                )
            except ValidationFailed as exc:
                _add_errors(form, exc)
            except Conflict:
                return render(
                    request,
                    "consents/link_refused.html",
                    {"message": _LINK_MESSAGES["used"], "reason": "used"},
                    status=410,
                )
            else:
                return render(request, "consents/public_signed.html", {"clinic": consent.clinic})
        status = 422
    return render(
        request,
        "consents/public_sign.html",
        {"consent": consent, "clinic": consent.clinic, "form": form},
        status=status,
    )
