"""Consent to treatment and to photographs, signed by the patient and countersigned.

A consent uses the signed-record lifecycle (``pistor.records``): a draft carries the text
rendered from its template (per indication, versioned) and the catalog; the patient signs
(at the desk or through a single-use link) and the practitioner countersigns, which signs
the record: its exact text, both signatures' hashes, the times and the template version
are frozen with their SHA-256, and the database refuses any later change.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from pistor.consents.constants import ConsentKind
from pistor.core.models import ClinicScopedModel
from pistor.records.models import SignedRecord


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


class Consent(SignedRecord):
    """A patient's informed consent to a course of treatment for one indication, or to
    the taking and use of photographs; valid once both the patient and the practitioner
    have signed, and until it is withdrawn."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    indication_code = models.CharField(max_length=60, blank=True)
    template_version = models.CharField(max_length=40)
    catalog_version = models.CharField(max_length=40)
    product_codes = models.JSONField(
        default=list, blank=True, help_text="The products this consent covers."
    )
    photo_uses = models.JSONField(
        default=list, blank=True, help_text="What the patient allows photographs to be used for."
    )
    sections = models.JSONField(
        default=list, help_text="The text shown to the patient: a list of headed sections."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    patient_signature = models.BinaryField(null=True, blank=True, editable=False)
    patient_signed_name = models.CharField(max_length=200, blank=True)
    patient_signed_at = models.DateTimeField(null=True, blank=True)
    patient_signed_via = models.CharField(max_length=10, blank=True)  # "desk" or "link"
    countersignature = models.BinaryField(null=True, blank=True, editable=False)

    class Meta(SignedRecord.Meta):
        indexes = [models.Index(fields=["clinic", "patient", "kind"])]

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.kind})"

    @property
    def patient_has_signed(self) -> bool:
        return self.patient_signed_at is not None

    def signable_content(self) -> dict[str, Any]:
        return {
            "consent": self.pk,
            "clinic": self.clinic_id,
            "patient": self.patient_id,
            "kind": self.kind,
            "indication": self.indication_code,
            "template_version": self.template_version,
            "catalog_version": self.catalog_version,
            "products": list(self.product_codes),
            "photo_uses": list(self.photo_uses),
            "sections": self.sections,
            "patient_signature": {
                "name": self.patient_signed_name,
                "signed_at": self.patient_signed_at,
                "via": self.patient_signed_via,
                "png_sha256": _sha256(bytes(self.patient_signature or b"")),
            },
            "countersignature_png_sha256": _sha256(bytes(self.countersignature or b"")),
        }


class ConsentLink(ClinicScopedModel):
    """A single-use, expiring link sent to a patient to read and sign a consent on their
    own device. Only the SHA-256 of the token is stored, so the database cannot give the
    link away."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="links")
    token_sha256 = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
