"""No patient data in the application logs, even when a page fails."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.test import Client

from conftest import signed_in_client
from pistor.core.logging import RedactExceptionMessages
from pistor.patients.tests.factories import PatientFactory


def _redacting_handler() -> logging.Handler:
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactExceptionMessages) for f in handler.filters):
            return handler
    raise AssertionError("the root logger has no redacting handler: check LOGGING")


@pytest.mark.django_db
def test_a_failing_page_logs_what_broke_and_where_but_not_the_patient(
    clinic, practitioner, monkeypatch
):
    patient = PatientFactory(clinic=clinic, given_name="Oonagh", family_name="Featherstone")

    def broken(**kwargs):
        raise RuntimeError(f"could not list {patient.given_name} {patient.family_name}")

    monkeypatch.setattr("pistor.patients.views.patient_list_for_user", broken)
    handler = _redacting_handler()
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)

    client = signed_in_client(Client(raise_request_exception=False), practitioner)
    response = client.get("/patients/", {"q": "Featherstone"})

    assert response.status_code == 500
    logged = stream.getvalue()
    assert "RuntimeError" in logged
    assert "views.py" in logged  # the code path is kept for whoever debugs it
    assert "Oonagh" not in logged
    assert "Featherstone" not in logged


def test_the_filter_withholds_the_message_of_any_logged_exception():
    # Built at run time so the traceback's quoted source line does not contain the values.
    message = " ".join(["date of birth", "02/03/1985", "for", "Siobhán"])
    try:
        raise ValueError(message)
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        record.exc_info = sys.exc_info()
    RedactExceptionMessages().filter(record)
    formatted = logging.Formatter().format(record)
    assert "ValueError: <message withheld>" in formatted
    assert "Siobhán" not in formatted
    assert "1985" not in formatted
