"""``pistor worker`` sends the reminders that are due, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from pistor.cli import main
from pistor.core import clock
from pistor.messaging.models import Message
from pistor.messaging.tests.factories import appointment, patient
from pistor.scheduling.tests.factories import booking_setup

pytestmark = pytest.mark.django_db


def test_a_worker_round_reminds_of_tomorrows_appointment_once(clinic, capsys):
    setup = booking_setup(clinic)
    appointment(setup, patient(clinic), clock.now() + dt.timedelta(hours=20))
    assert main(["worker", "--once"]) == 0
    assert main(["worker", "--once"]) == 0
    assert "reminders" in capsys.readouterr().out
    [message] = Message.objects.all()
    assert message.kind == "appointment_reminder" and message.status == "sent"
    assert len(mail.outbox) == 1


def test_the_worker_rejects_a_bad_interval(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--interval", "soon"])
    assert exited.value.code == 2
