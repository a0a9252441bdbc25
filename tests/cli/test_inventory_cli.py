"""``pistor inventory alerts``: the daily stock alert email to managers."""

from __future__ import annotations

import pytest
from django.core import mail

from pistor.cli import main
from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_managers_get_the_alerts_by_email_and_patients_are_not_named(
    clinic, manager, nurse, capsys, django_capture_on_commit_callbacks
):
    p = product(clinic, reorder_level=50)
    b = batch(clinic, p, lot="SOON-1", days=3)
    patient = PatientFactory.create(clinic=clinic, family_name="Zyxwvut")
    from pistor.clinical.units import Quantity
    from pistor.inventory.services import stock_use

    stock_use(clinic=clinic, actor=None, patient=patient, product_code=p.code,
              quantity=Quantity.of(1, "mL"), batch=b, occasion="session")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert main(["inventory", "alerts"]) == 0
    assert "Stock alerts sent: 1 email(s)." in capsys.readouterr().out
    [message] = mail.outbox
    assert message.to == [manager.email]
    assert "SOON-1" in message.body and "reorder" in message.body
    assert "Zyxwvut" not in message.body


def test_no_alerts_no_email(clinic, manager, capsys):
    assert main(["inventory", "alerts"]) == 0
    assert mail.outbox == []


def test_the_command_needs_its_action(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["inventory"])
    assert exited.value.code == 2
    assert "required: ACTION" in capsys.readouterr().err
