"""``pistor seed`` makes courses with scores and side effects the report can read."""

from __future__ import annotations

import pytest

from pistor.clinical.catalog import load_catalog
from pistor.demo.seed import seed_database
from pistor.outcomes.models import Measurement, SideEffect
from pistor.outcomes.report import outcomes_report
from pistor.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db


def test_seeded_courses_feed_the_report():
    report = seed_database(clinics=1, patients=120, seed=7)
    clinic = report.clinics[0]
    assert report.rows["outcomes"] > 0
    assert Measurement.objects.filter(clinic=clinic).count() == 360
    assert TreatmentSession.objects.filter(clinic=clinic).count() >= 360
    assert SideEffect.objects.filter(clinic=clinic).exists()
    result = outcomes_report(clinic_id=clinic.pk, catalog=load_catalog())
    assert sum(r.n for r in result.by_indication) == 120
    assert result.rates and result.rates_by_product and result.rates_by_batch
