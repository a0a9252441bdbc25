"""The clinic's screening settings: what a manager may change, and what the screen reads."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from pistor.audit.models import AuditEvent
from pistor.audit.services import audit_verify
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Severity
from pistor.clinical.safety import ScreeningSettings
from pistor.clinics.models import Clinic
from pistor.clinics.selectors import clinic_screening_settings, configurable_cautions
from pistor.clinics.services import clinic_settings_update
from pistor.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

EVENT = "clinic.settings_updated"


def _settings(clinic: Clinic) -> tuple[int, int, dict]:
    clinic.refresh_from_db()
    return (
        clinic.allergy_test_min_read_hours,
        clinic.fitzpatrick_pigmentation_threshold,
        clinic.caution_severity_overrides,
    )


# --- The service ---------------------------------------------------------------------


def test_a_new_clinic_uses_the_catalogs_defaults(clinic):
    assert _settings(clinic) == (24, 4, {})
    assert clinic_screening_settings(clinic) == ScreeningSettings()


def test_a_manager_changes_the_settings_and_one_event_records_what_changed(clinic, manager):
    updated = clinic_settings_update(
        clinic=clinic,
        actor=manager,
        allergy_test_min_read_hours=48,
        caution_severity_overrides={"hypertension": "block", "breastfeeding": "info"},
    )
    assert _settings(clinic) == (48, 4, {"breastfeeding": "info", "hypertension": "block"})
    assert updated.allergy_test_min_read_hours == 48
    event = AuditEvent.objects.get(event_type=EVENT)
    assert event.clinic_id == clinic.pk and event.actor_id == manager.pk
    assert event.subject_type == "clinic" and event.subject_id == str(clinic.pk)
    # Only what changed: the threshold was not touched, so it is not in the event.
    assert event.before == {"allergy_test_min_read_hours": 24, "caution_severity_overrides": {}}
    assert event.after == {
        "allergy_test_min_read_hours": 48,
        "caution_severity_overrides": {"breastfeeding": "info", "hypertension": "block"},
    }
    assert audit_verify() == []


def test_saving_the_same_settings_again_records_nothing(clinic, manager):
    clinic_settings_update(clinic=clinic, actor=manager, fitzpatrick_pigmentation_threshold=3)
    clinic_settings_update(clinic=clinic, actor=manager, fitzpatrick_pigmentation_threshold=3)
    assert AuditEvent.objects.filter(event_type=EVENT).count() == 1


def test_settings_left_out_are_kept_and_an_empty_mapping_clears_the_overrides(clinic, manager):
    clinic_settings_update(
        clinic=clinic,
        actor=manager,
        allergy_test_min_read_hours=72,
        caution_severity_overrides={"peptic-ulcer": "block"},
    )
    clinic_settings_update(clinic=clinic, actor=manager, fitzpatrick_pigmentation_threshold=5)
    assert _settings(clinic) == (72, 5, {"peptic-ulcer": "block"})
    clinic_settings_update(clinic=clinic, actor=manager, caution_severity_overrides={})
    assert _settings(clinic) == (72, 5, {})


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"allergy_test_min_read_hours": 12}, "allergy_test_min_read_hours", "never less"),
        ({"allergy_test_min_read_hours": True}, "allergy_test_min_read_hours", "whole number"),
        ({"allergy_test_min_read_hours": "48"}, "allergy_test_min_read_hours", "whole number"),
        ({"allergy_test_min_read_hours": 40000}, "allergy_test_min_read_hours", "At most 720"),
        ({"fitzpatrick_pigmentation_threshold": 0}, "fitzpatrick_pigmentation_threshold", "1 to 6"),
        ({"fitzpatrick_pigmentation_threshold": 7}, "fitzpatrick_pigmentation_threshold", "1 to 6"),
        (
            {"caution_severity_overrides": {"xyz": "warn"}},
            "caution_severity_overrides.xyz",
            "'xyz' has no caution a clinic may change",
        ),
        (
            {"caution_severity_overrides": {"porphyria": "warn"}},
            "caution_severity_overrides.porphyria",
            "'porphyria' has no caution a clinic may change",
        ),
        (
            {"caution_severity_overrides": {"hypertension": "forbid"}},
            "caution_severity_overrides.hypertension",
            "block, warn, info",
        ),
        (
            {"caution_severity_overrides": ["hypertension"]},
            "caution_severity_overrides",
            "fact codes",
        ),
    ],
)
def test_bad_settings_are_refused_naming_the_field_and_nothing_is_stored(
    clinic, manager, change, field, words
):
    with pytest.raises(ValidationFailed) as caught:
        clinic_settings_update(
            clinic=clinic,
            actor=manager,
            # A good change beside the bad one must not be stored either.
            **{"fitzpatrick_pigmentation_threshold": 2, **change},
        )
    assert words in " ".join(caught.value.fields[field])
    assert _settings(clinic) == (24, 4, {})
    assert not AuditEvent.objects.filter(event_type=EVENT).exists()


def test_one_bad_override_among_good_ones_stores_none_of_them(clinic, manager):
    with pytest.raises(ValidationFailed) as caught:
        clinic_settings_update(
            clinic=clinic,
            actor=manager,
            caution_severity_overrides={"hypertension": "block", "porphyria": "info"},
        )
    assert list(caught.value.fields) == ["caution_severity_overrides.porphyria"]
    assert _settings(clinic)[2] == {}


def test_the_database_refuses_a_skin_type_outside_1_to_6_written_around_the_service(clinic):
    for value in (0, 7):
        with pytest.raises(IntegrityError), transaction.atomic():
            Clinic.objects.filter(pk=clinic.pk).update(fitzpatrick_pigmentation_threshold=value)


# --- The selectors -------------------------------------------------------------------


def test_the_screening_settings_are_the_clinics_choices(clinic, manager):
    clinic_settings_update(
        clinic=clinic,
        actor=manager,
        fitzpatrick_pigmentation_threshold=3,
        caution_severity_overrides={"hypertension": "block"},
    )
    settings = clinic_screening_settings(clinic)
    assert settings.fitzpatrick_threshold == 3
    assert dict(settings.caution_severity) == {"hypertension": Severity.BLOCK}


def test_a_stored_value_that_is_not_a_severity_falls_back_to_the_catalog(clinic):
    Clinic.objects.filter(pk=clinic.pk).update(
        caution_severity_overrides={"hypertension": "forbid", "peptic-ulcer": "info", "x": [1]}
    )
    clinic.refresh_from_db()
    assert dict(clinic_screening_settings(clinic).caution_severity) == {
        "peptic-ulcer": Severity.INFO
    }


def test_configurable_cautions_lists_each_disputed_fact_with_where_it_applies():
    catalog = load_catalog()
    rows = configurable_cautions(catalog)
    by_fact = {row.fact: row for row in rows}
    expected = {c.fact for i in catalog.ingredients.values() for c in i.cautions if c.configurable}
    # and REFERENCE §4's disputed classes, which hold for any injection
    disputed = {
        f.code
        for f in catalog.facts.values()
        if f.contraindication and (f.contraindication.disputed or f.contraindication.stronger)
    }
    assert {"bleeding-disorder", "active-cancer", "breastfeeding"} <= disputed
    assert set(by_fact) == expected | disputed
    bleeding = by_fact["bleeding-disorder"]
    assert bleeding.uses[0].ingredient == "" and bleeding.uses[0].ingredient_name == "Any injection"
    assert bleeding.default_severities[0] is Severity.BLOCK
    assert "porphyria" not in by_fact  # a label contraindication is never offered
    assert [r.name.lower() for r in rows] == sorted(r.name.lower() for r in rows)

    hypertension = by_fact["hypertension"]
    assert hypertension.name == catalog.facts["hypertension"].name
    # Only the configurable use: aminophylline's hypertension caution is a label one.
    assert [u.ingredient for u in hypertension.uses] == ["yohimbine"]
    assert hypertension.uses[0].message.startswith("Unverified")
    assert hypertension.default_severities == (Severity.WARN,)
    assert [s.tag for s in hypertension.sources] == ["S40"]
    assert hypertension.sources[0].title == catalog.sources["S40"].title

    renal = by_fact["severe-renal-impairment"]
    assert {u.ingredient for u in renal.uses} == {"phosphatidylcholine", "piroxicam"}


def test_the_clinic_chooses_its_allergy_test_policy_and_may_only_add_products(clinic):
    from pistor.audit.models import AuditEvent
    from pistor.clinics.services import clinic_settings_update
    from pistor.core.errors import ValidationFailed

    clinic_settings_update(
        clinic=clinic,
        actor=None,
        allergy_test_policy="new-ingredients",
        allergy_test_also_required=["restylane-vital"],
    )
    clinic.refresh_from_db()
    assert clinic.allergy_test_policy == "new-ingredients"
    assert clinic.allergy_test_also_required == ["restylane-vital"]
    event = AuditEvent.objects.filter(event_type="clinic.settings_updated").latest("id")
    assert event.after == {
        "allergy_test_policy": "new-ingredients",
        "allergy_test_also_required": ["restylane-vital"],
    }
    for bad in ({"allergy_test_policy": "never"}, {"allergy_test_also_required": ["nope"]}):
        with pytest.raises(ValidationFailed) as caught:
            clinic_settings_update(clinic=clinic, actor=None, **bad)
        assert set(caught.value.fields) == set(bad)
    clinic.refresh_from_db()
    assert clinic.allergy_test_policy == "new-ingredients"
