from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pistor.clinical.catalog.types import Severity
from pistor.clinical.codes import FindingCode
from pistor.clinical.dosing import (
    CocktailLine,
    cocktail_totals,
    cumulative_lidocaine_check,
    max_lidocaine_mg,
)
from pistor.clinical.errors import ClinicalDataError, UnitMismatchError
from pistor.clinical.tests.builders import make_catalog, q
from pistor.clinical.units import Quantity, Unit

CATALOG = make_catalog()
weights = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal("499.999"), allow_nan=False, places=3
)


@given(weights, st.booleans())
def test_lidocaine_maximum_never_exceeds_the_label_caps(weight: Decimal, adrenaline: bool) -> None:
    maximum = max_lidocaine_mg(weight, with_adrenaline=adrenaline)
    assert maximum.unit is Unit.MG
    per_kg, cap = (Decimal(7), Decimal(500)) if adrenaline else (Decimal("4.5"), Decimal(300))
    assert maximum.value <= cap
    assert maximum.value <= weight * per_kg
    assert maximum.value == min(weight * per_kg, cap)


@given(st.floats(min_value=0.001, max_value=499.0, allow_nan=False))
def test_lidocaine_maximum_accepts_floats_without_binary_noise(weight: float) -> None:
    assert max_lidocaine_mg(weight, with_adrenaline=False).value <= 300


def test_lidocaine_maximum_for_a_60_kg_patient() -> None:
    assert max_lidocaine_mg(60, with_adrenaline=False) == Quantity(Decimal("270.0"), Unit.MG)
    assert max_lidocaine_mg("60", with_adrenaline=True).value == 420
    assert max_lidocaine_mg(100, with_adrenaline=False).value == 300


@pytest.mark.parametrize("weight", [0, -5, "abc", "NaN", True])
def test_weight_must_be_a_positive_number(weight: object) -> None:
    with pytest.raises(ClinicalDataError) as error:
        max_lidocaine_mg(weight, with_adrenaline=False)  # type: ignore[arg-type]
    assert error.value.field == "weight_kg"


def test_products_expand_into_their_components() -> None:
    totals = cocktail_totals(
        [
            CocktailLine("dermaheal-ll", volume=q(2, "mL")),
            CocktailLine("redensity-1", volume=q(3, "mL")),
        ],
        catalog=CATALOG,
    )
    assert totals["phosphatidylcholine"].value == 100
    assert totals["l-carnitine"].value == 20
    assert totals["lidocaine"].value == 9
    assert totals["hyaluronic-acid"].value == 45


def test_amounts_add_up_across_lines() -> None:
    totals = cocktail_totals(
        [
            CocktailLine("lidocaine", amount=q(50, "mg")),
            CocktailLine("lidocaine", volume=q(1, "mL"), concentration=q(2, "%")),
            CocktailLine("lidocaine", amount=q("0.1", "g")),
        ],
        catalog=CATALOG,
    )
    assert totals == {"lidocaine": Quantity(Decimal(170), Unit.MG)}


def test_a_volume_in_milligrams_is_a_unit_mismatch() -> None:
    with pytest.raises(UnitMismatchError) as error:
        cocktail_totals(
            [CocktailLine("lidocaine", volume=q(2, "mg"), concentration=q(1, "%"))],
            catalog=CATALOG,
        )
    assert error.value.field == "cocktail[0].volume"


def test_a_concentration_in_millilitres_is_a_unit_mismatch() -> None:
    with pytest.raises(UnitMismatchError) as error:
        cocktail_totals(
            [CocktailLine("lidocaine", volume=q(2, "mL"), concentration=q(1, "mL"))],
            catalog=CATALOG,
        )
    assert error.value.field == "cocktail[0].concentration"


def test_unknown_codes_and_conflicting_amounts_name_the_field() -> None:
    with pytest.raises(ClinicalDataError) as error:
        cocktail_totals([CocktailLine("lidocaine"), CocktailLine("snake-oil")], catalog=CATALOG)
    assert error.value.field == "cocktail[1].code"
    with pytest.raises(ClinicalDataError) as error:
        cocktail_totals(
            [
                CocktailLine(
                    "lidocaine", volume=q(1, "mL"), concentration=q(1, "%"), amount=q(50, "mg")
                )
            ],
            catalog=CATALOG,
        )
    assert error.value.field == "cocktail[0].amount"
    with pytest.raises(ClinicalDataError) as error:
        cocktail_totals(
            [CocktailLine("kybella", volume=q(1, "mL"), concentration=q(1, "%"))],
            catalog=CATALOG,
        )
    assert error.value.field == "cocktail[0].concentration"


def test_lidocaine_over_the_plain_maximum_blocks() -> None:
    check = cumulative_lidocaine_check(
        [CocktailLine("lidocaine", amount=q(400, "mg"))], weight_kg=Decimal(60), catalog=CATALOG
    )
    assert [f.code for f in check.findings] == [FindingCode.LIDOCAINE_OVER_MAXIMUM]
    assert check.findings[0].severity is Severity.BLOCK
    assert "400 mg" in check.findings[0].message and "270 mg" in check.findings[0].message


def test_adrenaline_in_a_product_raises_the_maximum() -> None:
    check = cumulative_lidocaine_check(
        [CocktailLine("lidocaine-1-adrenaline", volume=q(35, "mL"))],
        weight_kg=Decimal(60),
        catalog=CATALOG,
    )
    assert check.with_adrenaline
    assert check.total.value == 350
    assert check.maximum is not None and check.maximum.value == 420
    assert check.findings == ()


def test_lidocaine_inside_a_premixed_product_counts() -> None:
    check = cumulative_lidocaine_check(
        [
            CocktailLine("redensity-1", volume=q(30, "mL")),
            CocktailLine("lidocaine", amount=q(200, "mg")),
        ],
        weight_kg=50,
        catalog=CATALOG,
    )
    assert check.total.value == 290
    assert [f.code for f in check.findings] == [FindingCode.LIDOCAINE_OVER_MAXIMUM]


def test_unknown_weight_or_amount_asks_for_it() -> None:
    check = cumulative_lidocaine_check(
        [CocktailLine("lidocaine", volume=q(1, "mL"))], weight_kg=None, catalog=CATALOG
    )
    assert {f.code for f in check.findings} == {
        FindingCode.LIDOCAINE_DOSE_UNKNOWN,
        FindingCode.LIDOCAINE_WEIGHT_UNKNOWN,
    }
    assert all(f.severity is Severity.WARN for f in check.findings)


def test_no_lidocaine_no_findings() -> None:
    check = cumulative_lidocaine_check(
        [CocktailLine("kybella", volume=q(1, "mL"))], weight_kg=None, catalog=CATALOG
    )
    assert check.findings == () and check.maximum is None


def test_case_redensity_lidocaine_counts_towards_the_maximum_with_the_real_catalog() -> None:
    check = cumulative_lidocaine_check(
        [
            CocktailLine("redensity-1", volume=q(3, "mL")),
            CocktailLine("lidocaine-2", volume=q(20, "mL")),
        ],
        weight_kg=60,
    )
    assert check.total.value == 409  # 3 mL × 3 mg/mL + 20 mL × 20 mg/mL
    assert not check.with_adrenaline
    assert [f.code for f in check.findings] == [FindingCode.LIDOCAINE_OVER_MAXIMUM]
