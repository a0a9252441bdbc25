"""Reads of the patient registry, each a fixed number of queries whatever the clinic's size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pistor.core.errors import NotFound
from pistor.patients.models import Patient
from pistor.patients.search import split_query

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic

MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1


def patient_list(
    *,
    clinic: Clinic,
    query: str = "",
    include_archived: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Patient], int]:
    """Patients of ``clinic`` matching ``query``, by name, then the total that match.

    Every word must match: names and e-mail ignore case and accents, a number matches the
    record number or phone digits, and a date ("1985-03-02" or UK "02/03/1985") matches
    the date of birth. Archived patients are left out unless asked for. Two queries.
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    qs = Patient.objects.for_clinic(clinic)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    terms, dates = split_query(query or "")
    for term in terms:
        # search_text is stored normalised, so a plain substring test is enough.
        qs = qs.filter(search_text__contains=term)
    for when in dates:
        qs = qs.filter(date_of_birth=when)
    total = qs.count()
    if total == 0 or offset >= total:
        return [], total
    rows = list(qs.order_by("sort_name", "pk")[offset : offset + limit])
    return rows, total


def patient_get(*, clinic: Clinic, pk: Any) -> Patient:
    """One patient of ``clinic`` (archived or not); another clinic's patient is NotFound."""
    try:
        key = int(pk)
        if not 0 < key <= MAX_ID:  # beyond a 64-bit id the database errors instead of missing
            raise ValueError(key)
        return Patient.objects.for_clinic(clinic).select_related("archived_by").get(pk=key)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such patient at this clinic.") from None
