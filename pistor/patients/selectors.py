"""Reads of the patient registry, each a fixed number of queries whatever the clinic's size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from pistor.audit.services import audit_waits_for_flush
from pistor.core.errors import NotFound
from pistor.core.rows import model_get, row_id
from pistor.patients.models import Patient
from pistor.patients.search import MIN_SUBSTRING_TERM, name_key, split_query

if TYPE_CHECKING:
    from pistor.audit.models import AuditEvent
    from pistor.clinics.models import Clinic

MAX_PAGE_SIZE = 200
#: Deepest row a list may start at: past it, a narrower search serves better than paging,
#: and an OFFSET that deep makes the database walk every row it skips.
MAX_OFFSET = 10_000
#: Totals are counted exactly up to here; a larger total is reported as COUNT_LIMIT + 1
#: ("more than 1,000"), so counting costs the same at 20,000 patients and at 2 million.
COUNT_LIMIT = 1_000
# The FTS5 trigram table of pistor.patients.search_index; the match string is a parameter.
_FTS_MATCH = "SELECT rowid FROM patients_patient_fts WHERE patients_patient_fts MATCH %s"
#: How many same-birthday patients the duplicate check reads at most.
_DUPLICATE_SCAN_LIMIT = 500


def _match_substrings(qs: QuerySet[Patient], terms: list[str]) -> QuerySet[Patient]:
    """Rows whose search text contains every term, through the trigram index."""
    if not terms:
        return qs
    if connection.vendor == "sqlite":
        # FTS5's trigram tokenizer: a quoted string is a substring match served by the
        # index; normalised terms hold no quotes or other FTS syntax.
        match = " ".join(f'"{term}"' for term in terms)
        return qs.filter(pk__in=RawSQL(_FTS_MATCH, [match]))  # noqa: S611 - constant SQL
    # PostgreSQL: LIKE '%term%' is served by the pg_trgm GIN index; elsewhere a scan.
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    return qs


def patient_search(
    *, clinic: Clinic, query: str = "", include_archived: bool = False
) -> QuerySet[Patient]:
    """The patients of ``clinic`` matching ``query``, unordered and unevaluated.

    Every word must match. Names and e-mail ignore case, accents and punctuation; a word of
    three characters or more matches anywhere ("brien" finds O'Brien), a shorter one the
    start of a word ("li" finds Li and Lina, not Aline); a number matches the record number
    or phone digits; a date ("1985-03-02" or UK "02/03/1985") matches the date of birth.
    """
    qs: QuerySet[Patient] = Patient.objects.for_clinic(clinic)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    terms, dates = split_query(query or "")
    # The stored text starts each word with a space: " li" is "a word starting with li".
    substrings = [t if len(t) >= MIN_SUBSTRING_TERM else " " + t for t in terms]
    for when in dates:
        qs = qs.filter(date_of_birth=when)
    if dates:
        # A date of birth narrows a clinic to a handful of rows through its own index;
        # testing those few beats intersecting with every name the trigram index holds.
        for term in substrings:
            qs = qs.filter(search_text__contains=term)
        return qs
    qs = _match_substrings(qs, [t for t in substrings if len(t) >= MIN_SUBSTRING_TERM])
    for term in (t for t in substrings if len(t) < MIN_SUBSTRING_TERM):
        # One letter: too short for any trigram index; a scan, bounded by the count cap.
        qs = qs.filter(search_text__contains=term)
    return qs


def patient_list(
    *,
    clinic: Clinic,
    query: str = "",
    include_archived: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Patient], int]:
    """Patients of ``clinic`` matching ``query`` (see ``patient_search``), by name, and the
    total that match (exact up to ``COUNT_LIMIT``, then ``COUNT_LIMIT + 1``).

    Archived patients are left out unless asked for. At most two queries; the page is
    ``limit`` rows (at most ``MAX_PAGE_SIZE``) from ``offset`` (at most ``MAX_OFFSET``).
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, min(int(offset), MAX_OFFSET))
    qs = patient_search(clinic=clinic, query=query, include_archived=include_archived)
    total = qs.order_by()[: COUNT_LIMIT + 1].count()
    if total == 0 or (total <= COUNT_LIMIT and offset >= total):
        return [], total
    if total <= COUNT_LIMIT:
        # Few matches: sort them, rather than walk the clinic's whole name index in order
        # testing each row against the search (which SQLite's planner otherwise prefers).
        # Lower() of the already lower-case column keeps the order and hides the index.
        ordering: list[Any] = [Lower("sort_name"), "pk"]
    else:
        # Many matches: reading the name index in order finds a page of them quickly.
        ordering = ["sort_name", "pk"]
    rows = list(qs.order_by(*ordering)[offset : offset + limit])
    return rows, total


def patient_possible_duplicates(
    *,
    clinic: Clinic,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
) -> list[Patient]:
    """Patients of ``clinic`` (archived included) with the same date of birth and the same
    names once case, accents, punctuation and spaces are set aside. One indexed query."""
    key = name_key(given_name, family_name)
    same_day = (
        Patient.objects.for_clinic(clinic)
        .filter(date_of_birth=date_of_birth)
        .only("pk", "clinic_id", "record_number", "given_name", "family_name", "date_of_birth")
        .order_by("pk")[:_DUPLICATE_SCAN_LIMIT]
    )
    return [p for p in same_day if name_key(p.given_name, p.family_name) == key]


def patient_get(
    *,
    clinic: Clinic,
    pk: Any,
    annotations: Mapping[str, str] | None = None,
    opened: AuditEvent | None = None,
) -> Patient:
    """One patient of ``clinic`` (archived or not); another clinic's patient is NotFound.

    ``annotations`` (name: scalar SQL subquery, with the parameters ``%(clinic)s`` and
    ``%(patient)s``) are read with the row and set on the patient (``core.rows.model_get``).
    ``opened`` (an unsaved audit event) is written if the patient is found, in the same
    statement on PostgreSQL.
    """
    key = row_id(pk)
    # Every page about a patient reads this row first: written as SQL so that it is not
    # compiled on every request (pistor.core.rows). Who archived the record is read only
    # when the record is archived and a page shows it.
    patient = None
    if key is not None:
        patient = model_get(
            Patient,
            "r.id = %(patient)s AND r.clinic_id = %(clinic)s",
            {"patient": key, "clinic": clinic.pk},
            annotations=annotations,
            insert=opened,
            insert_waits_for_flush=opened is None or audit_waits_for_flush(opened),
        )
    if patient is None:
        raise NotFound("No such patient at this clinic.")
    return patient
