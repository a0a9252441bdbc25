"""The signed-record lifecycle: draft, then signed with its content hash, then immutable.

A clinical document that someone signs (a consent, an allergy-test reading, a treatment
session's sign-off) subclasses ``SignedRecord``. Until it is signed it is a draft that
may change; ``pistor.records.services.record_sign`` freezes it: the exact content it shows
is stored as canonical JSON with its SHA-256, with signer and time. From then on the
database itself refuses an UPDATE or DELETE of the row (see ``pistor.records.guard``).
A correction is an ``Addendum`` shown beside the original; a withdrawal is a
``Withdrawal``, a new record that says who, when and why.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.records.constants import RecordStatus


class SignedRecord(ClinicScopedModel):
    """Abstract base of every signable clinical document (draft → signed → immutable).

    Subclasses implement ``signable_content()``: the exact content the signer saw, as a
    JSON-serialisable dict. Add ``guard_signed_rows(<table>)`` to the model's migration.
    """

    status = models.CharField(
        max_length=10, choices=RecordStatus.choices, default=RecordStatus.DRAFT, db_index=True
    )
    content = models.JSONField(
        default=dict,
        blank=True,
        help_text="The exact content that was signed, as it read at the time of signing.",
    )
    content_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the canonical JSON of the content."
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member of staff who signed (or countersigned) and so froze the record.",
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=RecordStatus.DRAFT)
                | (
                    models.Q(status=RecordStatus.SIGNED)
                    & models.Q(signed_at__isnull=False)
                    & ~models.Q(content_sha256="")
                ),
                name="%(app_label)s_%(class)s_signed_complete",
            )
        ]

    @property
    def is_signed(self) -> bool:
        return self.status == RecordStatus.SIGNED

    @property
    def record_type(self) -> str:
        return self._meta.label_lower

    def signable_content(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


class Addendum(ClinicScopedModel):
    """A correction or note added to a signed record after signing, shown beside it.

    The original never changes; the addendum says who wrote it, when and why, and is
    itself immutable once written (guarded like a signed row).
    """

    record_type = models.CharField(max_length=100, help_text="app_label.model of the record.")
    record_id = models.BigIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    text = models.TextField(help_text="The correction or additional information.")
    reason = models.TextField(help_text="Why it was added after signing.")

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id"])]
        ordering = ["written_at", "pk"]


class Withdrawal(ClinicScopedModel):
    """The withdrawal of a signed record (a patient withdrawing consent, say).

    A new record, never an edit of the original: who withdrew, when and why. A record can
    be withdrawn once; once written the withdrawal is itself immutable.
    """

    record_type = models.CharField(max_length=100, help_text="app_label.model of the record.")
    record_id = models.BigIntegerField()
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField()
    reason = models.TextField(help_text="Why, in the patient's or clinician's words.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id"], name="records_withdrawal_once"
            )
        ]
