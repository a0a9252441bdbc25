"""The registry at scale: indexed search, lean registration, duplicates, audited lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.core.errors import ValidationFailed
from pistor.patients.models import Patient, PatientNumberSequence
from pistor.patients.search import name_key, normalise, split_query
from pistor.patients.search_index import FTS_TABLE, create_search_index
from pistor.patients.selectors import COUNT_LIMIT, patient_list, patient_possible_duplicates
from pistor.patients.services import (
    PossibleDuplicate,
    patient_create,
    patient_update,
    refusal_from_integrity_error,
)
from pistor.patients.tests.factories import PatientFactory, build_patients
from tests.api.helpers import ApiClient, token_for

pytestmark = pytest.mark.django_db

NEW: dict[str, Any] = {
    "given_name": "Siobhán",
    "family_name": "O'Brien",
    "date_of_birth": dt.date(1979, 6, 14),
    "sex": "female",
}


def _names(rows: list[Patient]) -> list[str]:
    return sorted(f"{p.given_name} {p.family_name}" for p in rows)


# --- normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Smith-Jones", "smithjones"),
        ("  MARÍA   José ", "maria jose"),
        ("st. john", "st john"),
        ("a_b", "ab"),
    ],
)
def test_normalise_drops_case_accents_and_punctuation(text, expected):
    assert normalise(text) == expected


def test_name_key_ignores_spaces_between_parts_of_a_name():
    assert name_key("Mary-Jane", "O'Brien") == name_key("mary jane", "OBRIEN")
    assert name_key("Mary", "Jane Obrien") != name_key("Mary Jane", "Obrien")


def test_a_query_of_only_punctuation_has_no_terms():
    assert split_query("' - .") == ([], [])


# --- search -----------------------------------------------------------------------------


@pytest.fixture
def people(clinic, practitioner):
    rows = [
        ("Siobhán", "O'Brien", "+353 87 123 4567"),
        ("Li", "Wei", ""),
        ("Aline", "Smith-Jones", ""),
        ("Lina", "Dupont", ""),
        ("Jean-Luc", "D'Arcy", "07700 900456"),
    ]
    for i, (given, family, phone) in enumerate(rows):
        patient_create(
            clinic=clinic,
            actor=practitioner,
            given_name=given,
            family_name=family,
            date_of_birth=dt.date(1970 + i, 1, 1),
            phone=phone,
        )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("obrien", ["Siobhán O'Brien"]),
        ("o'brien", ["Siobhán O'Brien"]),
        ("O’BRIEN", ["Siobhán O'Brien"]),
        ("siobhan", ["Siobhán O'Brien"]),
        ("brien", ["Siobhán O'Brien"]),  # three letters or more: anywhere in a word
        ("smith jones", ["Aline Smith-Jones"]),
        ("smithjones", ["Aline Smith-Jones"]),
        ("jean-luc darcy", ["Jean-Luc D'Arcy"]),
        ("li", ["Li Wei", "Lina Dupont"]),  # two letters: the start of a word only
        ("wei li", ["Li Wei"]),
        ("o", ["Siobhán O'Brien"]),
        ("lin", ["Aline Smith-Jones", "Lina Dupont"]),
        ("123 4567", ["Siobhán O'Brien"]),
        ("07700900456", ["Jean-Luc D'Arcy"]),
        ("zz", []),
        ("'", ["Aline Smith-Jones", "Jean-Luc D'Arcy", "Li Wei", "Lina Dupont", "Siobhán O'Brien"]),
    ],
)
def test_search_ignores_punctuation_and_treats_short_terms_as_word_starts(
    clinic, people, query, expected
):
    rows, total = patient_list(clinic=clinic, query=query)
    assert _names(rows) == expected
    assert total == len(expected)


def test_the_index_follows_edits(clinic, practitioner, people):
    patient = patient_list(clinic=clinic, query="dupont")[0][0]
    patient_update(patient=patient, actor=practitioner, family_name="Moreau")
    assert patient_list(clinic=clinic, query="dupont")[1] == 0
    assert _names(patient_list(clinic=clinic, query="moreau")[0]) == ["Lina Moreau"]


def test_the_index_follows_bulk_inserts_and_deletes(clinic):
    build_patients(clinic, 3)
    assert patient_list(clinic=clinic, query="given1")[1] == 1
    Patient.objects.for_clinic(clinic).filter(given_name="Given1").delete()
    assert patient_list(clinic=clinic, query="given1")[1] == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")
def test_sqlite_search_uses_the_trigram_table(clinic, people):
    with CaptureQueriesContext(connection) as captured:
        patient_list(clinic=clinic, query="obrien")
    assert any(f"{FTS_TABLE} MATCH" in q["sql"] for q in captured.captured_queries)
    # Put back after a table rebuild (what a later migration on SQLite does): idempotent.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER patients_patient_fts_ai")
    create_search_index(connection)
    PatientFactory.create(clinic=clinic, given_name="Rebuilt", family_name="Index")
    assert patient_list(clinic=clinic, query="rebuilt")[1] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pg_trgm index")
def test_postgres_has_the_trigram_index(clinic):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'patients_patient_search_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition


def test_totals_are_counted_up_to_a_limit(clinic, monkeypatch):
    monkeypatch.setattr("pistor.patients.selectors.COUNT_LIMIT", 5)
    build_patients(clinic, 8)
    rows, total = patient_list(clinic=clinic, limit=3)
    assert (len(rows), total) == (3, 6)  # "more than 5"
    # Paging goes on past the counted total while there are rows.
    rows, total = patient_list(clinic=clinic, limit=3, offset=6)
    assert (len(rows), total) == (2, 6)
    assert [p.family_name for p in rows] == ["Family0006", "Family0007"]


def test_the_list_page_says_more_than_the_limit(staff_client_factory, clinic):
    build_patients(clinic, COUNT_LIMIT + 30)
    page = staff_client_factory().get(reverse("patients:list")).content.decode()
    assert f"of more than {COUNT_LIMIT} patients" in page
    assert 'rel="next"' in page


@pytest.fixture
def staff_client_factory(client, practitioner):
    return lambda: signed_in_client(client, practitioner)


# --- registration -----------------------------------------------------------------------


def test_registering_a_patient_takes_at_most_12_statements(clinic, practitioner):
    patient_create(clinic=clinic, actor=practitioner, **NEW)  # the clinic's counter exists
    build_patients(clinic, 50)
    other = {**NEW, "given_name": "Aoife", "phone": "+353 87 765 4321", "fitzpatrick_type": 2}
    with CaptureQueriesContext(connection) as captured:
        patient = patient_create(clinic=clinic, actor=practitioner, **other)
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) <= 12, "\n".join(statements)
    assert patient.record_number == "P-000002"
    # No re-check in SQL of what the constraints enforce (record number uniqueness).
    assert not any('"record_number" =' in sql for sql in statements)


def test_the_registration_page_does_not_recheck_constraints_in_sql(client, clinic, practitioner):
    staff = signed_in_client(client, practitioner)
    form = {"given_name": "Aoife", "family_name": "Byrne", "date_of_birth": "1990-01-02"}
    form |= {"sex": "female", "fitzpatrick_type": "2", "confirm_not_duplicate": "False"}
    with CaptureQueriesContext(connection) as captured:
        response = staff.post(reverse("patients:create"), form)
    assert response.status_code == 302
    assert not [q["sql"] for q in captured.captured_queries if '"_check"' in q["sql"]]


def test_the_first_patient_of_a_clinic_creates_its_counter(clinic, other_clinic, practitioner):
    assert patient_create(clinic=clinic, actor=practitioner, **NEW).record_number == "P-000001"
    again = patient_create(clinic=clinic, actor=practitioner, confirm_not_duplicate=True, **NEW)
    assert again.record_number == "P-000002"
    elsewhere = patient_create(clinic=other_clinic, actor=None, **NEW)
    assert elsewhere.record_number == "P-000001"
    assert PatientNumberSequence.objects.get(clinic=clinic).last_number == 2


def test_a_refusal_by_the_database_becomes_a_field_message_and_writes_nothing(clinic, practitioner):
    patient_create(clinic=clinic, actor=practitioner, **NEW)
    # A counter set back (a restore, an import) makes the next number collide.
    PatientNumberSequence.objects.filter(clinic=clinic).update(last_number=0)
    events_before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        patient_create(clinic=clinic, actor=practitioner, **{**NEW, "given_name": "Aoife"})
    assert list(caught.value.fields) == ["record_number"]
    assert "already in use" in caught.value.fields["record_number"][0]
    assert Patient.objects.for_clinic(clinic).count() == 1
    assert AuditEvent.objects.count() == events_before
    # The counter's increment was rolled back with the refused row.
    assert PatientNumberSequence.objects.get(clinic=clinic).last_number == 0


def test_check_constraint_refusals_name_their_field(clinic):
    patient = PatientFactory.build(clinic=clinic, record_number="X-1", fitzpatrick_type=9)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        patient.save()
    failed = refusal_from_integrity_error(caught.value)
    assert failed.fields == {"fitzpatrick_type": ["Fitzpatrick skin types run from 1 to 6."]}
    assert failed.status == 422


# --- possible duplicates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "family"),
    [("Siobhán", "O'Brien"), ("SIOBHAN", "obrien"), ("siobhan", "O Brien"), ("Siobhan", "O’Brien")],
)
def test_registering_the_same_name_and_birth_date_asks_first(clinic, practitioner, given, family):
    first = patient_create(clinic=clinic, actor=practitioner, **NEW)
    with pytest.raises(PossibleDuplicate) as caught:
        patient_create(
            clinic=clinic, actor=practitioner, **{**NEW, "given_name": given, "family_name": family}
        )
    assert caught.value.status == 409
    assert caught.value.candidates == [first]
    assert caught.value.extra["candidates"] == [
        {
            "record_number": first.record_number,
            "given_name": "Siobhán",
            "family_name": "O'Brien",
            "date_of_birth": "1979-06-14",
        }
    ]
    assert Patient.objects.for_clinic(clinic).count() == 1


def test_another_birth_date_or_clinic_is_not_a_duplicate(clinic, other_clinic, practitioner):
    patient_create(clinic=clinic, actor=practitioner, **NEW)
    patient_create(clinic=clinic, actor=practitioner, **{**NEW, "date_of_birth": "1979-06-15"})
    patient_create(clinic=other_clinic, actor=None, **NEW)
    assert Patient.objects.count() == 3


def test_archived_patients_are_candidates_too(clinic, practitioner):
    archived = PatientFactory.create(
        clinic=clinic,
        given_name="Siobhan",
        family_name="OBrien",
        date_of_birth=NEW["date_of_birth"],
    )
    Patient.objects.filter(pk=archived.pk).update(
        archive_reason="Moved", archived_at=archived.created_at
    )
    found = patient_possible_duplicates(
        clinic=clinic,
        given_name="siobhán",
        family_name="o'brien",
        date_of_birth=NEW["date_of_birth"],
    )
    assert found == [Patient.objects.get(pk=archived.pk)]


def test_the_api_answers_409_with_the_candidates_unless_told_to_proceed(
    client, clinic, practitioner
):
    api = ApiClient(client, token_for(practitioner, clinic))
    body = {"given_name": "Siobhán", "family_name": "O'Brien", "date_of_birth": "1979-06-14"}
    first = api.post("/api/v1/patients", body).json()
    again = api.post("/api/v1/patients", {**body, "family_name": "OBRIEN"})
    assert again.status_code == 409
    assert again.json()["extra"]["candidates"] == [
        {
            "record_number": first["record_number"],
            "given_name": "Siobhán",
            "family_name": "O'Brien",
            "date_of_birth": "1979-06-14",
        }
    ]
    assert Patient.objects.count() == 1
    confirmed = api.post("/api/v1/patients", {**body, "confirm_not_duplicate": True})
    assert confirmed.status_code == 201
    assert Patient.objects.count() == 2


def test_the_page_shows_the_match_and_registers_once_confirmed(client, clinic, practitioner):
    existing = patient_create(clinic=clinic, actor=practitioner, **NEW)
    staff = signed_in_client(client, practitioner)
    form = {
        "given_name": "siobhan",
        "family_name": "O Brien",
        "date_of_birth": "14/06/1979",
        "sex": "female",
        "confirm_not_duplicate": "False",
    }
    response = staff.post(reverse("patients:create"), form)
    page = response.content.decode()
    assert response.status_code == 409
    assert 'id="possible-duplicates"' in page
    assert existing.record_number in page
    assert reverse("patients:detail", args=[existing.pk]) in page
    assert 'type="checkbox" name="confirm_not_duplicate"' in page
    assert Patient.objects.count() == 1

    response = staff.post(reverse("patients:create"), {**form, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2


# --- reading lists is reading records ------------------------------------------------------


class _Listed:
    def __init__(self, event: AuditEvent) -> None:
        self.actor, self.clinic, self.after = event.actor, event.clinic, dict(event.after or {})


def _list_events() -> list[_Listed]:
    events = AuditEvent.objects.filter(event_type="patient.list_viewed").order_by("pk")
    return [_Listed(e) for e in events]


def test_the_list_page_and_live_search_are_audited_with_the_records_shown(
    client, clinic, practitioner, people
):
    staff = signed_in_client(client, practitioner)
    staff.get(reverse("patients:list"), {"q": "li"})
    staff.get(reverse("patients:list"), {"q": "obrien"}, HTTP_HX_REQUEST="true")
    page, search = _list_events()
    shown = Patient.objects.filter(given_name__in=["Li", "Lina"]).order_by("sort_name")
    assert page.actor == practitioner and page.clinic == clinic
    assert page.after["where"] == "page" and page.after["query"] == "li"
    assert page.after["patient_ids"] == [p.pk for p in shown]
    assert page.after["record_numbers"] == [p.record_number for p in shown]
    assert search.after["where"] == "search" and search.after["query"] == "obrien"
    assert len(search.after["patient_ids"]) == 1


def test_the_api_list_is_audited_and_returns_summaries_only(client, clinic, practitioner, people):
    api = ApiClient(client, token_for(practitioner, clinic))
    response = api.get("/api/v1/patients?q=obrien")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (item,) = response.json()["items"]
    assert set(item) == {
        "id",
        "record_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "is_archived",
    }
    (event,) = _list_events()
    assert event.after["where"] == "api"
    assert event.after["patient_ids"] == [item["id"]]


def test_the_api_list_refuses_an_offset_beyond_the_cap(client, clinic, practitioner):
    api = ApiClient(client, token_for(practitioner, clinic))
    assert api.get("/api/v1/patients?offset=10001").status_code == 422
    assert api.get("/api/v1/patients?offset=10000").status_code == 200
