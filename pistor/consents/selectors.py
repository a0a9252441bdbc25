"""Reading consents: one patient's consents, one consent, the consent covering a plan."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pistor.consents.constants import ConsentKind
from pistor.consents.models import Consent
from pistor.core.errors import NotFound
from pistor.records.models import Addendum, Withdrawal
from pistor.records.selectors import (
    record_addenda_list,
    record_withdrawal_get,
    record_withdrawals_map,
)

_MAX_ID = 2**63 - 1


def consent_get(*, clinic_id: int, pk: int) -> Consent:
    """One consent of the clinic; another clinic's answers NotFound, like a missing one."""
    if not 0 < int(pk) <= _MAX_ID:
        raise NotFound("No such consent.")
    consent = (
        Consent.objects.for_clinic(clinic_id)
        .select_related("signed_by", "created_by", "clinic")
        .filter(pk=pk)
        .first()
    )
    if consent is None:
        raise NotFound("No such consent.")
    return consent


@dataclass(frozen=True)
class ConsentState:
    consent: Consent
    withdrawal: Withdrawal | None

    @property
    def status(self) -> str:
        if self.withdrawal is not None:
            return "withdrawn"
        if self.consent.is_signed:
            return "signed"
        if self.consent.patient_has_signed:
            return "awaiting countersignature"
        return "awaiting patient signature"

    @property
    def in_force(self) -> bool:
        return self.consent.is_signed and self.withdrawal is None


def consent_state_get(*, consent: Consent) -> ConsentState:
    return ConsentState(consent=consent, withdrawal=record_withdrawal_get(record=consent))


def consent_addenda(*, consent: Consent) -> list[Addendum]:
    return record_addenda_list(record=consent)


def consent_list(*, clinic_id: int, patient_id: int, limit: int = 200) -> list[ConsentState]:
    """The patient's consents, newest first, with withdrawals: two queries."""
    consents = list(
        Consent.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .select_related("signed_by")
        .defer("patient_signature", "countersignature", "sections", "content")
        .order_by("-created_at", "-pk")[:limit]
    )
    withdrawals = record_withdrawals_map(
        clinic_id=clinic_id,
        record_type=Consent._meta.label_lower,
        record_ids=[c.pk for c in consents],
    )
    return [ConsentState(consent=c, withdrawal=withdrawals.get(c.pk)) for c in consents]


def consent_covering(
    *, clinic_id: int, patient_id: int, indication_code: str, product_codes: Iterable[str]
) -> ConsentState | None:
    """The newest signed, not withdrawn treatment consent covering this indication and
    every one of these products; None if there is none. Two queries."""
    needed = set(product_codes)
    candidates = list(
        Consent.objects.for_clinic(clinic_id)
        .filter(
            patient_id=patient_id,
            kind=ConsentKind.TREATMENT,
            indication_code=indication_code,
            status="signed",
        )
        .defer("patient_signature", "countersignature", "sections", "content")
        .order_by("-signed_at", "-pk")[:50]
    )
    withdrawals = record_withdrawals_map(
        clinic_id=clinic_id,
        record_type=Consent._meta.label_lower,
        record_ids=[c.pk for c in candidates],
    )
    for consent in candidates:
        if consent.pk in withdrawals:
            continue
        if needed <= set(consent.product_codes):
            return ConsentState(consent=consent, withdrawal=None)
    return None
