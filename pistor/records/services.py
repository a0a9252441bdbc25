"""Signing, amending and withdrawing signed records: the one lifecycle every signed thing uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.core import clock
from pistor.core.errors import Conflict, ValidationFailed
from pistor.records.constants import RecordStatus
from pistor.records.models import Addendum, SignedRecord, Withdrawal

if TYPE_CHECKING:
    from pistor.accounts.models import User

R = TypeVar("R", bound=SignedRecord)

_MAX_TEXT = 10_000


def canonical_json(content: Any) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(
        content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def content_hash(content: Any) -> str:
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def record_verify(record: SignedRecord) -> bool:
    """True when a signed record's stored content still matches its stored hash."""
    return record.is_signed and content_hash(record.content) == record.content_sha256


def record_sign(
    *,
    record: R,
    signer: User,
    now: dt.datetime | None = None,
    event_type: str,
    extra_fields: tuple[str, ...] = (),
) -> R:
    """Freeze ``record``: store its exact content (canonical JSON) and SHA-256, signer, time.

    ``extra_fields`` are other columns the caller set on the record just before signing
    (a countersignature, say); they are saved in the same UPDATE, the last one the row
    will ever accept. Signing twice is a conflict, not a silent no-op.
    """
    now = now or clock.now()
    with transaction.atomic():
        locked = type(record).objects.select_for_update().filter(pk=record.pk).first()
        if locked is None or locked.status == RecordStatus.SIGNED:
            raise Conflict("This record is already signed and cannot be signed again.")
        # JSON round-trip so what is hashed is exactly what the database gives back.
        content = json.loads(canonical_json(record.signable_content()))
        record.content = content
        record.content_sha256 = content_hash(content)
        record.signed_at = now
        record.signed_by = signer
        record.status = RecordStatus.SIGNED
        record.save(
            update_fields=[
                "content",
                "content_sha256",
                "signed_at",
                "signed_by",
                "status",
                "updated_at",
                *extra_fields,
            ]
        )
        audit_record(
            clinic=record.clinic,
            actor=signer,
            event_type=event_type,
            subject_type=record.record_type,
            subject_id=record.pk,
            after={"content_sha256": record.content_sha256, "signed_at": now},
        )
    return record


def _require_text(name: str, value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{label} is required.", fields={name: [f"{label} is required."]})
    if len(value) > _MAX_TEXT:
        raise ValidationFailed(
            f"{label} is too long.", fields={name: [f"At most {_MAX_TEXT} characters."]}
        )
    return value


def record_add_addendum(
    *, record: SignedRecord, author: User, text: str, reason: str, now: dt.datetime | None = None
) -> Addendum:
    """Add a correction beside a signed record; the original stays exactly as signed."""
    text = _require_text("text", text, "The addendum")
    reason = _require_text("reason", reason, "A reason")
    if not record.is_signed:
        raise Conflict("A draft is corrected by editing it; addenda are for signed records.")
    with transaction.atomic():
        addendum = Addendum(
            clinic_id=record.clinic_id,
            record_type=record.record_type,
            record_id=record.pk,
            author=author,
            written_at=now or clock.now(),
            text=text,
            reason=reason,
        )
        addendum.full_clean()
        addendum.save()
        audit_record(
            clinic=record.clinic,
            actor=author,
            event_type=AuditEventType.RECORD_ADDENDUM_ADDED,
            subject_type=record.record_type,
            subject_id=record.pk,
            after={"addendum": addendum.pk, "reason": reason},
        )
    return addendum


def record_withdraw(
    *, record: SignedRecord, by: User, reason: str, now: dt.datetime | None = None
) -> Withdrawal:
    """Withdraw a signed record: a new record saying who, when and why; once only."""
    reason = _require_text("reason", reason, "A reason")
    if not record.is_signed:
        raise Conflict("Only a signed record can be withdrawn; a draft can simply be left.")
    with transaction.atomic():
        if Withdrawal.objects.filter(record_type=record.record_type, record_id=record.pk).exists():
            raise Conflict("This record has already been withdrawn.")
        withdrawal = Withdrawal(
            clinic_id=record.clinic_id,
            record_type=record.record_type,
            record_id=record.pk,
            withdrawn_by=by,
            withdrawn_at=now or clock.now(),
            reason=reason,
        )
        withdrawal.save()
        audit_record(
            clinic=record.clinic,
            actor=by,
            event_type=AuditEventType.RECORD_WITHDRAWN,
            subject_type=record.record_type,
            subject_id=record.pk,
            after={"withdrawal": withdrawal.pk, "reason": reason},
        )
    return withdrawal
