"""The audit trail: who did what to which record, when, from which request."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited action: a change to data, or the opening of a patient's record.

    Events of a clinic form a hash chain (``previous_hash`` → ``hash``) so that editing or
    deleting a row is detectable by ``pistor audit verify``. Rows are never updated.
    """

    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Sequence within the clinic's chain, so the order is unambiguous on every database.
    sequence = models.PositiveBigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    event_type = models.CharField(max_length=80)
    subject_type = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["clinic_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "sequence"], name="audit_unique_sequence"),
            models.UniqueConstraint(
                fields=["sequence"],
                condition=models.Q(clinic__isnull=True),
                name="audit_unique_sequence_global",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "occurred_at"]),
            models.Index(fields=["clinic", "subject_type", "subject_id"]),
            models.Index(fields=["clinic", "event_type"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.sequence}"


class AuditChain(models.Model):
    """The head of one clinic's audit chain, locked while an event is appended.

    Locking this row (not the whole table) serialises appends per clinic, so two requests
    can never both claim the same sequence number or previous hash.
    """

    key = models.CharField(max_length=40, unique=True)  # "clinic:<id>" or "global"
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_sequence}"
