"""Consent over the API: draw up, sign (patient), countersign, withdraw, status, PDF.

Thin: each operation declares its permission where it is routed (checked before the body
is read), fetches the patient through ``pistor.patients.access`` and calls one service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema
from pistor.clinics.permissions import Action
from pistor.consents.constants import ConsentKind, PhotoUse
from pistor.consents.models import Consent
from pistor.consents.pdf import consent_pdf
from pistor.consents.selectors import (
    ConsentState,
    consent_addenda,
    consent_get,
    consent_list,
    consent_state_get,
)
from pistor.consents.services import (
    consent_countersign,
    consent_create,
    consent_patient_sign,
    consent_withdraw,
)
from pistor.core.errors import NotFound
from pistor.patients.access import patient_get_for_user
from pistor.patients.models import Patient

router = Router(tags=["consents"])

_MAX_ID = 2**63 - 1
_DATA_URL = "A PNG image from the signature pad as a data URL: data:image/png;base64,… (≤ 1 MB)."


class ConsentIn(InputSchema):
    """A consent to draw up from its template: treatment (indication and products) or
    photographs (the uses the patient allows)."""

    patient_id: int = Field(..., ge=1, le=_MAX_ID)
    kind: ConsentKind
    indication_code: CleanStr = Field("", max_length=60, examples=["skin-rejuvenation"])
    product_codes: list[CleanStr] = Field(default_factory=list, max_length=30)
    photo_uses: list[PhotoUse] = Field(default_factory=list, max_length=3)


class PatientSignatureIn(InputSchema):
    """The patient's signature, taken at the desk."""

    signed_name: CleanStr = Field(..., min_length=1, max_length=200)
    signature: str = Field(..., max_length=1_500_000, description=_DATA_URL)


class CountersignatureIn(InputSchema):
    """The practitioner's countersignature, which signs and freezes the consent."""

    signature: str = Field(..., max_length=1_500_000, description=_DATA_URL)


class WithdrawIn(InputSchema):
    reason: CleanStr = Field(..., min_length=1, max_length=10_000)


class WithdrawalOut(Schema):
    withdrawn_at: dt.datetime
    withdrawn_by: str
    reason: str


class SectionOut(Schema):
    heading: str
    paragraphs: list[str]


class ConsentOut(Schema):
    id: int
    patient_id: int
    kind: str
    indication_code: str
    product_codes: list[str]
    photo_uses: list[str]
    template_version: str
    catalog_version: str
    status: Literal[
        "awaiting patient signature", "awaiting countersignature", "signed", "withdrawn"
    ]
    in_force: bool
    patient_signed_name: str
    patient_signed_at: dt.datetime | None
    signed_at: dt.datetime | None
    signed_by: str | None
    content_sha256: str
    withdrawal: WithdrawalOut | None
    sections: list[SectionOut]


def _out(state: ConsentState, *, with_sections: bool = True) -> dict[str, Any]:
    c = state.consent
    w = state.withdrawal
    return {
        "id": c.pk,
        "patient_id": c.patient_id,
        "kind": c.kind,
        "indication_code": c.indication_code,
        "product_codes": c.product_codes,
        "photo_uses": c.photo_uses,
        "template_version": c.template_version,
        "catalog_version": c.catalog_version,
        "status": state.status,
        "in_force": state.in_force,
        "patient_signed_name": c.patient_signed_name,
        "patient_signed_at": c.patient_signed_at,
        "signed_at": c.signed_at,
        "signed_by": str(c.signed_by) if c.signed_by_id else None,
        "content_sha256": c.content_sha256,
        "withdrawal": (
            {
                "withdrawn_at": w.withdrawn_at,
                "withdrawn_by": str(w.withdrawn_by),
                "reason": w.reason,
            }
            if w
            else None
        ),
        "sections": c.sections if with_sections else [],
    }


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


def _consent(request: HttpRequest, consent_id: int, action: Action) -> Consent:
    if not 1 <= consent_id <= _MAX_ID:
        raise NotFound("No such consent.")
    consent = consent_get(clinic_id=api_caller(request).clinic.pk, pk=consent_id)
    _patient(request, consent.patient_id, action)
    return consent


@router.post(
    "",
    response={201: ConsentOut, **ERROR_RESPONSES},
    summary="Draw up a consent",
    auth=allow(Action.CONSENT_MANAGE, doing="draw up consents"),
)
def create_consent(request: HttpRequest, payload: ConsentIn) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    patient = _patient(request, payload.patient_id, Action.CONSENT_MANAGE)
    consent = consent_create(
        clinic=caller.clinic,
        patient=patient,
        by=caller.user,
        kind=payload.kind,
        indication_code=payload.indication_code,
        product_codes=payload.product_codes,
        photo_uses=[str(u) for u in payload.photo_uses],
    )
    return Status(201, _out(consent_state_get(consent=consent)))


@router.get(
    "/patient/{patient_id}",
    response={200: list[ConsentOut], **ERROR_RESPONSES},
    summary="A patient's consents and their status",
    auth=allow(Action.CONSENT_VIEW, doing="read consents"),
)
def list_consents(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    patient = _patient(request, patient_id, Action.CONSENT_VIEW)
    states = consent_list(clinic_id=patient.clinic_id, patient_id=patient.pk)
    return [_out(s, with_sections=False) for s in states]


@router.get(
    "/{consent_id}",
    response={200: ConsentOut, **ERROR_RESPONSES},
    summary="One consent: its text, status and signatures",
    auth=allow(Action.CONSENT_VIEW, doing="read consents"),
)
def get_consent(request: HttpRequest, consent_id: int) -> dict[str, Any]:
    consent = _consent(request, consent_id, Action.CONSENT_VIEW)
    return _out(consent_state_get(consent=consent))


@router.post(
    "/{consent_id}/sign",
    response={200: ConsentOut, **ERROR_RESPONSES},
    summary="Record the patient's signature (at the desk)",
    auth=allow(Action.CONSENT_MANAGE, doing="take patients' signatures"),
)
def sign_consent(
    request: HttpRequest, consent_id: int, payload: PatientSignatureIn
) -> dict[str, Any]:
    consent = _consent(request, consent_id, Action.CONSENT_MANAGE)
    consent_patient_sign(
        consent=consent,
        signature=payload.signature,
        signed_name=payload.signed_name,
        actor=api_caller(request).user,
    )
    return _out(consent_state_get(consent=consent))


@router.post(
    "/{consent_id}/countersign",
    response={200: ConsentOut, **ERROR_RESPONSES},
    summary="Countersign: signs and freezes the consent",
    auth=allow(Action.CONSENT_COUNTERSIGN, doing="countersign consents"),
)
def countersign_consent(
    request: HttpRequest, consent_id: int, payload: CountersignatureIn
) -> dict[str, Any]:
    consent = _consent(request, consent_id, Action.CONSENT_VIEW)
    consent_countersign(
        consent=consent, practitioner=api_caller(request).user, signature=payload.signature
    )
    return _out(consent_state_get(consent=consent))


@router.post(
    "/{consent_id}/withdraw",
    response={200: ConsentOut, **ERROR_RESPONSES},
    summary="Withdraw a signed consent (a new record: who, when, why)",
    auth=allow(Action.CONSENT_MANAGE, doing="withdraw consents"),
)
def withdraw_consent(request: HttpRequest, consent_id: int, payload: WithdrawIn) -> dict[str, Any]:
    consent = _consent(request, consent_id, Action.CONSENT_MANAGE)
    consent_withdraw(consent=consent, by=api_caller(request).user, reason=payload.reason)
    return _out(consent_state_get(consent=consent))


@router.get(
    "/{consent_id}/pdf",
    response=ERROR_RESPONSES,
    summary="The consent as a PDF, with both signatures",
    auth=allow(Action.CONSENT_VIEW, doing="read consents"),
    openapi_extra={
        "responses": {
            "200": {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def consent_pdf_download(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = _consent(request, consent_id, Action.CONSENT_VIEW)
    state = consent_state_get(consent=consent)
    patient = consent.patient
    pdf = consent_pdf(
        consent=consent,
        patient=patient,
        addenda=consent_addenda(consent=consent),
        withdrawal=state.withdrawal,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consent-{consent.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
