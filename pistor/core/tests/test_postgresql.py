"""On PostgreSQL, the statements every request runs are prepared, and nothing else is."""

from __future__ import annotations

import datetime as dt
import select
from typing import Any

import pytest
from django.db import ProgrammingError, connection
from django.db.backends.postgresql import base as django_postgresql
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


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _wait_until_readable(raw: Any) -> None:
    poller = select.poll()
    poller.register(raw.pgconn.socket, select.POLLIN)
    assert poller.poll(5000), "the server did not close the connection within 5 s"


@pytest.mark.django_db(transaction=True)
def test_the_health_check_asks_the_server_only_when_it_may_have_closed_the_connection(
    monkeypatch,
):
    asked: list[bool] = []
    django_check = django_postgresql.DatabaseWrapper.is_usable

    def spied_check(self: Any) -> bool:
        asked.append(True)
        return bool(django_check(self))

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", spied_check)
    pid = _backend_pid()

    # A new request on an idle, open connection: no "SELECT 1", the same connection.
    connection.close_if_unusable_or_obsolete()  # what the end of a request does
    assert _backend_pid() == pid
    assert asked == []

    # The server ends the connection, as a restart or an administrator would.
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    _wait_until_readable(connection.connection)

    # The next request asks, finds it closed, and carries on with a new connection.
    connection.close_if_unusable_or_obsolete()
    assert _backend_pid() != pid
    assert asked == [True]
