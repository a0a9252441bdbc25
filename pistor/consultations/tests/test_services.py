"""Recording a consultation and overriding a warning: who may, what may, what is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.consultations.selectors import override_facts_get
from pistor.consultations.services import (
    ChecklistAnswer,
    ConsultationInput,
    consultation_record,
    screening_override_record,
)
from pistor.core.errors import Forbidden, ValidationFailed
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import full_checklist, make_allergy, make_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    p = PatientFactory(clinic=clinic)
    make_intake(p, medications=["coumarin"])
    return p


def data(**kw):
    values: dict[str, Any] = {
        "indications": ["localised-fat"],
        "areas": ["abdomen"],
        "products": ["lipostabil"],
        "checklist": full_checklist(),
        "expectations_discussed": True,
        "alternatives_discussed": True,
    }
    values.update(kw)
    return ConsultationInput(**values)


def record(clinic, patient, by, **kw):
    return consultation_record(
        clinic=clinic, patient=patient, actor=by, data=data(**kw), now=timezone.now()
    )


def test_recording_keeps_the_screen_with_its_anticoagulant_warning(clinic, patient, practitioner):
    consultation = record(clinic, patient, practitioner, area_findings={"abdomen": ["scar"]})
    codes = {f["code"]: f["severity"] for f in consultation.screening}
    assert codes["bleeding-risk-strong"] == "warn"
    assert consultation.area_findings == {"abdomen": ["scar"]}
    assert consultation.checklist["consent"] == {"done": True, "note": ""}


def test_what_is_seen_at_an_area_feeds_the_site_rules(clinic, patient, practitioner):
    consultation = record(
        clinic,
        patient,
        practitioner,
        products=["hyaluronic-acid"],
        area_findings={"abdomen": ["herpes"]},
    )
    blocks = [f["code"] for f in consultation.screening if f["severity"] == "block"]
    assert "caution:herpes-active:hyaluronic-acid" in blocks


def test_a_checklist_point_neither_ticked_nor_noted_is_refused(clinic, patient, practitioner):
    checklist = full_checklist()
    checklist["consent"] = ChecklistAnswer(done=False, note="")
    checklist["photographs"] = ChecklistAnswer(done=False, note="Patient declined photos")
    with pytest.raises(ValidationFailed) as caught:
        record(clinic, patient, practitioner, checklist=checklist)
    assert "Consent" in caught.value.fields["checklist"][0]
    assert "Photo" not in caught.value.fields["checklist"][0]
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"indications": ["no-such"]}, "indications"),
        ({"areas": []}, "areas"),
        ({"area_findings": {"thighs": ["infection"]}}, "area_findings"),
        ({"area_findings": {"abdomen": ["sunburn"]}}, "area_findings"),
        ({"products": ["snake-oil"]}, "products"),
        ({"anaesthesia": "general"}, "anaesthesia"),
        ({"baseline_scores": {"no-scale": {}}}, "baseline_scores.no-scale"),
    ],
)
def test_bad_input_writes_nothing(clinic, patient, practitioner, kw, field):
    with pytest.raises(ValidationFailed) as caught:
        record(clinic, patient, practitioner, **kw)
    assert field in caught.value.fields
    assert not Consultation.objects.exists()


def test_a_practitioner_overrides_a_warning_with_a_reason(clinic, patient, practitioner):
    consultation = record(clinic, patient, practitioner)
    screening_override_record(
        clinic=clinic,
        consultation=consultation,
        actor=practitioner,
        finding_codes=["bleeding-risk-strong"],
        reason="INR in range; GP agrees to go ahead.",
        now=timezone.now(),
    )
    facts = override_facts_get(patient=patient)
    assert facts is not None
    assert facts.finding_codes == frozenset({"bleeding-risk-strong"})
    assert facts.reason == "INR in range; GP agrees to go ahead."


@pytest.mark.parametrize("who", ["nurse", "manager"])
def test_only_a_practitioner_may_override(clinic, patient, practitioner, request, who):
    consultation = record(clinic, patient, practitioner)
    with pytest.raises(Forbidden):
        screening_override_record(
            clinic=clinic,
            consultation=consultation,
            actor=request.getfixturevalue(who),
            finding_codes=["bleeding-risk-strong"],
            reason="Long enough reason",
            now=timezone.now(),
        )
    assert not ScreeningOverride.objects.exists()


def test_a_block_can_never_be_overridden(clinic, patient, practitioner):
    make_allergy(patient, "phosphatidylcholine", ["soy"])
    consultation = record(clinic, patient, practitioner)
    with pytest.raises(ValidationFailed) as caught:
        screening_override_record(
            clinic=clinic,
            consultation=consultation,
            actor=practitioner,
            finding_codes=["allergy:soy:phosphatidylcholine"],
            reason="Patient insists on it",
            now=timezone.now(),
        )
    assert "never be overridden" in caught.value.fields["finding_codes"][0]
    assert not ScreeningOverride.objects.exists()


@pytest.mark.parametrize(
    ("codes", "reason", "field"),
    [
        (["bleeding-risk-strong"], "ok", "reason"),
        ([], "A good long reason", "finding_codes"),
        (["not-a-finding"], "A good long reason", "finding_codes"),
    ],
)
def test_an_override_without_reason_or_warning_is_refused(
    clinic, patient, practitioner, codes, reason, field
):
    consultation = record(clinic, patient, practitioner)
    with pytest.raises(ValidationFailed) as caught:
        screening_override_record(
            clinic=clinic,
            consultation=consultation,
            actor=practitioner,
            finding_codes=codes,
            reason=reason,
            now=timezone.now(),
        )
    assert field in caught.value.fields
    assert not ScreeningOverride.objects.exists()
