"""Writing to the audit trail, sealing it into chains, and checking nobody rewrote it.

``audit_record`` is a plain INSERT in the caller's transaction: the event commits or rolls
back with the change it records, and no lock is taken, so record openings never queue
behind each other. ``audit_seal`` (run by the background task after commits, by
``pistor worker`` every few seconds, and by ``pistor audit seal``) links unsealed events
into their clinic's chain and appends a signed checkpoint. ``audit_verify_report`` checks
the seals, the events and the latest checkpoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from pistor.audit.anchor import (
    GENESIS_MAC,
    checkpoint_latest,
    checkpoint_read,
    checkpoint_write,
    seal_mac,
)
from pistor.audit.events import VIEW_EVENTS, AuditEventType
from pistor.audit.models import AuditChain, AuditEvent, AuditSeal, AuditSealerState
from pistor.core.context import current_request_id
from pistor.core.rows import model_insert

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic

logger = logging.getLogger(__name__)

GENESIS_HASH = GENESIS_MAC
P = ParamSpec("P")
SEAL_BATCH = 2000


def _json_safe(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip through JSON so what we hash is exactly what the database gives back.
    if value is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))
    return result


def chain_key(clinic_id: int | None) -> str:
    return f"clinic:{clinic_id}" if clinic_id is not None else "global"


def _chain_clinic(key: str) -> int | None:
    return None if key == "global" else int(key.split(":", 1)[1])


DIGEST_FIELDS = (
    "id",
    "clinic_id",
    "actor_id",
    "actor_label",
    "event_type",
    "subject_type",
    "subject_id",
    "request_id",
    "occurred_at",
    "before",
    "after",
)


def _digest(values: Mapping[str, Any]) -> str:
    payload = {
        "id": values["id"],
        "clinic": values["clinic_id"],
        "actor": values["actor_id"],
        "actor_label": values["actor_label"],
        "event_type": str(values["event_type"]),
        "subject_type": values["subject_type"],
        "subject_id": values["subject_id"],
        "request_id": values["request_id"],
        "occurred_at": values["occurred_at"].astimezone(dt.UTC).isoformat(),
        "before": values["before"],
        "after": values["after"],
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_digest(event: AuditEvent) -> str:
    """SHA-256 of everything the event says, its id included."""
    return _digest({name: getattr(event, name) for name in DIGEST_FIELDS})


# Kept for callers of the earlier name.
compute_hash = event_digest


def audit_event(
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
    """The event ``audit_record`` writes, built and not yet written.

    For a read that writes its event in its own statement (``core.rows.model_get`` with
    ``insert=``): the caller then calls ``audit_written``. Everyone else: ``audit_record``.
    """
    # One list of event types (events.py): a code missing from it would show raw in the
    # trail and escape its filter, so an unknown one is a programming error, caught here.
    event_type = AuditEventType(event_type)
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent(
        clinic_id=clinic.pk if clinic is not None else None,
        actor=actor if authenticated else None,
        actor_label=actor.email if authenticated and actor is not None else "",
        event_type=str(event_type),
        subject_type=subject_type,
        subject_id=str(subject_id),
        request_id=request_id or current_request_id(),
        occurred_at=timezone.now(),
        before=_json_safe(before),
        after=_json_safe(after),
    )


def audit_waits_for_flush(event: AuditEvent) -> bool:
    """Whether committing ``event`` on its own waits for the database to flush it to disk.

    An event that records only that someone looked (``VIEW_EVENTS``), committed by itself,
    does not wait on PostgreSQL: the wait made every record opening about 0.5 ms slower
    (benchmarks/README.md, issue 7). A crash of the database server within a fraction of
    a second of the commit can then lose that one event, never corrupt the trail: the
    sealer's own commit waits for the flush, which carries every event it sealed to disk
    with it, so a sealed event is never lost. The embedded SQLite default already commits
    every transaction this way (WAL with ``synchronous=NORMAL``). Every change's event
    commits with the change and waits. ``PISTOR_AUDIT_READS_WAIT_FOR_FLUSH=1`` makes read
    events wait too.
    """
    return settings.AUDIT_READS_WAIT_FOR_FLUSH or event.event_type not in VIEW_EVENTS


def _appended(build: Callable[P, AuditEvent]) -> Callable[P, AuditEvent]:
    # audit_record takes exactly audit_event's arguments: one signature, checked as one.
    def audit_record(*args: P.args, **kwargs: P.kwargs) -> AuditEvent:
        """Append one event inside the caller's transaction: one INSERT, no lock.

        Called by every service that changes data, so the change and its audit event
        commit or roll back together (the opening of a record writes its event with the
        patient's row: ``patients.access``). Takes ``audit_event``'s arguments. The event
        is sealed into its clinic's chain after the commit (see ``audit_seal``).
        """
        event = build(*args, **kwargs)
        # The ORM's INSERT without compiling it: pages write one on every visit (issue 7).
        model_insert(event, waits_for_flush=audit_waits_for_flush(event))
        audit_written()
        return event

    return audit_record


audit_record = _appended(audit_event)


# --- sealing ---------------------------------------------------------------------------

_last_seal_request = 0.0


def audit_written() -> None:
    """After events are written: have them sealed once the transaction commits."""
    # One seal request per transaction, however many events it writes.
    pending = getattr(connection, "run_on_commit", [])
    if any(entry[1] is _request_seal for entry in pending):
        return
    transaction.on_commit(_request_seal, robust=True)


def _request_seal() -> None:
    """After a commit: ask for a seal, at most once per coalescing interval per process.

    Events committed inside the interval are sealed by the next request's seal or by
    ``pistor worker``'s periodic seal, whichever comes first.
    """
    global _last_seal_request
    now = time.monotonic()
    if now - _last_seal_request < settings.AUDIT_SEAL_COALESCE_SECONDS:
        return
    _last_seal_request = now
    from pistor.audit.tasks import seal_audit_trail

    try:
        seal_audit_trail.enqueue()
    except Exception:  # the write has committed; the worker will seal it
        logger.exception("Could not request an audit seal; the worker will seal later.")


@dataclass
class SealResult:
    sealed: int = 0
    chains: set[str] = field(default_factory=set)
    skipped: bool = False  # another sealer held the lock
    fetched: int = 0
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)  # chains that disagree with their anchor


def _lock_sealer(*, wait: bool) -> AuditSealerState | None:
    AuditSealerState.objects.get_or_create(pk=1)
    query = AuditSealerState.objects.filter(pk=1)
    if connection.features.has_select_for_update_nowait and not wait:
        query = query.select_for_update(nowait=True)
    else:
        query = query.select_for_update()
    try:
        # In a savepoint: a refused NOWAIT lock must not poison the outer transaction.
        with transaction.atomic():
            return query.get()
    except DatabaseError:
        return None


def _chain_filter(key: str) -> Q:
    clinic_id = _chain_clinic(key)
    return Q(clinic__isnull=True) if clinic_id is None else Q(clinic_id=clinic_id)


def _head_agrees(head: AuditChain, anchored: tuple[int, str] | None) -> bool:
    """Whether the chain in the database still ends as the sealer and the anchor left it.

    The head row is only the sealer's working copy: if it, the newest seal or the seal at
    the anchored position disagree, someone changed the chain, and sealing on top of it
    would sign their change into the next checkpoint.
    """
    newest = (
        AuditSeal.objects.filter(chain=head.key)
        .order_by("-position")
        .values_list("position", "mac")
        .first()
    ) or (0, GENESIS_MAC)
    if newest != (head.last_position, head.last_mac):
        return False
    if anchored is None:
        return True
    position, mac = anchored
    if newest[0] < position:
        return False
    at = (
        AuditSeal.objects.filter(chain=head.key, position=position)
        .values_list("mac", flat=True)
        .first()
    )
    return position == 0 or at == mac


def _seal_batch(
    *, full: bool, batch: int, wait: bool, refused: set[str], anchor: dict[str, tuple[int, str]]
) -> SealResult:
    result = SealResult()
    with transaction.atomic():
        state = _lock_sealer(wait=wait)
        if state is None:
            result.skipped = True
            return result
        floor = 0 if full else state.scan_from_id
        # Plain values, not model instances: sealing is hashing, and the ORM's per-row
        # cost would be most of it.
        candidates = AuditEvent.objects.filter(id__gt=floor).filter(
            ~Exists(AuditSeal.objects.filter(event_id=OuterRef("pk")))
        )
        for key in refused:
            candidates = candidates.exclude(_chain_filter(key))
        events = list(candidates.order_by("id").values(*DIGEST_FIELDS)[:batch])
        result.fetched = len(events)
        now = timezone.now()
        keys = {chain_key(e["clinic_id"]) for e in events}
        heads = {c.key: c for c in AuditChain.objects.filter(key__in=keys)}
        for key in keys - heads.keys():
            heads[key] = AuditChain.objects.create(key=key)
        for key in keys:
            if not _head_agrees(heads[key], anchor.get(key)):
                result.refused.add(key)
                logger.error(
                    "Audit chain %s does not end as its last seal and checkpoint say: not "
                    "sealing it; run 'pistor audit verify'.",
                    key,
                )
        events = [e for e in events if chain_key(e["clinic_id"]) not in result.refused]
        keys -= result.refused
        if events:
            rows = []
            for event in events:
                head = heads[chain_key(event["clinic_id"])]
                position = head.last_position + 1
                digest = _digest(event)
                mac = seal_mac(
                    chain=head.key,
                    position=position,
                    event_id=event["id"],
                    digest=digest,
                    previous=head.last_mac,
                )
                rows.append((head.key, position, event["id"], digest, head.last_mac, mac))
                head.last_position, head.last_mac = position, mac
            _insert_seals(rows, sealed_at=now)
            for head in heads.values():
                head.save(update_fields=["last_position", "last_mac"])
            result.sealed = len(events)
            result.chains = keys
            result.heads = {k: (heads[k].last_position, heads[k].last_mac) for k in keys}
        # Advance the scan floor only past ids that were sealed a grace period ago: a
        # transaction that took a lower id but committed later has had time to commit.
        grace = dt.timedelta(seconds=settings.AUDIT_SEAL_GRACE_SECONDS)
        if state.pending_floor_at is None or now - state.pending_floor_at >= grace:
            if state.pending_floor_at is not None:
                state.scan_from_id = max(state.scan_from_id, state.pending_floor_id)
            newest = AuditSeal.objects.order_by("-event_id").values_list("event_id", flat=True)
            state.pending_floor_id = newest.first() or 0
            state.pending_floor_at = now
            state.save()
    return result


def _insert_seals(rows: list[tuple[str, int, int, str, str, str]], *, sealed_at: Any) -> None:
    # executemany rather than bulk_create: the same INSERT, without building a model per row.
    table = connection.ops.quote_name(AuditSeal._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(c)
        for c in (
            "chain",
            "position",
            "event_id",
            "event_digest",
            "previous_mac",
            "mac",
            "sealed_at",
        )
    )
    stamp = AuditSeal._meta.get_field("sealed_at").get_db_prep_save(sealed_at, connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [(*row, stamp) for row in rows],
        )


def audit_seal(*, full: bool = False, batch: int = SEAL_BATCH, wait: bool = True) -> SealResult:
    """Seal every unsealed event, then append a signed checkpoint of all chain heads.

    ``full`` searches the whole trail for unsealed events rather than the recent ids.
    With ``wait=False`` (the after-commit task) a sealer already running means there is
    nothing to do here: it, or the worker's next round, seals these events.
    """
    total = SealResult()
    anchor = checkpoint_latest()
    anchored = dict(anchor.chains) if anchor is not None else {}
    while True:
        try:
            result = _seal_batch(
                full=full, batch=batch, wait=wait, refused=total.refused, anchor=anchored
            )
        except IntegrityError:
            # Two sealers on a database without row locks raced for the same position;
            # the other one won, and everything it saw is sealed.
            total.skipped = True
            break
        total.sealed += result.sealed
        total.chains |= result.chains
        total.refused |= result.refused
        total.heads.update(result.heads)
        total.skipped = total.skipped or result.skipped
        if result.skipped or result.fetched < batch:
            break
    if total.heads:
        # Cumulative: chains not sealed this time keep their anchored head, so a chain
        # deleted from the database stays in every later checkpoint.
        checkpoint_write({**anchored, **total.heads})
    return total


def audit_checkpoint() -> None:
    """Append a signed checkpoint: the latest one's heads, updated from the sealer's."""
    anchor = checkpoint_latest()
    heads = dict(anchor.chains) if anchor is not None else {}
    for chain in AuditChain.objects.all():
        if _head_agrees(chain, heads.get(chain.key)):
            heads[chain.key] = (chain.last_position, chain.last_mac)
    checkpoint_write(heads)


# --- verifying -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    clinic_id: int | None
    sequence: int  # the position in the chain
    event_id: int | None
    problem: str

    @property
    def position(self) -> int:
        return self.sequence

    def __str__(self) -> str:
        where = f"clinic {self.clinic_id}" if self.clinic_id is not None else "global chain"
        ident = f"event id {self.event_id}" if self.event_id is not None else "no event"
        return f"{where}, position {self.sequence} ({ident}): {self.problem}"


@dataclass
class VerifyReport:
    problems: list[ChainProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    sealed: int = 0
    unsealed: int = 0
    checkpoint_line: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _seals(key: str) -> Iterator[list[AuditSeal]]:
    last = 0
    while True:
        chunk = list(
            AuditSeal.objects.filter(chain=key, position__gt=last).order_by("position")[:2000]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].position


def _verify_chain(key: str, anchored: tuple[int, str] | None, report: VerifyReport) -> None:
    clinic_id = _chain_clinic(key)

    def problem(position: int, event_id: int | None, text: str) -> None:
        report.problems.append(ChainProblem(clinic_id, position, event_id, text))

    expected_position, previous = 1, GENESIS_MAC
    found_anchor_mac = ""
    anchored_position = anchored[0] if anchored else 0
    for chunk in _seals(key):
        events = AuditEvent.objects.in_bulk([s.event_id for s in chunk])
        for seal in chunk:
            report.sealed += 1
            if seal.position != expected_position:
                problem(
                    expected_position,
                    None,
                    f"the seals at positions {expected_position}..{seal.position - 1} are "
                    f"missing (deleted), before event id {seal.event_id}",
                )
            mac = seal_mac(
                chain=key,
                position=seal.position,
                event_id=seal.event_id,
                digest=seal.event_digest,
                previous=previous,
            )
            if not hmac.compare_digest(mac, seal.mac) or seal.previous_mac != previous:
                beyond = seal.position > anchored_position
                problem(
                    seal.position,
                    seal.event_id,
                    "its seal does not verify with the audit key: "
                    + (
                        "an event appended after the latest checkpoint by someone without the "
                        "key (forged)"
                        if beyond
                        else "the event or its seal was altered and re-hashed without the key"
                    ),
                )
            event = events.get(seal.event_id)
            if event is None:
                problem(seal.position, seal.event_id, "the sealed event is missing (deleted)")
            elif chain_key(event.clinic_id) != key or event_digest(event) != seal.event_digest:
                problem(
                    seal.position,
                    seal.event_id,
                    f"the event's content was altered after it was sealed [{event.event_type}]",
                )
            previous = seal.mac
            if seal.position == anchored_position:
                found_anchor_mac = seal.mac
            expected_position = seal.position + 1
    last_position = expected_position - 1
    if anchored is None:
        if last_position:
            report.notices.append(
                f"{_chain_name(key)}: {last_position} sealed event(s), none anchored by a "
                "checkpoint yet"
            )
        return
    position, mac = anchored
    if last_position == 0 and position > 0:
        problem(
            1,
            None,
            f"the whole chain is missing: the latest checkpoint records {position} sealed "
            "event(s), and none is left (deleted)",
        )
    elif last_position < position:
        problem(
            last_position + 1,
            None,
            f"the newest events are missing: positions {last_position + 1}..{position}, "
            "recorded by the latest checkpoint, are gone (deleted from the end of the chain)",
        )
    elif found_anchor_mac and not hmac.compare_digest(found_anchor_mac, mac):
        problem(
            position,
            None,
            "the chain does not end where the latest checkpoint says: it was rewritten up to here",
        )
    elif last_position > position:
        report.notices.append(
            f"{_chain_name(key)}: positions {position + 1}..{last_position} are sealed but "
            "not yet anchored by a checkpoint"
        )


def _chain_name(key: str) -> str:
    clinic_id = _chain_clinic(key)
    return f"clinic {clinic_id}" if clinic_id is not None else "global chain"


def audit_verify_report() -> VerifyReport:
    """Check every chain's seals and events against the key and the latest checkpoint.

    Problems name the first altered or missing event of each kind; events not yet sealed
    are counted as notices (they are protected once the sealer has run).
    """
    report = VerifyReport()
    checkpoints = checkpoint_read()
    for line in checkpoints.bad_lines:
        report.problems.append(
            ChainProblem(
                None,
                0,
                None,
                f"checkpoint line {line} of {checkpoints.path} does not verify with the audit "
                "key (altered, or the key is not the one that signed it)",
            )
        )
    if checkpoints.bad_lines and checkpoints.latest is None:
        report.problems.insert(
            0,
            ChainProblem(
                None,
                0,
                None,
                "no checkpoint verifies with this audit key: if PISTOR_AUDIT_KEY is not the key "
                "this trail was sealed with, every seal below fails too",
            ),
        )
    anchored = checkpoints.latest.chains if checkpoints.latest else {}
    report.checkpoint_line = checkpoints.latest.line if checkpoints.latest else None
    keys = set(anchored) | set(AuditSeal.objects.values_list("chain", flat=True).distinct())
    for key in sorted(keys, key=lambda k: (k != "global", len(k), k)):
        _verify_chain(key, anchored.get(key), report)
    report.unsealed = (
        AuditEvent.objects.filter(~Exists(AuditSeal.objects.filter(event_id=OuterRef("pk"))))
        .order_by()
        .count()
    )
    if report.unsealed:
        report.notices.append(
            f"{report.unsealed} event(s) are not sealed yet; run 'pistor audit seal' (they "
            "carry no tamper evidence until sealed)"
        )
    return report


def audit_verify() -> list[ChainProblem]:
    """The problems ``audit_verify_report`` finds (empty when the trail is intact)."""
    return audit_verify_report().problems
