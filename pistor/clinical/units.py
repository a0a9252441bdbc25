"""Quantities that carry their unit.

A dose or a depth without a unit is how clinical mistakes happen, so every amount in the
clinical core is a ``Quantity``. Converting inside one dimension (mL to µL) is exact and
explicit; asking for a unit of another dimension (mL as mg) raises ``UnitMismatchError``
instead of guessing. Volume × concentration is the one place where dimensions combine.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from pistor.clinical.errors import ClinicalDataError, UnitMismatchError


class Dimension(StrEnum):
    MASS = "mass"
    VOLUME = "volume"
    LENGTH = "length"
    CONCENTRATION = "concentration"  # mass per volume
    PERCENT = "percent"  # weight per volume, 1 % = 10 mg/mL
    COUNT = "count"
    ACTIVITY = "activity"  # enzyme units, international units


class Unit(StrEnum):
    MCG = "mcg"
    MG = "mg"
    G = "g"
    UL = "uL"
    ML = "mL"
    MM = "mm"
    CM = "cm"
    KG = "kg"
    MG_PER_ML = "mg/mL"
    MCG_PER_ML = "mcg/mL"
    MG_PER_G = "mg/g"
    PERCENT = "%"
    COUNT = "count"
    UNITS = "U"
    IU = "IU"


# (dimension, factor to the dimension's base unit). Bases: mg, mL, mm, mg/mL.
_UNIT_TABLE: dict[Unit, tuple[Dimension, Decimal]] = {
    Unit.MCG: (Dimension.MASS, Decimal("0.001")),
    Unit.MG: (Dimension.MASS, Decimal("1")),
    Unit.G: (Dimension.MASS, Decimal("1000")),
    Unit.KG: (Dimension.MASS, Decimal("1000000")),
    Unit.UL: (Dimension.VOLUME, Decimal("0.001")),
    Unit.ML: (Dimension.VOLUME, Decimal("1")),
    Unit.MM: (Dimension.LENGTH, Decimal("1")),
    Unit.CM: (Dimension.LENGTH, Decimal("10")),
    Unit.MG_PER_ML: (Dimension.CONCENTRATION, Decimal("1")),
    Unit.MCG_PER_ML: (Dimension.CONCENTRATION, Decimal("0.001")),
    # Aqueous preparations: 1 g ≈ 1 mL, so mg/g is read as mg/mL (how labels quote HA).
    Unit.MG_PER_G: (Dimension.CONCENTRATION, Decimal("1")),
    # Weight/volume percent: 1 % = 1 g per 100 mL = 10 mg/mL (lidocaine 1 % = 10 mg/mL).
    Unit.PERCENT: (Dimension.CONCENTRATION, Decimal("10")),
    Unit.COUNT: (Dimension.COUNT, Decimal("1")),
    Unit.UNITS: (Dimension.ACTIVITY, Decimal("1")),
    Unit.IU: (Dimension.ACTIVITY, Decimal("1")),
}


def parse_unit(text: str, *, field: str = "unit") -> Unit:
    """The ``Unit`` named by ``text``; an unknown unit is an error naming ``field``."""
    aliases = {"µg": Unit.MCG, "ug": Unit.MCG, "µL": Unit.UL, "ul": Unit.UL, "ml": Unit.ML}
    if text in aliases:
        return aliases[text]
    try:
        return Unit(text)
    except ValueError:
        known = ", ".join(u.value for u in Unit)
        raise ClinicalDataError(
            f"{field}: '{text}' is not a unit Pistor knows (known: {known}).", field=field
        ) from None


def dimension_of(unit: Unit) -> Dimension:
    return _UNIT_TABLE[unit][0]


def _decimal(value: Decimal | int | str | float, field: str) -> Decimal:
    try:
        # float goes through str so 0.1 stays 0.1 rather than its binary expansion.
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise ClinicalDataError(f"{field}: '{value}' is not a number.", field=field) from None
    if not result.is_finite():
        raise ClinicalDataError(f"{field}: '{value}' is not a finite number.", field=field)
    return result


@dataclass(frozen=True, order=False)
class Quantity:
    """An amount and its unit, e.g. ``Quantity.of("0.2", "mL")``."""

    value: Decimal
    unit: Unit

    @classmethod
    def of(
        cls,
        value: Decimal | int | str | float,
        unit: str | Unit,
        *,
        field: str = "quantity",
        allow_negative: bool = False,
    ) -> Quantity:
        amount = _decimal(value, field)
        if amount < 0 and not allow_negative:
            raise ClinicalDataError(f"{field}: {value} {unit} cannot be negative.", field=field)
        parsed = unit if isinstance(unit, Unit) else parse_unit(unit, field=f"{field}.unit")
        return cls(amount, parsed)

    @property
    def dimension(self) -> Dimension:
        return dimension_of(self.unit)

    def to(self, unit: Unit | str, *, field: str = "quantity") -> Quantity:
        """This amount in ``unit``, which must measure the same thing."""
        target = unit if isinstance(unit, Unit) else parse_unit(unit, field=field)
        src_dim, src_factor = _UNIT_TABLE[self.unit]
        dst_dim, dst_factor = _UNIT_TABLE[target]
        if src_dim is not dst_dim:
            raise UnitMismatchError(
                f"{field}: {self} is a {src_dim.value}, it cannot be expressed in {target.value}.",
                field=field,
            )
        return Quantity(self.value * src_factor / dst_factor, target)

    def require(self, dimension: Dimension, *, field: str) -> Quantity:
        """This quantity if it measures ``dimension``; a clear error otherwise."""
        if self.dimension is not dimension:
            raise UnitMismatchError(
                f"{field}: {self} is a {self.dimension.value}, a {dimension.value} is needed.",
                field=field,
            )
        return self

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.to(self.unit).value, self.unit)

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.to(self.unit).value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= other.to(self.unit).value

    def __gt__(self, other: Quantity) -> bool:
        return self.value > other.to(self.unit).value

    def __ge__(self, other: Quantity) -> bool:
        return self.value >= other.to(self.unit).value

    def __str__(self) -> str:
        text = format(self.value.normalize(), "f")
        return f"{text} {self.unit.value}" if self.unit is not Unit.PERCENT else f"{text}%"


def mass_from(volume: Quantity, concentration: Quantity, *, field: str = "cocktail") -> Quantity:
    """The mass of active ingredient in ``volume`` of a solution at ``concentration``, in mg."""
    millilitres = volume.require(Dimension.VOLUME, field=f"{field}.volume").to(Unit.ML)
    mg_per_ml = concentration.require(Dimension.CONCENTRATION, field=f"{field}.concentration").to(
        Unit.MG_PER_ML
    )
    return Quantity(millilitres.value * mg_per_ml.value, Unit.MG)
