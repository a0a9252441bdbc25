"""The demo's mid-course patient: signed sessions, charts, an addendum, stock used."""

from __future__ import annotations

import pytest

from pistor.demo.services import demo_load
from pistor.records.models import Addendum
from pistor.treatments.models import ChartArea, TreatmentSession
from pistor.treatments.selectors import course_progress

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_patient_mid_course_and_loading_again_changes_nothing():
    demo_load()
    sessions = list(TreatmentSession.objects.filter(patient__family_name="Whitaker"))
    assert len(sessions) == 3 and all(s.is_signed for s in sessions)
    regions = set(ChartArea.objects.values_list("region", flat=True))
    assert {"face-front", "scalp", "thigh-front-left"} <= regions
    assert Addendum.objects.filter(record_type="treatments.treatmentsession").count() == 1
    plan = sessions[0].plan
    assert plan is not None
    progress = course_progress(plan=plan)
    assert progress.done == 3 and not progress.findings
    for s in sessions:
        assert s.anaesthetic_product and s.duration_minutes == 20 and s.reactions
        assert s.content["reactions"] == s.reactions
    assert any(s.reactions.get("bruising") == "moderate" for s in sessions)
    before = TreatmentSession.objects.count()  # Whitaker's and other stages' (outcomes)
    demo_load()
    assert TreatmentSession.objects.filter(patient__family_name="Whitaker").count() == 3
    assert TreatmentSession.objects.count() == before
