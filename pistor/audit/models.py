"""The audit trail: who did what to which record, when, from which request.

Two tables, both append-only (a database trigger refuses UPDATE and DELETE):

- ``AuditEvent`` rows are written by the request that did the thing, in its transaction,
  with a plain INSERT: no lock is taken, so two requests never wait for each other. Their
  ``id`` (the database's sequence) orders them.
- ``AuditSeal`` rows are written by the sealer (``pistor audit seal``, or the background
  task): each links one event into its clinic's chain at a position, with a keyed hash
  (HMAC-SHA256 with ``PISTOR_AUDIT_KEY``, which is not in the database) over the event's
  content and the previous seal. Sealing writes new rows; an event is never updated.

Signed checkpoints of each chain's head go to a file outside the database
(``pistor.audit.anchor``), so deleting the newest seals, or a whole chain, is also caught.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited action: a change to data, or the opening of a patient's record.

    Written once and never changed. ``id`` is the ordering sequence; the event is bound
    into its clinic's tamper-evident chain by an ``AuditSeal`` shortly after it commits.
    """

    # No index of their own: every read of the trail is by clinic, served by the indexes
    # below that start with it, and each index is written on every record opening (issue 7).
    # Staff accounts are never deleted (PROTECT), so nothing looks events up by actor alone.
    clinic = models.ForeignKey(
        "clinics.Clinic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(max_length=254, blank=True)
    event_type = models.CharField(max_length=80)
    subject_type = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]  # the order events were appended in
        # Every list of the trail is "newest first within one clinic", optionally narrowed
        # by one filter: each index below ends in the id so a page is an index range scan
        # (keyset pagination on id), whatever the size of the trail.
        indexes = [
            models.Index(fields=["clinic", "-id"], name="audit_clinic_id"),
            models.Index(fields=["clinic", "event_type", "-id"], name="audit_clinic_type_id"),
            models.Index(fields=["clinic", "actor", "-id"], name="audit_clinic_actor_id"),
            models.Index(
                fields=["clinic", "subject_type", "subject_id", "-id"],
                name="audit_clinic_subject_id",
            ),
            # With a date filter the page is ordered by time (then id) along this index.
            models.Index(fields=["clinic", "-occurred_at", "-id"], name="audit_clinic_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} (event {self.pk})"


class AuditSeal(models.Model):
    """The link binding one event into its clinic's chain, written by the sealer.

    ``event_digest`` is the SHA-256 of the event's content when it was sealed; ``mac`` is
    HMAC-SHA256(key, chain, position, event id, event_digest, previous mac). Without the
    key, nobody can write a seal that verifies, so edited, forged or re-ordered events
    show up; checkpoints outside the database catch seals deleted from the end.
    """

    chain = models.CharField(max_length=40)  # "clinic:<id>" or "global"
    position = models.PositiveBigIntegerField()
    # Deliberately not a foreign key: a seal must outlive (and so report) a deleted event.
    event_id = models.BigIntegerField(unique=True)
    event_digest = models.CharField(max_length=64)
    previous_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="audit_seal_position"),
        ]

    def __str__(self) -> str:
        return f"{self.chain} @ {self.position}"


class AuditSealerState(models.Model):
    """Where the sealer has got to: one row, locked while a seal runs.

    Only the sealer writes it (never a request), so the lock it holds never delays a
    request. ``scan_from_id`` bounds the search for unsealed events to recent ids; it only
    advances past ids sealed more than a grace period ago, so an event whose transaction
    committed late (after a newer one) is still found. ``pistor audit seal --full``
    searches the whole trail.
    """

    scan_from_id = models.BigIntegerField(default=0)
    pending_floor_id = models.BigIntegerField(default=0)
    pending_floor_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sealer from id {self.scan_from_id}"


class AuditChain(models.Model):
    """The head of one chain (a clinic's, or the global one), kept by the sealer only.

    A cache of the newest seal, so sealing and checkpointing need not search the seals;
    verification trusts the seals and the signed checkpoints, never this row.
    """

    key = models.CharField(max_length=40, unique=True)  # "clinic:<id>" or "global"
    last_position = models.PositiveBigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_position}"
