"""On PostgreSQL, the statements every request runs are prepared, and nothing else is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import ProgrammingError, connection
from django.urls import reverse

from conftest import signed_in_client
from pistor.patients.selectors import patient_list
from pistor.patients.services import patient_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
    ),
]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_record_opening_prepares_its_statements_and_a_search_prepares_none(
    client, clinic, practitioner
):
    patient = patient_create(
        clinic=clinic,
        actor=practitioner,
        given_name="Ana",
        family_name="Silva",
        date_of_birth=dt.date(1990, 1, 1),
    )
    signed_in = signed_in_client(client, practitioner)
    response = signed_in.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200

    prepared = _prepared()
    for marked in (
        "django_session",
        "accounts_user",
        "pistor_membership_id",  # the staff context
        "patients_patient",
        "audit_auditevent",
        "treatments_treatmentsession",  # the record's versions
    ):
        assert any(marked in statement for statement in prepared), marked
    assert all(statement.endswith("/* prepared */") for statement in prepared)

    # A search's best plan depends on the words typed: it must never be held to one plan.
    for _ in range(8):
        assert patient_list(clinic=clinic, query="Silva")[1] == 1
    assert not any("LIKE" in statement.upper() for statement in _prepared())
    assert all(statement.endswith("/* prepared */") for statement in _prepared())


def test_a_marked_statement_is_prepared_and_a_misplaced_marker_is_refused():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1 AS pistor_marker_test /* prepared */")
        assert cursor.fetchone() == (42,)
        for misplaced in (
            "SELECT 2 AS pistor_misplaced /* prepared */\n",  # the staff context's old bug
            "SELECT (SELECT 3 /* prepared */) AS pistor_misplaced",
        ):
            with pytest.raises(ProgrammingError, match="must end the statement"):
                cursor.execute(misplaced)
    prepared = _prepared()
    assert any("pistor_marker_test" in statement for statement in prepared)
    assert not any("pistor_misplaced" in statement for statement in prepared)
