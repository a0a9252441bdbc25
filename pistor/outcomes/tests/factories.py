"""Signed sessions, scores and side effects for the outcomes tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pistor.outcomes.models import Measurement
from pistor.treatments.models import TreatmentSession
from pistor.treatments.services import (
    chart_area_add,
    cocktail_line_add,
    session_sign,
    session_start,
)
from pistor.treatments.tests.factories import ready_plan

CSS = {"A": 2, "B": 2, "C": 2, "D": 1, "E": 2}  # Hexsel CSS 9 (moderate)


def signed_session(clinic, by, plan=None, patient=None):
    """A signed skin-rejuvenation session (NCTF from stock), with its plan."""
    plan = plan or ready_plan(clinic=clinic, by=by, patient=patient)
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=by)
    cocktail_line_add(session=session, by=by, code="nctf-135ha", volume="1")
    chart_area_add(
        session=session, by=by, region="face-front", technique_code="nappage", depth="2",
        injections=10,
    )  # fmt: skip
    session = TreatmentSession.objects.get(pk=session.pk)
    session_sign(session=session, signer=by, notes="")
    return plan, session


def bulk_measurements(clinic, patient, by, n, *, scale="gais", indication="skin-rejuvenation"):
    start = dt.date(2026, 1, 1)
    Measurement.objects.bulk_create(
        Measurement(
            clinic=clinic, patient=patient, indication_code=indication, scale_code=scale,
            timepoint="baseline" if i == 0 else "during", session_number=None if i == 0 else i,
            answers={"gais": "3"}, total=Decimal(1 + i % 5),
            measured_on=start + dt.timedelta(days=i), recorded_by=by, catalog_version="test",
        )
        for i in range(n)
    )  # fmt: skip
