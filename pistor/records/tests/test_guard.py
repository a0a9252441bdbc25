"""The database itself refuses to change a signed row (raw SQL, on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from pistor.records.guard import SIGNED_ROW_MESSAGE, guard_sql
from pistor.records.models import Addendum, Withdrawal
from pistor.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE records_guard_probe (id integer PRIMARY KEY, status varchar(10), "
            "body varchar(100))"
        )
        for statement in guard_sql(connection.vendor, "records_guard_probe"):
            cursor.execute(statement, None)
        cursor.execute(
            "INSERT INTO records_guard_probe (id, status, body) VALUES "
            "(1, 'draft', 'draft text'), (2, 'signed', 'signed text')"
        )
    return "records_guard_probe"


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    return str(caught.value)


def test_a_draft_row_may_change_and_be_deleted(guarded_table):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE records_guard_probe SET body = 'edited' WHERE id = 1")
        cursor.execute("UPDATE records_guard_probe SET status = 'signed' WHERE id = 1")
        cursor.execute("INSERT INTO records_guard_probe (id, status) VALUES (3, 'draft')")
        cursor.execute("DELETE FROM records_guard_probe WHERE id = 3")
        cursor.execute("SELECT body, status FROM records_guard_probe WHERE id = 1")
        assert cursor.fetchone() == ("edited", "signed")


def test_raw_sql_cannot_update_a_signed_row(guarded_table):
    message = _refused("UPDATE records_guard_probe SET body = 'forged' WHERE id = 2")
    assert SIGNED_ROW_MESSAGE in message
    # Nor can it sneak the row back to draft first.
    _refused("UPDATE records_guard_probe SET status = 'draft' WHERE id = 2")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, status FROM records_guard_probe WHERE id = 2")
        assert cursor.fetchone() == ("signed text", "signed")


def test_raw_sql_cannot_delete_a_signed_row(guarded_table):
    assert SIGNED_ROW_MESSAGE in _refused("DELETE FROM records_guard_probe WHERE id = 2")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_guard_probe")
        assert cursor.fetchone() == (2,)


def test_addenda_and_withdrawals_are_final_once_written(clinic):
    author: Any = UserFactory()
    now = dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    addendum = Addendum.objects.create(
        clinic=clinic,
        record_type="x.y",
        record_id=1,
        author=author,
        written_at=now,
        text="Left side, not right.",
        reason="Typing slip.",
    )
    withdrawal = Withdrawal.objects.create(
        clinic=clinic,
        record_type="x.y",
        record_id=1,
        withdrawn_by=author,
        withdrawn_at=now,
        reason="Patient changed her mind.",
    )
    _refused(f"UPDATE records_addendum SET text = 'x' WHERE id = {addendum.pk}")  # noqa: S608
    _refused(f"DELETE FROM records_addendum WHERE id = {addendum.pk}")  # noqa: S608
    _refused(f"UPDATE records_withdrawal SET reason = 'x' WHERE id = {withdrawal.pk}")  # noqa: S608
    _refused(f"DELETE FROM records_withdrawal WHERE id = {withdrawal.pk}")  # noqa: S608
    addendum.refresh_from_db()
    assert addendum.text == "Left side, not right."
