"""The tools screen with the clinic's own settings: the page and the API alike.

Yohimbine's hypertension caution is ``configurable`` (REFERENCE.md: unverified class
pharmacology); aminophylline's is a label caution. A clinic that makes hypertension a block
changes the first and never the second, and another clinic keeps the catalog's warning.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import signed_in_client
from pistor.clinical.catalog import load_catalog
from pistor.clinical.codes import FindingCode, finding_code
from pistor.clinics.services import clinic_settings_update
from pistor.core.errors import ValidationFailed
from pistor.testing.factories import MembershipFactory, UserFactory
from pistor.tools.tests.helpers import Api, screen_form

pytestmark = pytest.mark.django_db

CONFIGURABLE = finding_code(FindingCode.CAUTION, "hypertension", "yohimbine")
LABEL = finding_code(FindingCode.CAUTION, "hypertension", "aminophylline")


def _caution(ingredient: str, fact: str) -> Any:
    return next(c for c in load_catalog().ingredients[ingredient].cautions if c.fact == fact)


def test_the_chosen_cautions_are_what_the_catalog_says():
    """Guards the test's premise: if the catalog changes, pick other cautions."""
    assert _caution("yohimbine", "hypertension").configurable
    assert _caution("yohimbine", "hypertension").severity == "warn"
    assert not _caution("aminophylline", "hypertension").configurable
    assert _caution("aminophylline", "hypertension").severity == "warn"


@pytest.fixture
def strict_clinic(clinic, manager):
    """``clinic``, having made the disputed hypertension caution a block."""
    clinic_settings_update(
        clinic=clinic, actor=manager, caution_severity_overrides={"hypertension": "block"}
    )
    return clinic


@pytest.fixture
def other_practitioner(other_clinic):
    user = UserFactory()
    MembershipFactory(user=user, clinic=other_clinic, role="practitioner")
    return user


def _page_severities(client: Any, user: Any) -> dict[str, str]:
    signed_in_client(client, user)
    form = screen_form(
        indication="cellulite",
        **{
            "cocktail-0-code": "yohimbine",
            "cocktail-0-concentration": None,
            "cocktail-0-concentration_unit": None,
            "cocktail-1-code": "aminophylline",
        },
    )
    response = client.post("/tools/screen/", {**form, "conditions": ["hypertension"]})
    assert response.status_code == 200
    html = response.content.decode()
    found = re.findall(r'class="finding finding-(\w+)" data-code="([^"]+)"', html)
    return {code: severity for severity, code in found}


def _api_severities(client: Any, user: Any, clinic: Any) -> dict[str, str]:
    proposal = {
        "indication": "cellulite",
        "areas": [
            {"area": "thighs", "technique": "point-by-point", "depth": {"value": 6, "unit": "mm"}}
        ],
        "cocktail": [{"code": "yohimbine"}, {"code": "aminophylline"}],
    }
    response = Api(client, user, clinic).post(
        "/screen",
        {"patient": {"age_years": 40, "conditions": ["hypertension"]}, "proposal": proposal},
    )
    assert response.status_code == 200, response.content
    return {f["code"]: f["severity"] for f in response.json()["findings"]}


def test_a_clinic_that_makes_a_disputed_caution_a_block_sees_a_block_on_the_page(
    client, strict_clinic, practitioner
):
    severities = _page_severities(client, practitioner)
    assert severities[CONFIGURABLE] == "block"
    assert severities[LABEL] == "warn"  # a label caution keeps its severity


def test_a_clinic_that_makes_a_disputed_caution_a_block_sees_a_block_over_the_api(
    client, strict_clinic, practitioner
):
    severities = _api_severities(client, practitioner, strict_clinic)
    assert severities[CONFIGURABLE] == "block"
    assert severities[LABEL] == "warn"


def test_another_clinic_keeps_the_catalogs_warning(
    client, strict_clinic, other_clinic, other_practitioner
):
    assert _page_severities(client, other_practitioner)[CONFIGURABLE] == "warn"
    assert _api_severities(client, other_practitioner, other_clinic)[CONFIGURABLE] == "warn"


def test_a_clinic_can_soften_a_disputed_caution_to_a_note(client, clinic, manager, practitioner):
    clinic_settings_update(
        clinic=clinic, actor=manager, caution_severity_overrides={"hypertension": "info"}
    )
    severities = _api_severities(client, practitioner, clinic)
    assert severities[CONFIGURABLE] == "info"
    assert severities[LABEL] == "warn"


def test_a_label_only_caution_cannot_be_overridden(clinic, manager):
    # Porphyria appears only as aminophylline's label contraindication: no clinic may change it.
    assert not _caution("aminophylline", "porphyria").configurable
    with pytest.raises(ValidationFailed) as caught:
        clinic_settings_update(
            clinic=clinic, actor=manager, caution_severity_overrides={"porphyria": "warn"}
        )
    assert caught.value.fields["caution_severity_overrides.porphyria"] == [
        "'porphyria' has no caution a clinic may change."
    ]
    clinic.refresh_from_db()
    assert clinic.caution_severity_overrides == {}


def test_suggestions_exclude_what_the_clinic_made_a_block(client, clinic, manager, practitioner):
    # Thyroid hormones' hyperthyroidism caution is configurable, aminophylline's a label one.
    assert _caution("thyroid-hormones", "hyperthyroidism").configurable
    assert not _caution("aminophylline", "hyperthyroidism").configurable
    api = Api(client, practitioner, clinic)
    body = {
        "indication": "cellulite",
        "patient": {"age_years": 40, "conditions": ["hyperthyroidism"]},
    }

    def excluded(code: str) -> bool:
        response = api.post("/cocktail-suggestions", body)
        assert response.status_code == 200, response.content
        return next(s for s in response.json()["suggestions"] if s["code"] == code)["excluded"]

    assert excluded("thyroid-hormones") is False
    clinic_settings_update(
        clinic=clinic, actor=manager, caution_severity_overrides={"hyperthyroidism": "block"}
    )
    assert excluded("thyroid-hormones") is True
    assert excluded("aminophylline") is False


def test_the_pigmentation_threshold_is_the_clinics(client, clinic, manager, practitioner):
    proposal = {
        "indication": "localised-fat",
        "areas": [
            {"area": "abdomen", "technique": "point-by-point", "depth": {"value": 6, "unit": "mm"}}
        ],
        "cocktail": [{"code": "phosphatidylcholine"}],
    }
    api = Api(client, practitioner, clinic)

    def codes() -> list[str]:
        response = api.post(
            "/screen", {"patient": {"age_years": 40, "fitzpatrick": 3}, "proposal": proposal}
        )
        assert response.status_code == 200, response.content
        return [f["code"] for f in response.json()["findings"]]

    assert not any(code.startswith("pigmentation") for code in codes())
    clinic_settings_update(clinic=clinic, actor=manager, fitzpatrick_pigmentation_threshold=3)
    assert any(code.startswith("pigmentation") for code in codes())


def test_a_clinic_may_soften_a_disputed_class_for_any_injection(
    client, clinic, manager, practitioner
):
    """REFERENCE §4 gives bleeding disorders as "absolute/relative": blocked by default,
    a clinic may make it a warning; infection at the site is absolute and never offered."""
    api = Api(client, practitioner, clinic)
    body = {
        "patient": {"age_years": 40, "conditions": ["bleeding-disorder"]},
        "proposal": {
            "indication": "skin-rejuvenation",
            "areas": [{"technique": "nappage", "depth": {"value": 2, "unit": "mm"}}],
            "cocktail": [{"code": "vitamins"}],
        },
    }

    def blocked() -> bool:
        response = api.post("/screen", body)
        assert response.status_code == 200, response.content
        return response.json()["blocked"]

    assert blocked() is True
    clinic_settings_update(
        clinic=clinic, actor=manager, caution_severity_overrides={"bleeding-disorder": "warn"}
    )
    assert blocked() is False
    with pytest.raises(ValidationFailed):
        clinic_settings_update(
            clinic=clinic, actor=manager, caution_severity_overrides={"infection-at-site": "warn"}
        )
