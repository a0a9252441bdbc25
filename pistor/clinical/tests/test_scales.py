from __future__ import annotations

from decimal import Decimal

import pytest

from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.scales import score
from pistor.clinical.tests.builders import make_catalog

CATALOG = make_catalog()
CSS: dict[str, Decimal | int | str] = {"a": 2, "b": "1", "c": Decimal(3), "d": 0, "e": 1}


def test_sum_scale_totals_the_items_and_finds_an_uncertain_band() -> None:
    result = score("css", CSS, catalog=CATALOG)
    assert result.total == 7
    assert result.band == "moderate"
    assert result.band_uncertain
    assert [i.code for i in result.items] == ["a", "b", "c", "d", "e"]


def test_single_item_scale_takes_that_item_on_its_step() -> None:
    result = score("vas", {"pain": "6.5"}, catalog=CATALOG)
    assert result.total == Decimal("6.5")
    assert result.band is None and not result.band_uncertain


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({**CSS, "e": 4}, "e"),
        ({k: v for k, v in CSS.items() if k != "c"}, "c"),
        ({**CSS, "z": 1}, "z"),
        ({**CSS, "a": "two"}, "a"),
        ({**CSS, "a": "1.5"}, "a"),
        ({**CSS, "b": -1}, "b"),
    ],
)
def test_bad_answers_name_the_item(answers: dict[str, object], field: str) -> None:
    with pytest.raises(ClinicalDataError) as error:
        score("css", answers, catalog=CATALOG)  # type: ignore[arg-type]
    assert error.value.field == field


def test_off_step_and_boolean_answers_are_refused() -> None:
    with pytest.raises(ClinicalDataError):
        score("vas", {"pain": "6.25"}, catalog=CATALOG)
    with pytest.raises(ClinicalDataError):
        score("vas", {"pain": True}, catalog=CATALOG)


def test_unknown_scale_names_the_scale_field() -> None:
    with pytest.raises(ClinicalDataError) as error:
        score("nope", {}, catalog=CATALOG)
    assert error.value.field == "scale"


def test_case_every_packaged_scale_scores_its_minimum_answers() -> None:
    from pistor.clinical.catalog import load_catalog

    catalog = load_catalog()
    for scale in catalog.scales.values():
        answers = {item.code: item.minimum for item in scale.items}
        result = score(scale.code, answers)
        assert result.total == (
            sum((i.minimum for i in scale.items), Decimal(0))
            if scale.scoring == "sum"
            else scale.items[0].minimum
        )
