"""Read the catalog's TOML files into frozen dataclasses, refusing anything doubtful.

The catalog is clinical data: an unknown key, a missing source, a negative depth or a
protocol whose minimum exceeds its maximum is a bug that could reach a patient, so the
loader stops at the first one with a ``ClinicalDataError`` that names the file, the entry
and the field. Clinic-specific protocols and products entered in the database go through
the same checks (``protocol_from_dict`` and ``product_from_dict``).

Each data file is a TOML document whose top-level tables are entries keyed by their code,
except ``catalog.toml`` (the version and the history of mesotherapy).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pistor.clinical.catalog.types import (
    AftercareAdvice,
    Band,
    Catalog,
    Caution,
    ChecklistItem,
    CocktailFamily,
    Component,
    Contraindication,
    ContraindicationClass,
    EvidenceLevel,
    Fact,
    FactKind,
    Indication,
    Ingredient,
    IngredientClass,
    LabelLimits,
    Maintenance,
    Narrowing,
    Needle,
    Phase,
    Product,
    Protocol,
    RegulatoryFlag,
    SafetyNet,
    Scale,
    ScaleItem,
    SessionMinutes,
    Severity,
    SideEffect,
    Source,
    Stronger,
    Technique,
)
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.units import Dimension, Quantity

DATA_DIR = Path(__file__).parent / "data"

#: The data files, in the order they are read.
FILES = (
    "catalog.toml",
    "sources.toml",
    "facts.toml",
    "ingredients.toml",
    "products.toml",
    "techniques.toml",
    "scales.toml",
    "protocols.toml",
    "indications.toml",
    "side_effects.toml",
    "aftercare.toml",
    "checklist.toml",
)

#: Group tags the rule engines read; a typo here would silently switch a rule off.
INGREDIENT_TAGS = frozenset(
    {
        "xanthine",
        "beta-agonist",
        "adrenaline",
        "bleeding-risk-strong",
        "coumarin-inr",
        "hypoglycaemia",
        "amide-anaesthetic",
        "ester-anaesthetic",
        "lipolytic-drug",
        "pigmentation-risk",
    }
)
REGULATORY_CODES = frozenset({"withdrawn-eu", "discontinued", "off-label"})
PRODUCT_FORMS = frozenset({"solution", "gel", "kit", "powder"})
# "unknown" when the reference does not say how a marketed product is registered.
REGULATORY_STATUSES = frozenset({"medicine", "device", "compounded", "autologous", "unknown"})
SCORINGS = frozenset({"sum", "single"})

_CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TAG_RE = re.compile(r"^(?:S\d+[a-z]?|seed-\d{3})$")
_VERSION_RE = re.compile(r"^\d{4}\.\d{1,2}\.\d+$")
_ICD10_RE = re.compile(r"^[A-Z]\d{2}(?:\.\d{1,2})?$")
_LOINC_RE = re.compile(r"^\d{1,7}-\d$")
_QUANTITY_RE = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([^\d\s.+-]\S*)\s*$")

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


# --------------------------------------------------------------------------------------
# Where we are, so every error can say it
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """The file, entry and field path being read."""

    file: str
    code: str
    prefix: str = ""

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def at(self, key: str) -> _Where:
        return _Where(self.file, self.code, self.path(key))

    def item(self, index: int) -> _Where:
        return _Where(self.file, self.code, f"{self.prefix}[{index}]")

    def fail(self, key: str | None, problem: str) -> ClinicalDataError:
        return self.fail_at(self.path(key) if key is not None else self.prefix, problem)

    def fail_at(self, field_path: str, problem: str) -> ClinicalDataError:
        place = f"{self.file}: entry '{self.code}'"
        if field_path:
            place += f", field '{field_path}'"
        return ClinicalDataError(f"{place}: {problem}", field=field_path or None)


# --------------------------------------------------------------------------------------
# Typed readers
# --------------------------------------------------------------------------------------


def _table(
    value: object,
    where: _Where,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> Mapping[str, object]:
    """``value`` as a table with exactly the ``required`` keys and some of ``optional``."""
    if not isinstance(value, Mapping):
        raise where.fail(None, f"expected a table, got {type(value).__name__}.")
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            known = ", ".join(sorted(allowed))
            raise where.fail(str(key), f"unknown field (known fields: {known}).")
    for key in required:
        if key not in value:
            raise where.fail(key, "is required.")
    return value


def _str(t: Mapping[str, object], key: str, where: _Where, default: str | None = None) -> str:
    value = t.get(key, default)
    if not isinstance(value, str):
        raise where.fail(key, f"expected text, got {type(value).__name__}.")
    if default is None and not value.strip():
        raise where.fail(key, "must not be empty.")
    return value


def _opt_str(t: Mapping[str, object], key: str, where: _Where) -> str | None:
    return None if t.get(key) is None else _str(t, key, where)


def _bool(t: Mapping[str, object], key: str, where: _Where, default: bool) -> bool:
    value = t.get(key, default)
    if not isinstance(value, bool):
        raise where.fail(key, f"expected true or false, got {type(value).__name__}.")
    return value


def _int(t: Mapping[str, object], key: str, where: _Where, *, minimum: int) -> int:
    value = t.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.fail(key, f"expected a whole number, got {type(value).__name__}.")
    if value < minimum:
        raise where.fail(key, f"{value} is below the minimum of {minimum}.")
    return value


def _opt_int(t: Mapping[str, object], key: str, where: _Where, *, minimum: int) -> int | None:
    return None if t.get(key) is None else _int(t, key, where, minimum=minimum)


def _decimal(t: Mapping[str, object], key: str, where: _Where) -> Decimal:
    value = t.get(key)
    return _to_decimal(value, where, key)


def _to_decimal(value: object, where: _Where, key: str | None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise where.fail(key, f"expected a number, got {type(value).__name__}.")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise where.fail(key, f"'{value}' is not a number.") from None
    if not number.is_finite():
        raise where.fail(key, f"'{value}' is not a finite number.")
    return number


def _enum(t: Mapping[str, object], key: str, where: _Where, cls: type[_E]) -> _E:
    value = t.get(key)
    return _to_enum(value, where.at(key), cls)


def _to_enum(value: object, where: _Where, cls: type[_E]) -> _E:
    if not isinstance(value, str):
        raise where.fail(None, f"expected text, got {type(value).__name__}.")
    try:
        return cls(value)
    except ValueError:
        known = ", ".join(member.value for member in cls)
        raise where.fail(None, f"'{value}' is not one of: {known}.") from None


def _choice(
    t: Mapping[str, object],
    key: str,
    where: _Where,
    choices: Collection[str],
    default: str | None = None,
) -> str:
    value = _str(t, key, where, default=default)
    if value not in choices:
        raise where.fail(key, f"'{value}' is not one of: {', '.join(sorted(choices))}.")
    return value


def _list(t: Mapping[str, object], key: str, where: _Where) -> list[object]:
    value = t.get(key, [])
    if not isinstance(value, list | tuple):
        raise where.fail(key, f"expected a list, got {type(value).__name__}.")
    return list(value)


def _texts(t: Mapping[str, object], key: str, where: _Where, *, non_empty: bool) -> tuple[str, ...]:
    items = _list(t, key, where)
    if non_empty and not items:
        raise where.fail(key, "must list at least one entry.")
    result: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise where.at(key).item(index).fail(None, "expected non-empty text.")
        if item in result:
            raise where.at(key).item(index).fail(None, f"'{item}' is listed twice.")
        result.append(item)
    return tuple(result)


def _codes(
    t: Mapping[str, object],
    key: str,
    where: _Where,
    *,
    known: Collection[str],
    what: str,
    non_empty: bool = False,
) -> tuple[str, ...]:
    """A list of codes, each of which must be one of ``known`` (``what`` names them)."""
    codes = _texts(t, key, where, non_empty=non_empty)
    for index, code in enumerate(codes):
        if code not in known:
            raise where.at(key).item(index).fail(None, f"'{code}' is not a known {what}.")
    return codes


def _code(
    t: Mapping[str, object], key: str, where: _Where, known: Collection[str], what: str
) -> str:
    code = _str(t, key, where)
    if code not in known:
        raise where.fail(key, f"'{code}' is not a known {what}.")
    return code


def _quantity_value(value: object, where: _Where, key: str, dimension: Dimension) -> Quantity:
    """A quantity written ``"0.2 mL"``, ``{value = "0.2", unit = "mL"}`` or a ``Quantity``."""
    path = where.path(key)
    if isinstance(value, Quantity):
        quantity = value
    elif isinstance(value, str):
        match = _QUANTITY_RE.match(value)
        if match is None:
            raise where.fail(key, f"'{value}' is not an amount with a unit, e.g. '0.2 mL'.")
        quantity = _make_quantity(match.group(1), match.group(2), where, path)
    elif isinstance(value, Mapping):
        t = _table(value, where.at(key), ("value", "unit"))
        amount = _to_decimal(t["value"], where.at(key), "value")
        unit = _str(t, "unit", where.at(key))
        quantity = _make_quantity(amount, unit, where, path)
    else:
        raise where.fail(key, f"expected an amount with a unit, got {type(value).__name__}.")
    if quantity.value < 0:
        raise where.fail(key, f"{quantity} cannot be negative.")
    if quantity.dimension is not dimension:
        raise where.fail(
            key, f"{quantity} is a {quantity.dimension.value}, a {dimension.value} is needed."
        )
    return quantity


def _make_quantity(amount: Decimal | str, unit: str, where: _Where, path: str) -> Quantity:
    try:
        return Quantity.of(amount, unit, field=path)
    except ClinicalDataError as error:
        field_path = error.field or path
        # units.py starts its messages with the field; ours already names it.
        message = error.message.removeprefix(f"{field_path}: ")
        raise where.fail_at(field_path, message) from None


def _quantity(t: Mapping[str, object], key: str, where: _Where, dimension: Dimension) -> Quantity:
    return _quantity_value(t.get(key), where, key, dimension)


def _opt_quantity(
    t: Mapping[str, object], key: str, where: _Where, dimension: Dimension
) -> Quantity | None:
    return None if t.get(key) is None else _quantity(t, key, where, dimension)


def _tables(
    t: Mapping[str, object],
    key: str,
    where: _Where,
    read: Callable[[object, _Where], _T],
    *,
    non_empty: bool = False,
) -> tuple[_T, ...]:
    items = _list(t, key, where)
    if non_empty and not items:
        raise where.fail(key, "must list at least one entry.")
    return tuple(read(item, where.at(key).item(index)) for index, item in enumerate(items))


# --------------------------------------------------------------------------------------
# What references may point to
# --------------------------------------------------------------------------------------


@dataclass
class _Refs:
    """Codes known so far. Raw code sets are collected before parsing so that entries can
    point forwards (a protocol to an indication, a fact to a broader fact)."""

    sources: Collection[str]
    fact_codes: Collection[str] = ()
    indication_codes: Collection[str] = ()
    side_effect_codes: Collection[str] = ()
    facts: dict[str, Fact] = field(default_factory=dict)
    ingredients: dict[str, Ingredient] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    techniques: dict[str, Technique] = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=dict)
    protocols: dict[str, Protocol] = field(default_factory=dict)
    indications: dict[str, Indication] = field(default_factory=dict)

    @classmethod
    def of_catalog(cls, catalog: Catalog) -> _Refs:
        return cls(
            sources=catalog.sources,
            fact_codes=catalog.facts,
            indication_codes=catalog.indications,
            side_effect_codes=catalog.side_effects,
            facts=catalog.facts,
            ingredients=catalog.ingredients,
            products=catalog.products,
            techniques=catalog.techniques,
            scales=catalog.scales,
            protocols=catalog.protocols,
            indications=catalog.indications,
        )


def _sources(
    t: Mapping[str, object], where: _Where, refs: _Refs, *, required: bool = True
) -> tuple[str, ...]:
    if required and not t.get("sources"):
        raise where.fail("sources", "every entry must cite at least one source tag.")
    return _codes(t, "sources", where, known=refs.sources, what="source tag (see sources.toml)")


# --------------------------------------------------------------------------------------
# One reader per kind of entry
# --------------------------------------------------------------------------------------


def _source(value: object, where: _Where) -> Source:
    t = _table(value, where, ("title", "urls", "level"))
    urls = _texts(t, "urls", where, non_empty=False)  # the seed articles have none
    for index, url in enumerate(urls):
        if not url.startswith(("https://", "http://")):
            raise where.at("urls").item(index).fail(None, f"'{url}' is not a web address.")
    return Source(
        tag=where.code,
        title=_str(t, "title", where),
        urls=urls,
        level=_enum(t, "level", where, EvidenceLevel),
    )


def _fact(value: object, where: _Where, refs: _Refs) -> Fact:
    t = _table(
        value,
        where,
        ("name", "kind", "description", "sources"),
        ("implies", "contraindication", "narrowing", "older_than"),
    )
    implies = _codes(t, "implies", where, known=refs.fact_codes, what="fact")
    if where.code in implies:
        raise where.fail("implies", "a fact cannot imply itself.")
    kind = _enum(t, "kind", where, FactKind)
    rule = t.get("contraindication")
    narrowing = t.get("narrowing")
    if kind is FactKind.ALLERGEN:
        # An allergy blocks whatever carries the allergen; it has no class of its own.
        if rule is not None or narrowing is not None:
            raise where.fail("contraindication", "an allergen blocks through ingredients only.")
    elif rule is not None and narrowing is not None:
        raise where.fail("narrowing", "give a contraindication class or a narrowing, not both.")
    elif rule is None and narrowing is None and not implies:
        # A narrower fact may leave its class to the broader one it implies (coumarin).
        raise where.fail(
            "contraindication",
            "a condition or medicine needs a contraindication class (REFERENCE §4) or a "
            "narrowing to named ingredients.",
        )
    older_than = _opt_int(t, "older_than", where, minimum=1)
    if older_than is not None and kind is not FactKind.CONDITION:
        raise where.fail("older_than", "only a condition can be derived from the age.")
    return Fact(
        code=where.code,
        name=_str(t, "name", where),
        kind=kind,
        description=_str(t, "description", where),
        sources=_sources(t, where, refs),
        implies=implies,
        contraindication=None
        if rule is None
        else _contraindication(rule, where.at("contraindication"), refs),
        narrowing=None if narrowing is None else _narrowing(narrowing, where.at("narrowing"), refs),
        older_than=older_than,
    )


def _contraindication(value: object, where: _Where, refs: _Refs) -> Contraindication:
    t = _table(
        value, where, ("class", "message", "sources"), ("disputed", "elective_only", "stronger")
    )
    stronger = t.get("stronger")
    return Contraindication(
        klass=_enum(t, "class", where, ContraindicationClass),
        message=_str(t, "message", where),
        sources=_sources(t, where, refs),
        disputed=_bool(t, "disputed", where, False),
        elective_only=_bool(t, "elective_only", where, False),
        stronger=None if stronger is None else _stronger(stronger, where.at("stronger"), refs),
    )


def _stronger(value: object, where: _Where, refs: _Refs) -> Stronger:
    # Ingredient codes are checked once ingredients are read (_check_narrowings).
    t = _table(value, where, ("sources",), ("tags", "ingredients"))
    tags = _codes(t, "tags", where, known=INGREDIENT_TAGS, what="ingredient tag")
    ingredients = _texts(t, "ingredients", where, non_empty=False)
    if not tags and not ingredients:
        raise where.fail("tags", "name the tags or the ingredients it is stronger for.")
    return Stronger(tags=tags, ingredients=ingredients, sources=_sources(t, where, refs))


def _narrowing(value: object, where: _Where, refs: _Refs) -> Narrowing:
    # Ingredient codes are checked once ingredients are read (_check_narrowings).
    t = _table(value, where, ("ingredients", "sources"))
    return Narrowing(
        ingredients=_texts(t, "ingredients", where, non_empty=True),
        sources=_sources(t, where, refs),
    )


def _check_narrowings(facts: Mapping[str, Fact], ingredients: Mapping[str, Ingredient]) -> None:
    for fact in facts.values():
        named: list[tuple[str, tuple[str, ...]]] = []
        if fact.narrowing is not None:
            named.append(("narrowing", fact.narrowing.ingredients))
        if fact.contraindication is not None and fact.contraindication.stronger is not None:
            named.append(("contraindication.stronger", fact.contraindication.stronger.ingredients))
        for path, codes in named:
            where = _Where("facts.toml", fact.code).at(path).at("ingredients")
            for index, code in enumerate(codes):
                if code not in ingredients:
                    raise where.item(index).fail(None, f"'{code}' is not a known ingredient.")


def _caution(value: object, where: _Where, refs: _Refs) -> Caution:
    t = _table(value, where, ("fact", "severity", "message", "sources"), ("configurable",))
    return Caution(
        fact=_code(t, "fact", where, refs.fact_codes, "fact (see facts.toml)"),
        severity=_enum(t, "severity", where, Severity),
        message=_str(t, "message", where),
        sources=_sources(t, where, refs),
        configurable=_bool(t, "configurable", where, False),
    )


def _label_limits(value: object, where: _Where, refs: _Refs) -> LabelLimits:
    t = _table(
        value,
        where,
        ("sources",),
        (
            "max_volume_per_injection",
            "max_volume_per_session",
            "max_mass_per_session",
            "max_sessions",
            "min_interval_days",
            "min_age_years",
        ),
    )
    per_injection = _opt_quantity(t, "max_volume_per_injection", where, Dimension.VOLUME)
    per_session = _opt_quantity(t, "max_volume_per_session", where, Dimension.VOLUME)
    if per_injection is not None and per_session is not None and per_injection > per_session:
        raise where.fail(
            "max_volume_per_injection",
            f"{per_injection} per injection exceeds {per_session} per session.",
        )
    return LabelLimits(
        max_volume_per_injection=per_injection,
        max_volume_per_session=per_session,
        max_mass_per_session=_opt_quantity(t, "max_mass_per_session", where, Dimension.MASS),
        max_sessions=_opt_int(t, "max_sessions", where, minimum=1),
        min_interval_days=_opt_int(t, "min_interval_days", where, minimum=1),
        min_age_years=_opt_int(t, "min_age_years", where, minimum=0),
        sources=_sources(t, where, refs),
    )


def _regulatory(value: object, where: _Where, refs: _Refs) -> RegulatoryFlag:
    t = _table(value, where, ("code", "severity", "message", "sources"))
    return RegulatoryFlag(
        code=_choice(t, "code", where, REGULATORY_CODES),
        severity=_enum(t, "severity", where, Severity),
        message=_str(t, "message", where),
        sources=_sources(t, where, refs),
    )


def _ingredient(value: object, where: _Where, refs: _Refs) -> Ingredient:
    t = _table(
        value,
        where,
        ("name", "description", "classes", "sources"),
        ("allergens", "cautions", "tags", "usual_concentration", "label_limits", "regulatory"),
    )
    classes = _texts(t, "classes", where, non_empty=True)
    allergen_facts = [code for code, fact in refs.facts.items() if fact.kind is FactKind.ALLERGEN]
    cautions = _tables(t, "cautions", where, lambda v, w: _caution(v, w, refs))
    _reject_repeats(
        [c.fact for c in cautions],
        where.at("cautions"),
        "fact",
        "'{}' already has a caution on this ingredient.",
    )
    limits = t.get("label_limits")
    return Ingredient(
        code=where.code,
        name=_str(t, "name", where),
        description=_str(t, "description", where),
        classes=tuple(
            _to_enum(c, where.at("classes").item(i), IngredientClass) for i, c in enumerate(classes)
        ),
        sources=_sources(t, where, refs),
        allergens=_codes(t, "allergens", where, known=allergen_facts, what="allergen fact"),
        cautions=cautions,
        tags=_codes(t, "tags", where, known=INGREDIENT_TAGS, what="ingredient tag"),
        usual_concentration=_opt_quantity(t, "usual_concentration", where, Dimension.CONCENTRATION),
        label_limits=None
        if limits is None
        else _label_limits(limits, where.at("label_limits"), refs),
        regulatory=_tables(t, "regulatory", where, lambda v, w: _regulatory(v, w, refs)),
    )


def _reject_repeats(codes: Sequence[str], where: _Where, field: str, message: str) -> None:
    """Fail on the first code that appears a second time in a list, naming its position."""
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            raise where.item(index).fail(field, message.format(code))
        seen.add(code)


def _component(value: object, where: _Where, refs: _Refs) -> Component:
    t = _table(value, where, ("ingredient",), ("concentration",))
    return Component(
        ingredient=_code(t, "ingredient", where, refs.ingredients, "ingredient"),
        concentration=_opt_quantity(t, "concentration", where, Dimension.CONCENTRATION),
    )


def _same_code(t: Mapping[str, object], where: _Where) -> None:
    """Clinic entries carry their ``code`` inside; it must match the entry being read."""
    if "code" in t and t["code"] != where.code:
        raise where.fail("code", f"'{t['code']}' does not match the entry code '{where.code}'.")


def _product(value: object, where: _Where, refs: _Refs, *, require_sources: bool) -> Product:
    t = _table(
        value,
        where,
        ("name", "manufacturer", "description", "composition", "form"),
        (
            "sources",
            "unit_volume",
            "regulatory_status",
            "discontinued",
            "code",
            "allergy_test_required",
            "no_mixing_sources",
        ),
    )
    _same_code(t, where)
    # Exempting a product from test injections is a label fact, so it must say where from.
    test_required = _bool(t, "allergy_test_required", where, True)
    if not test_required and not t.get("sources"):
        raise where.fail(
            "allergy_test_required", "an exemption from the allergy test needs its sources."
        )
    composition = _tables(
        t, "composition", where, lambda v, w: _component(v, w, refs), non_empty=True
    )
    _reject_repeats(
        [c.ingredient for c in composition],
        where.at("composition"),
        "ingredient",
        "'{}' is listed twice.",
    )
    return Product(
        code=where.code,
        name=_str(t, "name", where),
        manufacturer=_str(t, "manufacturer", where),
        description=_str(t, "description", where),
        composition=composition,
        form=_choice(t, "form", where, PRODUCT_FORMS),
        sources=_sources(t, where, refs, required=require_sources),
        unit_volume=_opt_quantity(t, "unit_volume", where, Dimension.VOLUME),
        regulatory_status=_choice(
            t, "regulatory_status", where, REGULATORY_STATUSES, default="medicine"
        ),
        discontinued=_bool(t, "discontinued", where, False),
        allergy_test_required=test_required,
        no_mixing_sources=_codes(
            t, "no_mixing_sources", where, known=refs.sources, what="source tag"
        ),
    )


def _needle(value: object, where: _Where) -> Needle:
    t = _table(value, where, ("gauge", "length"))
    gauge = _int(t, "gauge", where, minimum=18)
    if gauge > 34:
        raise where.fail("gauge", f"{gauge}G is finer than any injection needle (34G).")
    length = _quantity(t, "length", where, Dimension.LENGTH)
    if length.value == 0:
        raise where.fail("length", "a needle must have a length.")
    return Needle(gauge=gauge, length=length)


def _technique(value: object, where: _Where, refs: _Refs) -> Technique:
    t = _table(
        value,
        where,
        ("name", "description", "depth_min", "depth_max", "angle", "spacing", "sources"),
        ("needles", "uses_needle"),
    )
    depth_min = _quantity(t, "depth_min", where, Dimension.LENGTH)
    depth_max = _quantity(t, "depth_max", where, Dimension.LENGTH)
    if depth_min > depth_max:
        raise where.fail("depth_min", f"{depth_min} is deeper than depth_max {depth_max}.")
    uses_needle = _bool(t, "uses_needle", where, True)
    needles = _tables(t, "needles", where, _needle)
    if uses_needle and not needles:
        raise where.fail("needles", "a needle technique must list at least one needle.")
    if not uses_needle and needles:
        raise where.fail("needles", "a needle-free technique cannot list needles.")
    if needles and not any(needle.length >= depth_max for needle in needles):
        raise where.fail("needles", f"no listed needle is long enough to reach {depth_max}.")
    return Technique(
        code=where.code,
        name=_str(t, "name", where),
        description=_str(t, "description", where),
        depth_min=depth_min,
        depth_max=depth_max,
        angle=_str(t, "angle", where),
        spacing=_str(t, "spacing", where),
        needles=needles,
        sources=_sources(t, where, refs),
        uses_needle=uses_needle,
    )


def _interval(t: Mapping[str, object], where: _Where) -> tuple[int, int, int]:
    low = _int(t, "interval_min_days", where, minimum=1)
    target = _int(t, "interval_target_days", where, minimum=1)
    high = _int(t, "interval_max_days", where, minimum=1)
    if low > target:
        raise where.fail(
            "interval_min_days", f"{low} days is more than interval_target_days ({target})."
        )
    if target > high:
        raise where.fail(
            "interval_target_days", f"{target} days is more than interval_max_days ({high})."
        )
    return low, target, high


def _phase(value: object, where: _Where) -> Phase:
    t = _table(
        value,
        where,
        (
            "name",
            "sessions_min",
            "sessions_default",
            "sessions_max",
            "interval_min_days",
            "interval_target_days",
            "interval_max_days",
        ),
    )
    low = _int(t, "sessions_min", where, minimum=1)
    default = _int(t, "sessions_default", where, minimum=1)
    high = _int(t, "sessions_max", where, minimum=1)
    if low > default:
        raise where.fail("sessions_min", f"{low} is more than sessions_default ({default}).")
    if default > high:
        raise where.fail("sessions_default", f"{default} is more than sessions_max ({high}).")
    interval = _interval(t, where)
    return Phase(_str(t, "name", where), low, default, high, *interval)


def _maintenance(value: object, where: _Where) -> Maintenance:
    t = _table(
        value,
        where,
        ("interval_min_days", "interval_target_days", "interval_max_days"),
        ("count",),
    )
    low, target, high = _interval(t, where)
    return Maintenance(low, target, high, count=_opt_int(t, "count", where, minimum=1))


def _protocol(
    value: object, where: _Where, refs: _Refs, *, require_sources: bool, allow_label: bool
) -> Protocol:
    t = _table(
        value,
        where,
        ("name", "description", "indications", "phases"),
        ("sources", "maintenance", "label", "configurable", "code"),
    )
    _same_code(t, where)
    phases = _tables(t, "phases", where, _phase, non_empty=True)
    names: set[str] = set()
    for index, phase in enumerate(phases):
        if phase.name in names:
            raise where.at("phases").item(index).fail("name", f"'{phase.name}' is used twice.")
        names.add(phase.name)
    label = _bool(t, "label", where, False)
    configurable = _bool(t, "configurable", where, True)
    if label and not allow_label:
        raise where.fail("label", "only the catalog's regulator-label protocols can be 'label'.")
    if label and configurable:
        raise where.fail("configurable", "a label protocol is a hard limit, not configurable.")
    maintenance = t.get("maintenance")
    return Protocol(
        code=where.code,
        name=_str(t, "name", where),
        description=_str(t, "description", where),
        indications=_codes(
            t,
            "indications",
            where,
            known=refs.indication_codes,
            what="indication",
            non_empty=True,
        ),
        phases=phases,
        sources=_sources(t, where, refs, required=require_sources),
        maintenance=None
        if maintenance is None
        else _maintenance(maintenance, where.at("maintenance")),
        label=label,
        configurable=configurable,
    )


def _family(value: object, where: _Where, refs: _Refs) -> CocktailFamily:
    t = _table(value, where, ("name", "purpose", "classes", "ingredients"), ("products",))
    classes = tuple(
        _to_enum(c, where.at("classes").item(i), IngredientClass)
        for i, c in enumerate(_texts(t, "classes", where, non_empty=True))
    )
    ingredients = _codes(
        t, "ingredients", where, known=refs.ingredients, what="ingredient", non_empty=True
    )
    for index, code in enumerate(ingredients):
        if not set(refs.ingredients[code].classes) & set(classes):
            raise (
                where.at("ingredients")
                .item(index)
                .fail(None, f"'{code}' has none of this family's classes ({', '.join(classes)}).")
            )
    return CocktailFamily(
        name=_str(t, "name", where),
        purpose=_str(t, "purpose", where),
        classes=classes,
        ingredients=ingredients,
        products=_codes(t, "products", where, known=refs.products, what="product"),
    )


def _indication(value: object, where: _Where, refs: _Refs) -> Indication:
    t = _table(
        value,
        where,
        (
            "name",
            "description",
            "usual_areas",
            "techniques",
            "cocktail_families",
            "outcome_scales",
            "protocols",
            "course_length",
            "evidence_note",
            "sources",
        ),
        ("icd10", "icd10_note", "cosmetic", "safety_net"),
    )
    icd10 = _opt_str(t, "icd10", where)
    if icd10 is not None:
        if not _ICD10_RE.match(icd10):
            raise where.fail("icd10", f"'{icd10}' is not an ICD-10 code such as 'E65' or 'L64.9'.")
        if icd10.startswith("L03"):
            raise where.fail(
                "icd10", f"'{icd10}' is cellulitis (a bacterial infection), not cellulite."
            )
    protocols = _codes(t, "protocols", where, known=refs.protocols, what="protocol")
    for index, code in enumerate(protocols):
        if where.code not in refs.protocols[code].indications:
            raise (
                where.at("protocols")
                .item(index)
                .fail(
                    None, f"protocol '{code}' does not list '{where.code}' among its indications."
                )
            )
    return Indication(
        code=where.code,
        name=_str(t, "name", where),
        description=_str(t, "description", where),
        usual_areas=_texts(t, "usual_areas", where, non_empty=True),
        techniques=_codes(
            t, "techniques", where, known=refs.techniques, what="technique", non_empty=True
        ),
        cocktail_families=_tables(t, "cocktail_families", where, lambda v, w: _family(v, w, refs)),
        outcome_scales=_codes(
            t, "outcome_scales", where, known=refs.scales, what="scale", non_empty=True
        ),
        protocols=protocols,
        course_length=_str(t, "course_length", where),
        evidence_note=_str(t, "evidence_note", where),
        sources=_sources(t, where, refs),
        icd10=icd10,
        icd10_note=_str(t, "icd10_note", where, default=""),
        cosmetic=_bool(t, "cosmetic", where, True),
        safety_net=(
            None
            if t.get("safety_net") is None
            else _safety_net(t["safety_net"], where.at("safety_net"), refs)
        ),
    )


def _side_effect(value: object, where: _Where, refs: _Refs) -> SideEffect:
    t = _table(
        value,
        where,
        ("name", "description", "expected_duration", "sources"),
        ("duration_max_hours", "red_flags", "expected", "review_after_minutes"),
    )
    return SideEffect(
        code=where.code,
        name=_str(t, "name", where),
        description=_str(t, "description", where),
        expected_duration=_str(t, "expected_duration", where),
        duration_max_hours=_opt_int(t, "duration_max_hours", where, minimum=1),
        red_flags=_texts(t, "red_flags", where, non_empty=False),
        sources=_sources(t, where, refs),
        expected=_bool(t, "expected", where, True),
        review_after_minutes=_opt_int(t, "review_after_minutes", where, minimum=1),
    )


def _safety_net(value: object, where: _Where, refs: _Refs) -> SafetyNet:
    t = _table(value, where, ("after_last_session_days", "side_effect", "question", "sources"))
    days = _list(t, "after_last_session_days", where)
    if not days:
        raise where.fail("after_last_session_days", "must list at least one entry.")
    for index, day in enumerate(days):
        if isinstance(day, bool) or not isinstance(day, int) or day < 1:
            raise (
                where.at("after_last_session_days")
                .item(index)
                .fail(None, "expected a whole number of days, at least 1.")
            )
    side_effect = _str(t, "side_effect", where)
    if side_effect not in refs.side_effect_codes:
        raise where.fail("side_effect", f"'{side_effect}' is not a side effect of the catalog.")
    return SafetyNet(
        after_last_session_days=tuple(sorted(int(d) for d in days)),  # type: ignore[call-overload]
        side_effect=side_effect,
        question=_str(t, "question", where),
        sources=_sources(t, where, refs),
    )


def _aftercare(value: object, where: _Where, refs: _Refs) -> AftercareAdvice:
    t = _table(value, where, ("title", "text", "sources"), ("techniques", "indications", "timing"))
    return AftercareAdvice(
        code=where.code,
        title=_str(t, "title", where),
        text=_str(t, "text", where),
        sources=_sources(t, where, refs),
        techniques=_codes(t, "techniques", where, known=refs.techniques, what="technique"),
        indications=_codes(t, "indications", where, known=refs.indications, what="indication"),
        timing=_str(t, "timing", where, default=""),
    )


def _checklist_item(value: object, where: _Where, refs: _Refs) -> ChecklistItem:
    t = _table(value, where, ("title", "description", "order", "sources"))
    return ChecklistItem(
        code=where.code,
        title=_str(t, "title", where),
        description=_str(t, "description", where),
        order=_int(t, "order", where, minimum=1),
        sources=_sources(t, where, refs),
    )


def _on_step(value: Decimal, item: ScaleItem) -> bool:
    return (value - item.minimum) % item.step == 0


def _scale_item(value: object, where: _Where) -> ScaleItem:
    t = _table(value, where, ("code", "label", "minimum", "maximum"), ("anchors", "step"))
    minimum = _decimal(t, "minimum", where)
    maximum = _decimal(t, "maximum", where)
    if minimum >= maximum:
        raise where.fail("minimum", f"{minimum} must be below maximum {maximum}.")
    step = _decimal({"step": t.get("step", 1)}, "step", where)
    if step <= 0:
        raise where.fail("step", f"{step} must be above zero.")
    item = ScaleItem(_str(t, "code", where), _str(t, "label", where), minimum, maximum, (), step)
    anchors: list[tuple[str, str]] = []
    for index, anchor in enumerate(_list(t, "anchors", where)):
        at = where.at("anchors").item(index)
        if (
            not isinstance(anchor, list | tuple)
            or len(anchor) != 2
            or not all(isinstance(part, str) and part for part in anchor)
        ):
            raise at.fail(None, "expected a pair of texts [value, meaning].")
        number = _to_decimal(anchor[0], at, None)
        if not (minimum <= number <= maximum) or not _on_step(number, item):
            raise at.fail(None, f"anchor value {anchor[0]} is not a score on this item.")
        if any(existing == anchor[0] for existing, _ in anchors):
            raise at.fail(None, f"anchor value {anchor[0]} is given twice.")
        anchors.append((anchor[0], anchor[1]))
    return ScaleItem(item.code, item.label, minimum, maximum, tuple(anchors), step)


def _band(value: object, where: _Where) -> Band:
    t = _table(value, where, ("minimum", "maximum", "label"))
    minimum = _decimal(t, "minimum", where)
    maximum = _decimal(t, "maximum", where)
    if minimum > maximum:
        raise where.fail("minimum", f"{minimum} is above maximum {maximum}.")
    return Band(minimum, maximum, _str(t, "label", where))


def _scale(value: object, where: _Where, refs: _Refs) -> Scale:
    t = _table(
        value,
        where,
        ("name", "description", "items", "scoring", "sources"),
        ("bands", "bands_uncertain", "lower_is_better", "unit", "loinc"),
    )
    items = _tables(t, "items", where, _scale_item, non_empty=True)
    codes = [item.code for item in items]
    if len(set(codes)) != len(codes):
        raise where.fail("items", "item codes must be unique.")
    scoring = _choice(t, "scoring", where, SCORINGS)
    if scoring == "single" and len(items) != 1:
        raise where.fail("scoring", "a 'single' scale has exactly one item.")
    low = sum((item.minimum for item in items), Decimal(0))
    high = sum((item.maximum for item in items), Decimal(0))
    if scoring == "single":
        low, high = items[0].minimum, items[0].maximum
    bands = _tables(t, "bands", where, _band)
    for index, band in enumerate(bands):
        if band.minimum < low or band.maximum > high:
            raise (
                where.at("bands")
                .item(index)
                .fail(
                    None,
                    f"band {band.minimum}-{band.maximum} lies outside the scores {low}-{high}.",
                )
            )
        if index and band.minimum <= bands[index - 1].maximum:
            raise (
                where.at("bands")
                .item(index)
                .fail(None, "bands must be in ascending order and must not overlap.")
            )
    loinc = _opt_str(t, "loinc", where)
    if loinc is not None and not _LOINC_RE.match(loinc):
        raise where.fail("loinc", f"'{loinc}' is not a LOINC code such as '38214-3'.")
    return Scale(
        code=where.code,
        name=_str(t, "name", where),
        description=_str(t, "description", where),
        items=items,
        scoring=scoring,
        sources=_sources(t, where, refs),
        bands=bands,
        bands_uncertain=_bool(t, "bands_uncertain", where, False),
        lower_is_better=_bool(t, "lower_is_better", where, False),
        unit=_str(t, "unit", where, default=""),
        loinc=loinc,
    )


# --------------------------------------------------------------------------------------
# Whole files and the whole catalog
# --------------------------------------------------------------------------------------


def _entries(
    documents: Mapping[str, Mapping[str, object]],
    file: str,
    read: Callable[[object, _Where], _T],
    *,
    code_re: re.Pattern[str] = _CODE_RE,
) -> dict[str, _T]:
    result: dict[str, _T] = {}
    for code, value in documents[file].items():
        where = _Where(file, code)
        if not code_re.match(code):
            raise where.fail(None, "is not a valid code (lower-case words joined by '-').")
        result[code] = read(value, where)
    return result


def _codes_in(documents: Mapping[str, Mapping[str, object]], file: str) -> frozenset[str]:
    return frozenset(documents[file])


def _check_implies(facts: Mapping[str, Fact]) -> None:
    for fact in facts.values():
        where = _Where("facts.toml", fact.code)
        for index, broader in enumerate(fact.implies):
            if facts[broader].kind is not fact.kind:
                raise (
                    where.at("implies")
                    .item(index)
                    .fail(
                        None,
                        f"'{broader}' is a {facts[broader].kind.value}, not a {fact.kind.value}.",
                    )
                )
        seen: set[str] = set()
        stack = list(fact.implies)
        while stack:
            code = stack.pop()
            if code == fact.code:
                raise where.fail("implies", "facts imply one another in a circle.")
            if code not in seen:
                seen.add(code)
                stack.extend(facts[code].implies)


def _check_protocol_indications(
    protocols: Mapping[str, Protocol], indications: Mapping[str, Indication]
) -> None:
    for protocol in protocols.values():
        for index, code in enumerate(protocol.indications):
            if protocol.code not in indications[code].protocols:
                raise (
                    _Where("protocols.toml", protocol.code)
                    .at("indications")
                    .item(index)
                    .fail(None, f"indication '{code}' does not list this protocol.")
                )


def _session_minutes(value: object, where: _Where, refs: _Refs) -> SessionMinutes:
    t = _table(value, where, ("min", "max", "sources"))
    low, high = t.get("min"), t.get("max")
    if not isinstance(low, int) or not isinstance(high, int) or not 0 < low <= high <= 600:
        raise where.fail("min", "a session's minutes are whole numbers, 0 < min <= max <= 600.")
    return SessionMinutes(low, high, _sources(t, where, refs))


def _history(
    value: object, refs: _Refs
) -> tuple[str, tuple[tuple[str, str], ...], SessionMinutes | None]:
    where = _Where("catalog.toml", "catalog")
    t = _table(value, where, ("version", "history", "session_minutes"))
    version = _str(t, "version", where)
    if not _VERSION_RE.match(version):
        raise where.fail("version", f"'{version}' is not a version such as '2026.11.1'.")

    def event(item: object, at: _Where) -> tuple[str, str]:
        e = _table(item, at, ("year", "event", "sources"))
        year = _str(e, "year", at)
        if not re.fullmatch(r"\d{4}", year):
            raise at.fail("year", f"'{year}' is not a year.")
        _sources(e, at, refs)
        return year, _str(e, "event", at)

    history = _tables(t, "history", where, event, non_empty=True)
    minutes = (
        _session_minutes(t["session_minutes"], where.at("session_minutes"), refs)
        if "session_minutes" in t
        else None
    )
    return version, history, minutes


def parse_catalog(documents: Mapping[str, Mapping[str, object]]) -> Catalog:
    """Build the catalog from parsed TOML documents keyed by file name, checking everything."""
    for name in FILES:
        if name not in documents:
            raise ClinicalDataError(f"{name}: the catalog file is missing.", field=name)
    for name in documents:
        if name not in FILES:
            raise ClinicalDataError(f"{name}: not a catalog file.", field=name)

    sources = _entries(documents, "sources.toml", _source, code_re=_TAG_RE)
    refs = _Refs(
        sources=sources,
        fact_codes=_codes_in(documents, "facts.toml"),
        indication_codes=_codes_in(documents, "indications.toml"),
        side_effect_codes=_codes_in(documents, "side_effects.toml"),
    )
    version, history, session_minutes = _history(documents["catalog.toml"], refs)
    refs.facts = _entries(documents, "facts.toml", lambda v, w: _fact(v, w, refs))
    _check_implies(refs.facts)
    refs.ingredients = _entries(documents, "ingredients.toml", lambda v, w: _ingredient(v, w, refs))
    _check_narrowings(refs.facts, refs.ingredients)
    refs.products = _entries(
        documents, "products.toml", lambda v, w: _product(v, w, refs, require_sources=True)
    )
    refs.techniques = _entries(documents, "techniques.toml", lambda v, w: _technique(v, w, refs))
    refs.scales = _entries(documents, "scales.toml", lambda v, w: _scale(v, w, refs))
    refs.protocols = _entries(
        documents,
        "protocols.toml",
        lambda v, w: _protocol(v, w, refs, require_sources=True, allow_label=True),
    )
    refs.indications = _entries(documents, "indications.toml", lambda v, w: _indication(v, w, refs))
    _check_protocol_indications(refs.protocols, refs.indications)
    side_effects = _entries(documents, "side_effects.toml", lambda v, w: _side_effect(v, w, refs))
    aftercare = _entries(documents, "aftercare.toml", lambda v, w: _aftercare(v, w, refs))
    checklist = _entries(documents, "checklist.toml", lambda v, w: _checklist_item(v, w, refs))
    orders: dict[int, str] = {}
    for item in checklist.values():
        if item.order in orders:
            raise _Where("checklist.toml", item.code).fail(
                "order", f"{item.order} is also the order of '{orders[item.order]}'."
            )
        orders[item.order] = item.code

    return Catalog(
        version=version,
        sources=sources,
        facts=refs.facts,
        ingredients=refs.ingredients,
        products=refs.products,
        techniques=refs.techniques,
        protocols=refs.protocols,
        indications=refs.indications,
        side_effects=side_effects,
        aftercare=aftercare,
        checklist=tuple(sorted(checklist.values(), key=lambda item: item.order)),
        scales=refs.scales,
        history=history,
        session_minutes=session_minutes,
    )


def read_documents(directory: Path = DATA_DIR) -> dict[str, dict[str, object]]:
    """The raw TOML of every catalog file in ``directory``, keyed by file name."""
    documents: dict[str, dict[str, object]] = {}
    for name in FILES:
        path = directory / name
        try:
            with path.open("rb") as handle:
                documents[name] = tomllib.load(handle)
        except FileNotFoundError:
            raise ClinicalDataError(f"{name}: the catalog file is missing.", field=name) from None
        except tomllib.TOMLDecodeError as error:
            raise ClinicalDataError(f"{name}: not valid TOML ({error}).", field=name) from None
    return documents


def load_catalog_from(directory: Path = DATA_DIR) -> Catalog:
    """Read and check the catalog in ``directory`` (the packaged data by default)."""
    return parse_catalog(read_documents(directory))


# --------------------------------------------------------------------------------------
# Clinic-specific entries (the Django side stores them; the checks are the same)
# --------------------------------------------------------------------------------------


def _clinic_code(data: Mapping[str, object], what: str) -> _Where:
    code = data.get("code") if isinstance(data, Mapping) else None
    where = _Where(f"clinic {what}", code if isinstance(code, str) and code else "(new)")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise where.fail("code", "is required: lower-case words joined by '-'.")
    return where


def protocol_from_dict(
    data: Mapping[str, object], catalog: Catalog, *, require_sources: bool = True
) -> Protocol:
    """A clinic's own protocol, checked like the catalog's.

    ``data`` holds the ``Protocol`` fields (``phases`` and ``maintenance`` as mappings). A
    clinic protocol is always an editable template: ``label`` must be false. Errors name the
    field, e.g. ``phases[0].interval_min_days``.
    """
    where = _clinic_code(data, "protocol")
    return _protocol(
        data, where, _Refs.of_catalog(catalog), require_sources=require_sources, allow_label=False
    )


def product_from_dict(
    data: Mapping[str, object], catalog: Catalog, *, require_sources: bool = True
) -> Product:
    """A clinic's own product, checked like the catalog's (ingredients must be known)."""
    where = _clinic_code(data, "product")
    return _product(data, where, _Refs.of_catalog(catalog), require_sources=require_sources)
