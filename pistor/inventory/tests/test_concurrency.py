"""Fifty people drawing the last millilitre of a batch at the same moment, on real
connections (a SQLite file or the PostgreSQL test database): exactly one succeeds."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from pistor.clinical.units import Quantity
from pistor.core.errors import Conflict
from pistor.inventory.models import Administration, Batch, Movement
from pistor.inventory.services import stock_use
from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory

USERS = 50


@pytest.fixture
def last_millilitre(transactional_db, clinic):
    p = product(clinic, code="last-ml")
    b = batch(clinic, p, ml="1")
    patients = [PatientFactory.create(clinic=clinic) for _ in range(USERS)]
    return p, b, patients


def test_fifty_simultaneous_uses_of_the_last_millilitre_leave_one_winner(
    clinic, last_millilitre, threads_share_a_file_database
):
    p, b, patients = last_millilitre
    start = threading.Barrier(USERS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def draw(patient) -> None:
        try:
            start.wait()
            try:
                stock_use(
                    clinic=clinic,
                    actor=None,
                    patient=patient,
                    product_code=p.code,
                    quantity=Quantity.of(1, "mL"),
                    occasion="session",
                    occasion_ref="race",
                )
                outcome = "used"
            except Conflict as exc:
                outcome = exc.message
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw, args=(pt,)) for pt in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors[:3]
    assert outcomes.count("used") == 1
    refused = [o for o in outcomes if o != "used"]
    assert len(refused) == USERS - 1
    assert all("Not enough Test saline in stock" in o for o in refused), refused[:3]

    # Read back on a new connection: on SQLite the threads wrote to the file copy.
    found: list[tuple[Decimal, int, Decimal]] = []

    def read_back() -> None:
        try:
            found.append(
                (
                    Batch.objects.get(pk=b.pk).quantity_on_hand,
                    Administration.objects.filter(batch=b).count(),
                    sum((m.quantity for m in Movement.objects.filter(batch=b)), Decimal("0")),
                )
            )
        finally:
            connections.close_all()

    reader = threading.Thread(target=read_back)
    reader.start()
    reader.join()
    assert found == [(Decimal("0"), 1, Decimal("0"))]
