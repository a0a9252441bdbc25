"""Reading what was added to signed records after signing (addenda, withdrawals)."""

from __future__ import annotations

from collections.abc import Iterable

from pistor.records.models import Addendum, SignedRecord, Withdrawal


def record_addenda_list(*, record: SignedRecord) -> list[Addendum]:
    """The record's addenda, oldest first, with their authors. One query."""
    return list(
        Addendum.objects.for_clinic(record.clinic_id)
        .filter(record_type=record.record_type, record_id=record.pk)
        .select_related("author")
        .order_by("written_at", "pk")
    )


def record_addenda_map(
    *, clinic_id: int, record_type: str, record_ids: Iterable[int]
) -> dict[int, list[Addendum]]:
    """Addenda of many records of one type at once (for lists), oldest first: one query."""
    found: dict[int, list[Addendum]] = {}
    rows = (
        Addendum.objects.for_clinic(clinic_id)
        .filter(record_type=record_type, record_id__in=list(record_ids))
        .select_related("author")
        .order_by("written_at", "pk")
    )
    for addendum in rows:
        found.setdefault(addendum.record_id, []).append(addendum)
    return found


def record_withdrawal_get(*, record: SignedRecord) -> Withdrawal | None:
    return (
        Withdrawal.objects.for_clinic(record.clinic_id)
        .filter(record_type=record.record_type, record_id=record.pk)
        .select_related("withdrawn_by")
        .first()
    )


def record_withdrawals_map(
    *, clinic_id: int, record_type: str, record_ids: Iterable[int]
) -> dict[int, Withdrawal]:
    """Withdrawals of many records of one type at once (for lists): one query."""
    rows = (
        Withdrawal.objects.for_clinic(clinic_id)
        .filter(record_type=record_type, record_id__in=list(record_ids))
        .select_related("withdrawn_by")
    )
    return {w.record_id: w for w in rows}
