"""Intake versions and single-use links: each rule, and nothing written on a refusal."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from pistor.audit.models import AuditEvent
from pistor.core.errors import ValidationFailed
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.intake.selectors import intake_latest_complete, patient_facts_get
from pistor.intake.services import (
    IntakeAnswers,
    LinkRefused,
    intake_link_create,
    intake_submit,
    intake_submit_by_link,
)
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

COMPLETE = IntakeAnswers(
    medications=["coumarin"],
    allergens=["soy"],
    pregnant=False,
    breastfeeding=False,
    smoking="never",
    sun_exposure="low",
    weight_kg="72.5",
    fitzpatrick=3,
)


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def test_each_submission_is_a_new_version_and_audited(clinic, patient, receptionist):
    first = intake_submit(
        clinic=clinic, patient=patient, actor=receptionist, answers=COMPLETE, complete=True
    )
    second = intake_submit(
        clinic=clinic, patient=patient, actor=receptionist, answers=COMPLETE, complete=True
    )
    assert (first.version, second.version) == (1, 2)
    assert first.status == "complete" and first.medications == ["coumarin"]
    assert AuditEvent.objects.filter(event_type="intake.submitted").count() == 2
    facts = patient_facts_get(patient=patient, now=timezone.now())
    assert "coumarin" in facts.medications and "soy" in facts.allergens


def test_a_blank_form_is_not_complete_but_may_be_saved_as_a_draft(clinic, patient, nurse):
    with pytest.raises(ValidationFailed) as caught:
        intake_submit(
            clinic=clinic, patient=patient, actor=nurse, answers=IntakeAnswers(), complete=True
        )
    assert {"pregnant", "weight_kg", "fitzpatrick"} <= set(caught.value.fields)
    assert not IntakeForm.objects.exists()
    draft = intake_submit(
        clinic=clinic, patient=patient, actor=nurse, answers=IntakeAnswers(), complete=False
    )
    assert draft.status == "draft"
    assert intake_latest_complete(patient=patient) is None


@pytest.mark.parametrize("weight", ["0", "900", "-3", "heavy"])
def test_an_implausible_weight_is_refused_and_nothing_written(clinic, patient, nurse, weight):
    answers = IntakeAnswers(**{**COMPLETE.__dict__, "weight_kg": weight})
    with pytest.raises(ValidationFailed) as caught:
        intake_submit(clinic=clinic, patient=patient, actor=nurse, answers=answers, complete=True)
    assert "weight_kg" in caught.value.fields
    assert not IntakeForm.objects.exists()
    assert not AuditEvent.objects.filter(event_type="intake.submitted").exists()


@pytest.mark.parametrize(
    ("field", "codes"),
    [
        ("conditions", ["not-a-condition"]),
        ("medications", ["soy"]),  # an allergen is not a medicine
        ("allergens", ["unicorn-hair"]),
        ("conditions", ["pregnancy"]),  # asked as its own question
    ],
)
def test_a_code_outside_the_catalog_is_refused(clinic, patient, nurse, field, codes):
    answers = IntakeAnswers(**{**COMPLETE.__dict__, field: codes})
    with pytest.raises(ValidationFailed) as caught:
        intake_submit(clinic=clinic, patient=patient, actor=nurse, answers=answers, complete=False)
    assert field in caught.value.fields
    assert not IntakeForm.objects.exists()


def test_fitzpatrick_outside_1_to_6_is_refused(clinic, patient, nurse):
    answers = IntakeAnswers(**{**COMPLETE.__dict__, "fitzpatrick": 7})
    with pytest.raises(ValidationFailed) as caught:
        intake_submit(clinic=clinic, patient=patient, actor=nurse, answers=answers, complete=True)
    assert "fitzpatrick" in caught.value.fields


def test_a_link_stores_only_the_hash_and_is_single_use(clinic, patient, receptionist):
    now = timezone.now()
    link, token = intake_link_create(clinic=clinic, patient=patient, actor=receptionist, now=now)
    assert token not in link.token_hash
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    form = intake_submit_by_link(token=token, answers=COMPLETE, now=now)
    assert form.source == "link" and form.submitted_by is None and form.status == "complete"
    link.refresh_from_db()
    assert link.used_at is not None and link.intake == form
    with pytest.raises(LinkRefused) as caught:
        intake_submit_by_link(token=token, answers=COMPLETE, now=now)
    assert caught.value.kind == "used"
    assert IntakeForm.objects.count() == 1


def test_an_expired_link_is_refused(clinic, patient, receptionist):
    now = timezone.now()
    _, token = intake_link_create(clinic=clinic, patient=patient, actor=receptionist, now=now)
    with pytest.raises(LinkRefused) as caught:
        intake_submit_by_link(token=token, answers=COMPLETE, now=now + dt.timedelta(days=8))
    assert caught.value.kind == "expired"
    assert not IntakeForm.objects.exists()


def test_a_tampered_link_is_refused(clinic, patient, receptionist):
    now = timezone.now()
    _, token = intake_link_create(clinic=clinic, patient=patient, actor=receptionist, now=now)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 500):
        with pytest.raises(LinkRefused) as caught:
            intake_submit_by_link(token=bad, answers=COMPLETE, now=now)
        assert caught.value.kind == "invalid"
    assert not IntakeForm.objects.exists()
    assert IntakeLink.objects.get().used_at is None


def test_an_incomplete_submission_through_a_link_leaves_the_link_usable(
    clinic, patient, receptionist
):
    now = timezone.now()
    _, token = intake_link_create(clinic=clinic, patient=patient, actor=receptionist, now=now)
    with pytest.raises(ValidationFailed):
        intake_submit_by_link(token=token, answers=IntakeAnswers(), now=now)
    assert IntakeLink.objects.get().used_at is None
    assert intake_submit_by_link(token=token, answers=COMPLETE, now=now).version == 1
