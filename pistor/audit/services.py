"""Writing to the audit trail, and checking that nobody rewrote it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from pistor.audit.models import AuditChain, AuditEvent
from pistor.core.context import current_request_id

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic

GENESIS_HASH = "0" * 64


def _json_safe(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip through JSON so what we hash is exactly what the database gives back.
    if value is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))
    return result


def compute_hash(event: AuditEvent) -> str:
    payload = {
        "clinic": event.clinic_id,
        "sequence": event.sequence,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "event_type": event.event_type,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "request_id": event.request_id,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
        "before": event.before,
        "after": event.after,
        "previous_hash": event.previous_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain_key(clinic_id: int | None) -> str:
    return f"clinic:{clinic_id}" if clinic_id is not None else "global"


def audit_record(
    *,
    clinic: Clinic | None,
    actor: User | None,
    event_type: str,
    subject_type: str = "",
    subject_id: str | int = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event to the clinic's chain, inside the caller's transaction.

    Called by every service that changes data and by every opening of a patient record,
    so the change and its audit event commit or roll back together.
    """
    clinic_id = clinic.pk if clinic is not None else None
    with transaction.atomic():
        chain, _ = AuditChain.objects.get_or_create(key=_chain_key(clinic_id))
        chain = AuditChain.objects.select_for_update().get(pk=chain.pk)
        event = AuditEvent(
            clinic_id=clinic_id,
            sequence=chain.last_sequence + 1,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=(actor.email if actor is not None and actor.is_authenticated else ""),
            event_type=event_type,
            subject_type=subject_type,
            subject_id=str(subject_id),
            request_id=request_id or current_request_id(),
            occurred_at=timezone.now(),
            before=_json_safe(before),
            after=_json_safe(after),
            previous_hash=chain.last_hash,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
        chain.last_sequence = event.sequence
        chain.last_hash = event.hash
        chain.save(update_fields=["last_sequence", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    clinic_id: int | None
    sequence: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"clinic {self.clinic_id}" if self.clinic_id is not None else "global chain"
        ident = f"event id {self.event_id}" if self.event_id is not None else "missing event"
        return f"{where}, sequence {self.sequence} ({ident}): {self.problem}"


def _chain_events(key: str, clinic_id: int | None) -> Iterator[AuditEvent]:
    qs = (
        AuditEvent.objects.filter(clinic_id=clinic_id)
        if clinic_id is not None
        else (AuditEvent.objects.filter(clinic__isnull=True))
    )
    yield from qs.order_by("sequence").iterator(chunk_size=2000)


def audit_verify() -> list[ChainProblem]:
    """Walk every chain and report each event whose hash or link does not hold.

    An edited row no longer matches its hash; a deleted row leaves a gap in the sequence
    and a broken link; a deleted tail is caught against the chain head.
    """
    problems: list[ChainProblem] = []
    # Deleting a clinic's chain head would otherwise hide every one of its events from
    # the walk below; events must belong to a chain that is checked.
    chained = set(AuditChain.objects.values_list("key", flat=True))
    unchained = (
        AuditEvent.objects.order_by("clinic_id").values_list("clinic_id", flat=True).distinct()
    )
    for orphan_clinic_id in unchained:
        if _chain_key(orphan_clinic_id) not in chained:
            problems.append(
                ChainProblem(
                    orphan_clinic_id,
                    0,
                    None,
                    "the chain head is missing, so its events are unverified",
                )
            )
    for chain in AuditChain.objects.order_by("key"):
        clinic_id = None if chain.key == "global" else int(chain.key.split(":", 1)[1])
        expected_previous = GENESIS_HASH
        expected_sequence = 1
        for event in _chain_events(chain.key, clinic_id):
            if event.sequence != expected_sequence:
                problems.append(
                    ChainProblem(
                        clinic_id,
                        expected_sequence,
                        None,
                        f"events {expected_sequence}..{event.sequence - 1} are missing "
                        f"(deleted?) before event id {event.pk}",
                    )
                )
            elif event.previous_hash != expected_previous:
                problems.append(
                    ChainProblem(
                        clinic_id, event.sequence, event.pk, "link to the previous event is broken"
                    )
                )
            if compute_hash(event) != event.hash:
                problems.append(
                    ChainProblem(
                        clinic_id,
                        event.sequence,
                        event.pk,
                        f"content does not match its hash (edited?) [{event.event_type}]",
                    )
                )
            expected_previous = event.hash
            expected_sequence = event.sequence + 1
        if expected_sequence - 1 != chain.last_sequence or expected_previous != chain.last_hash:
            problems.append(
                ChainProblem(
                    clinic_id,
                    chain.last_sequence,
                    None,
                    "the newest events are missing (deleted from the end of the chain?)",
                )
            )
    return problems
