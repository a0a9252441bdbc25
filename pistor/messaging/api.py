"""Messages over the API: a patient's messages (what was sent, never the wording) and their
contact preferences. Patients are fetched through ``pistor.patients.access``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import StrictBool

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, InputSchema
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound
from pistor.core.pagination import LimitOffset
from pistor.messaging import services
from pistor.messaging.selectors import patient_messages, preference_get
from pistor.patients.access import patient_get_for_user

if TYPE_CHECKING:
    from pistor.patients.models import Patient

router = Router(tags=["messaging"])
_MAX_ID = 2**63 - 1


class MessageOut(Schema):
    id: int
    kind: str
    category: str
    channel: str
    status: str
    template: str
    subject_type: str
    subject_id: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class MessagePreferenceOut(Schema):
    channel: str = Field(..., description="email or sms")
    marketing_opt_out: bool = Field(
        ..., description="No maintenance recalls; safety and course reminders are still sent."
    )


class MessagePreferenceIn(InputSchema):
    channel: Literal["email", "sms"]
    marketing_opt_out: StrictBool


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


@router.get(
    "/patients/{patient_id}/messages",
    response={200: list[MessageOut], **ERROR_RESPONSES},
    summary="The messages sent to a patient, newest first",
    auth=allow(Action.MESSAGES_VIEW, doing="read a patient's messages"),
)
@paginate(LimitOffset)
def list_messages(request: HttpRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id, Action.MESSAGES_VIEW)
    return patient_messages(clinic_id=patient.clinic_id, patient_id=patient.pk)


@router.get(
    "/patients/{patient_id}/preferences",
    response={200: MessagePreferenceOut, **ERROR_RESPONSES},
    summary="A patient's contact preferences",
    auth=allow(Action.MESSAGES_VIEW, doing="read a patient's contact preferences"),
)
def get_preferences(request: HttpRequest, patient_id: int) -> Any:
    return preference_get(patient=_patient(request, patient_id, Action.MESSAGES_VIEW))


@router.put(
    "/patients/{patient_id}/preferences",
    response={200: MessagePreferenceOut, **ERROR_RESPONSES},
    summary="Set a patient's contact preferences",
    auth=allow(Action.MESSAGE_PREFERENCES_EDIT, doing="change a patient's contact preferences"),
)
def set_preferences(request: HttpRequest, patient_id: int, payload: MessagePreferenceIn) -> Any:
    patient = _patient(request, patient_id, Action.MESSAGE_PREFERENCES_EDIT)
    return services.preference_set(
        patient=patient,
        by=api_caller(request).user,
        channel=payload.channel,
        marketing_opt_out=payload.marketing_opt_out,
    )
