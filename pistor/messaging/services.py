"""Sending messages, once: the log row is claimed before anything leaves.

``message_send`` first inserts the message's log row under its ``dedupe_key`` (the
occasion: this appointment at this time, this session's aftercare) and commits it; only
the caller that inserted the row sends. A second worker, a retried task or a restarted
worker hits the unique constraint and sends nothing. The price is at-most-once: a crash
between the claim and the send leaves the row "sending" and the message unsent, which
the log and the recalls worklist show, rather than a patient getting the same message
twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.core import clock
from pistor.core.errors import ValidationFailed
from pistor.messaging.constants import (
    KIND_CATEGORY,
    REMINDER_HOURS_MAX,
    REMINDER_HOURS_MIN,
    Category,
    Channel,
    MessageStatus,
)
from pistor.messaging.models import Message, MessagePreference, MessagingSettings
from pistor.messaging.selectors import messaging_settings_get, preference_get
from pistor.messaging.sms import sms_backend

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic, Membership
    from pistor.patients.models import Patient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, email body, text message) from ``messaging/messages/<template>_*.txt``."""
    base = f"messaging/messages/{template}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    body = render_to_string(f"{base}_email.txt", context).strip() + "\n"
    sms = " ".join(render_to_string(f"{base}_sms.txt", context).split())
    return subject, body, sms


def _route(
    *, patient: Patient | None, staff: Membership | None, category: str
) -> tuple[str, str, str]:
    """(channel, address, status before sending) for a recipient."""
    if staff is not None:
        email = staff.user.email
        return (Channel.EMAIL, email, MessageStatus.SENDING if email else MessageStatus.NO_CONTACT)
    assert patient is not None  # noqa: S101 - the model's constraint says so too
    preference = preference_get(patient=patient)
    if category == Category.MARKETING and preference.marketing_opt_out:
        return ("", "", MessageStatus.OPTED_OUT)
    options: dict[str, str] = {
        Channel.EMAIL.value: patient.email.strip(),
        Channel.SMS.value: patient.phone.strip(),
    }
    order = [preference.channel, *(c for c in options if c != preference.channel)]
    for channel in order:
        if options[channel]:
            return (channel, options[channel], MessageStatus.SENDING)
    return ("", "", MessageStatus.NO_CONTACT)


def message_send(
    *,
    clinic: Clinic,
    kind: str,
    dedupe_key: str,
    template: str,
    context: dict[str, Any],
    patient: Patient | None = None,
    staff: Membership | None = None,
    subject_type: str = "",
    subject_id: str | int = "",
    attachments: Sequence[Attachment] = (),
    now: dt.datetime | None = None,
) -> Message | None:
    """Send one message for the occasion ``dedupe_key``, or nothing if it was already
    logged. Returns the new log row (sent, failed, opted out or without contact), or None
    when another caller had already claimed the occasion.

    Call it outside a transaction (the jobs do): the claim must commit before anything is
    sent, or a rollback afterwards would forget a message that has already gone."""
    now = now or clock.now()
    category = KIND_CATEGORY[kind]
    channel, address, status = _route(patient=patient, staff=staff, category=category)
    message = Message(
        clinic=clinic,
        channel=channel,
        kind=kind,
        category=category,
        patient=patient,
        staff=staff,
        template=template,
        subject_type=subject_type,
        subject_id=str(subject_id),
        dedupe_key=dedupe_key,
        status=status,
    )
    try:
        with transaction.atomic():
            message.save()
            if status != MessageStatus.SENDING:
                _audit(message, actor=None)
    except IntegrityError:
        return None  # someone else has this occasion: sent, being sent, or decided against
    if status != MessageStatus.SENDING:
        return message
    full = {**context, "clinic": clinic, "patient": patient, "staff": staff}
    try:
        subject, body, text = _render(template, full)
        if channel == Channel.EMAIL:
            provider_id = make_msgid(domain="pistor.local")
            email = EmailMessage(
                subject, body, None, [address], headers={"Message-ID": provider_id}
            )
            for item in attachments:
                email.attach(item.filename, item.content, item.mimetype)
            email.send(fail_silently=False)
        else:
            provider_id = sms_backend().send(to=address, text=text)
    except Exception as exc:  # a mail server or provider failure: record it, never raise
        logger.warning("Message %s failed to send (%s).", message.pk, type(exc).__name__)
        message.status = MessageStatus.FAILED
        message.error = type(exc).__name__[:200]
    else:
        message.status = MessageStatus.SENT
        message.sent_at = now
        message.provider_id = str(provider_id)[:200]
    with transaction.atomic():
        message.save(update_fields=["status", "sent_at", "provider_id", "error", "updated_at"])
        _audit(message, actor=None)
    return message


def _audit(message: Message, *, actor: User | None) -> None:
    audit_record(
        clinic=message.clinic,
        actor=actor,
        event_type=(
            AuditEventType.MESSAGE_SENT
            if message.status == MessageStatus.SENT
            else AuditEventType.MESSAGE_NOT_SENT
        ),
        subject_type="message",
        subject_id=message.pk,
        after={
            "kind": message.kind,
            "channel": message.channel,
            "status": message.status,
            "patient": message.patient_id,
            "staff": message.staff_id,
            "about": f"{message.subject_type}:{message.subject_id}".strip(":"),
        },
    )


# ---------------------------------------------------------------------------- preferences


def preference_set(
    *, patient: Patient, by: User, channel: str, marketing_opt_out: bool
) -> MessagePreference:
    """Record how the patient wants to be contacted. Safety messages ignore the opt-out."""
    if channel not in Channel.values:
        raise ValidationFailed(
            "Choose email or text message.", fields={"channel": ["Email or text message."]}
        )
    if not isinstance(marketing_opt_out, bool):
        raise ValidationFailed(
            "Say yes or no to marketing messages.",
            fields={"marketing_opt_out": ["Yes or no."]},
        )
    with transaction.atomic():
        preference = (
            MessagePreference.objects.select_for_update()
            .for_clinic(patient.clinic_id)
            .filter(patient=patient)
            .first()
        ) or MessagePreference(clinic_id=patient.clinic_id, patient=patient)
        before = {"channel": preference.channel, "marketing_opt_out": preference.marketing_opt_out}
        preference.channel = channel
        preference.marketing_opt_out = marketing_opt_out
        preference.updated_by = by
        preference.full_clean()
        preference.save()
        audit_record(
            clinic=patient.clinic,
            actor=by,
            event_type=AuditEventType.MESSAGE_PREFERENCES_CHANGED,
            subject_type="patient",
            subject_id=patient.pk,
            before=before,
            after={"channel": channel, "marketing_opt_out": marketing_opt_out},
        )
    return preference


def messaging_settings_set(
    *, clinic: Clinic, by: User, reminder_hours_before: int, daily_hour: int
) -> MessagingSettings:
    fields: dict[str, list[str]] = {}
    if not REMINDER_HOURS_MIN <= reminder_hours_before <= REMINDER_HOURS_MAX:
        fields["reminder_hours_before"] = [
            f"Between {REMINDER_HOURS_MIN} and {REMINDER_HOURS_MAX} hours (a week)."
        ]
    if not 0 <= daily_hour <= 23:
        fields["daily_hour"] = ["An hour of the day, 0 to 23."]
    if fields:
        raise ValidationFailed("These reminder settings cannot be used.", fields=fields)
    with transaction.atomic():
        current = messaging_settings_get(clinic=clinic)
        before = {
            "reminder_hours_before": current.reminder_hours_before,
            "daily_hour": current.daily_hour,
        }
        current.reminder_hours_before = reminder_hours_before
        current.daily_hour = daily_hour
        current.full_clean()
        current.save()
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.MESSAGING_SETTINGS_CHANGED,
            subject_type="messaging_settings",
            subject_id=current.pk,
            before=before,
            after={"reminder_hours_before": reminder_hours_before, "daily_hour": daily_hour},
        )
    return current
