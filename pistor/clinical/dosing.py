"""Doses in a cocktail, and the lidocaine maximum for the patient's weight.

Every amount carries its unit. Mass comes from volume × concentration (``units.mass_from``);
a volume given in mg or a concentration given in mL is a ``UnitMismatchError``, never a guess.
Products expand into their components at the strengths the maker publishes, so the lidocaine
inside a pre-mixed hyaluronic acid counts towards the patient's maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pistor.clinical._lookup import default_catalog
from pistor.clinical.catalog.types import Catalog, Severity
from pistor.clinical.codes import FindingCode
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding
from pistor.clinical.units import Dimension, Quantity, Unit, mass_from

LIDOCAINE = "lidocaine"
ADRENALINE_TAG = "adrenaline"

# Lidocaine label maxima for adult infiltration (REFERENCE §3, [S51b]): these are label
# limits, the few numbers the engine may hard-code.
LIDOCAINE_PLAIN_MG_PER_KG = Decimal("4.5")
LIDOCAINE_PLAIN_CAP_MG = Decimal("300")
LIDOCAINE_ADRENALINE_MG_PER_KG = Decimal("7")
LIDOCAINE_ADRENALINE_CAP_MG = Decimal("500")
LIDOCAINE_SOURCES = ("S51a", "S51b")

# Two routes to the same mass may differ by rounding on a label; more than this is a typo.
_AGREEMENT = Decimal("0.01")


@dataclass(frozen=True)
class CocktailLine:
    """One line of a cocktail: an ingredient or a product code and how much of it.

    For an ingredient give ``volume`` and ``concentration``, or the ``amount`` (mg) directly.
    For a product give the ``volume``; its strength comes from its published composition.
    """

    code: str
    volume: Quantity | None = None
    concentration: Quantity | None = None
    amount: Quantity | None = None


@dataclass(frozen=True)
class IngredientDose:
    """One ingredient as it enters the cocktail, directly or inside a product."""

    ingredient: str
    line: int  # index in the cocktail
    product: str | None  # the product it came in, None when given on its own
    volume: Quantity | None  # volume of the line's solution
    concentration: Quantity | None
    mass: Quantity | None  # mg; None when it cannot be worked out from what was given


@dataclass(frozen=True)
class LidocaineCheck:
    """The cocktail's lidocaine against the maximum for the patient's weight."""

    total: Quantity  # mg, from the lines whose amount is known
    maximum: Quantity | None  # None when the weight is unknown or no lidocaine is present
    with_adrenaline: bool
    uncounted_lines: tuple[int, ...]  # lines with lidocaine of unknown amount
    findings: tuple[Finding, ...]


def max_lidocaine_mg(weight_kg: Decimal | int | float | str, *, with_adrenaline: bool) -> Quantity:
    """The label maximum of lidocaine for one session, in mg.

    4.5 mg/kg up to 300 mg plain; 7 mg/kg up to 500 mg with adrenaline. In obesity the label
    advises ideal body weight, and lower doses in the elderly and in hepatic or cardiac
    impairment: pass the weight the prescriber judges right.
    """
    weight = _positive_weight(weight_kg)
    if with_adrenaline:
        per_kg, cap = LIDOCAINE_ADRENALINE_MG_PER_KG, LIDOCAINE_ADRENALINE_CAP_MG
    else:
        per_kg, cap = LIDOCAINE_PLAIN_MG_PER_KG, LIDOCAINE_PLAIN_CAP_MG
    return Quantity(min(weight * per_kg, cap), Unit.MG)


def expand_cocktail(
    lines: Sequence[CocktailLine], *, catalog: Catalog | None = None, field: str = "cocktail"
) -> tuple[IngredientDose, ...]:
    """Each ingredient of each line, products expanded into their components."""
    cat = default_catalog(catalog)
    doses: list[IngredientDose] = []
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        volume = _checked(line.volume, Dimension.VOLUME, f"{where}.volume")
        if line.code in cat.ingredients:
            doses.append(_ingredient_dose(line, index, volume, where))
        elif line.code in cat.products:
            product = cat.products[line.code]
            for name in ("concentration", "amount"):
                if getattr(line, name) is not None:
                    raise ClinicalDataError(
                        f"{product.name} is a product: give its volume; its strength comes "
                        "from its published composition.",
                        field=f"{where}.{name}",
                    )
            for component in product.composition:
                concentration = component.concentration
                usable = concentration is not None and (
                    concentration.dimension is Dimension.CONCENTRATION
                )
                mass = (
                    mass_from(volume, concentration, field=where)
                    if volume is not None and concentration is not None and usable
                    else None
                )
                doses.append(
                    IngredientDose(
                        component.ingredient, index, product.code, volume, concentration, mass
                    )
                )
        else:
            raise ClinicalDataError(
                f"'{line.code}' is neither an ingredient nor a product in the clinical catalog.",
                field=f"{where}.code",
            )
    return tuple(doses)


def cocktail_totals(
    lines: Sequence[CocktailLine], *, catalog: Catalog | None = None
) -> dict[str, Quantity]:
    """Milligrams of each ingredient whose amount can be worked out, in order of appearance."""
    totals: dict[str, Quantity] = {}
    for dose in expand_cocktail(lines, catalog=catalog):
        if dose.mass is not None:
            previous = totals.get(dose.ingredient, Quantity(Decimal(0), Unit.MG))
            totals[dose.ingredient] = previous + dose.mass
    return totals


def cumulative_lidocaine_check(
    lines: Sequence[CocktailLine],
    *,
    weight_kg: Decimal | int | float | str | None,
    catalog: Catalog | None = None,
) -> LidocaineCheck:
    """All lidocaine in the cocktail, products included, against the weight-based maximum.

    Any adrenaline in the cocktail (on its own or in a product) allows the higher maximum,
    because it slows absorption; that is how the label states it.
    """
    cat = default_catalog(catalog)
    doses = expand_cocktail(lines, catalog=cat)
    lidocaine = [d for d in doses if d.ingredient == LIDOCAINE]
    zero = Quantity(Decimal(0), Unit.MG)
    with_adrenaline = any(
        d.ingredient == ADRENALINE_TAG
        or (
            d.ingredient in cat.ingredients and ADRENALINE_TAG in cat.ingredients[d.ingredient].tags
        )
        for d in doses
    )
    if not lidocaine:
        return LidocaineCheck(zero, None, with_adrenaline, (), ())
    total = zero
    for dose in lidocaine:
        if dose.mass is not None:
            total = total + dose.mass
    uncounted = tuple(sorted({d.line for d in lidocaine if d.mass is None}))
    evidence = LIDOCAINE_SOURCES
    rule = (
        "7 mg/kg, at most 500 mg, with adrenaline"
        if with_adrenaline
        else "4.5 mg/kg, at most 300 mg, without adrenaline"
    )
    findings: list[Finding] = []
    if uncounted:
        numbers = ", ".join(str(i + 1) for i in uncounted)
        findings.append(
            Finding(
                FindingCode.LIDOCAINE_DOSE_UNKNOWN,
                Severity.WARN,
                f"The lidocaine in cocktail line {numbers} has no known amount; give its volume "
                f"and concentration so the total ({total} counted so far) can be checked "
                f"against the maximum ({rule}).",
                evidence,
            )
        )
    maximum = None
    if weight_kg is None:
        findings.append(
            Finding(
                FindingCode.LIDOCAINE_WEIGHT_UNKNOWN,
                Severity.WARN,
                f"The cocktail contains {total} of lidocaine but the patient's weight is not "
                f"recorded; record it so the maximum dose ({rule}) can be checked.",
                evidence,
            )
        )
    else:
        maximum = max_lidocaine_mg(weight_kg, with_adrenaline=with_adrenaline)
        if total > maximum:
            weight = _positive_weight(weight_kg)
            findings.append(
                Finding(
                    FindingCode.LIDOCAINE_OVER_MAXIMUM,
                    Severity.BLOCK,
                    f"The cocktail contains {total} of lidocaine, above the {maximum} maximum "
                    f"for a patient of {format(weight.normalize(), 'f')} kg ({rule}). Reduce "
                    "the lidocaine before injecting.",
                    evidence,
                )
            )
    return LidocaineCheck(total, maximum, with_adrenaline, uncounted, tuple(findings))


def _ingredient_dose(
    line: CocktailLine, index: int, volume: Quantity | None, where: str
) -> IngredientDose:
    concentration = _checked(line.concentration, Dimension.CONCENTRATION, f"{where}.concentration")
    amount = line.amount
    if amount is not None:
        _non_negative(amount, f"{where}.amount")
        if amount.dimension is Dimension.ACTIVITY:  # enzyme units: not a mass to add up
            return IngredientDose(line.code, index, None, volume, concentration, None)
        amount = amount.require(Dimension.MASS, field=f"{where}.amount").to(Unit.MG)
    computed = (
        mass_from(volume, concentration, field=where)
        if volume is not None and concentration is not None
        else None
    )
    if amount is not None and computed is not None:
        tolerance = max(amount.value, computed.value) * _AGREEMENT
        if abs(amount.value - computed.value) > tolerance:
            raise ClinicalDataError(
                f"The amount {amount} does not match {volume} at {concentration} "
                f"({computed}); correct one of them.",
                field=f"{where}.amount",
            )
    return IngredientDose(
        line.code, index, None, volume, concentration, amount if amount is not None else computed
    )


def _checked(value: Quantity | None, dimension: Dimension, field: str) -> Quantity | None:
    if value is None:
        return None
    _non_negative(value, field)
    return value.require(dimension, field=field)


def _non_negative(value: Quantity, field: str) -> None:
    if value.value < 0:
        raise ClinicalDataError(f"{field}: {value} cannot be negative.", field=field)


def _positive_weight(weight_kg: Decimal | int | float | str) -> Decimal:
    if isinstance(weight_kg, bool):
        raise ClinicalDataError("The weight must be a number of kilograms.", field="weight_kg")
    try:
        weight = Decimal(str(weight_kg)) if isinstance(weight_kg, float) else Decimal(weight_kg)
    except (InvalidOperation, ValueError, TypeError):
        raise ClinicalDataError(
            f"The weight '{weight_kg}' is not a number of kilograms.", field="weight_kg"
        ) from None
    if not weight.is_finite() or weight <= 0:
        raise ClinicalDataError(
            f"The weight must be a positive number of kilograms, not '{weight_kg}'.",
            field="weight_kg",
        )
    return weight
