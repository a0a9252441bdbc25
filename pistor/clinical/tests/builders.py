"""Small in-memory catalogs for rule tests, independent of the packaged data files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from pistor.clinical.catalog.types import (
    Band,
    Catalog,
    Caution,
    CocktailFamily,
    Component,
    Fact,
    FactKind,
    Indication,
    Ingredient,
    IngredientClass,
    LabelLimits,
    Maintenance,
    Needle,
    Phase,
    Product,
    Protocol,
    RegulatoryFlag,
    Scale,
    ScaleItem,
    Severity,
    Technique,
)
from pistor.clinical.units import Quantity


def q(value: str | int, unit: str) -> Quantity:
    return Quantity.of(value, unit)


def fact(code: str, name: str, kind: FactKind, implies: tuple[str, ...] = ()) -> Fact:
    return Fact(code, name, kind, f"{name}.", ("S1",), implies)


FACTS = (
    fact("pregnancy", "Pregnancy", FactKind.CONDITION),
    fact("breastfeeding", "Breastfeeding", FactKind.CONDITION),
    fact("epilepsy", "Epilepsy or seizure history", FactKind.CONDITION),
    fact("bleeding-disorder", "Bleeding disorder", FactKind.CONDITION),
    fact("infection-at-site", "Infection at the site", FactKind.CONDITION),
    fact("anticoagulant", "Anticoagulant", FactKind.MEDICATION),
    fact("coumarin", "Coumarin (warfarin)", FactKind.MEDICATION, ("anticoagulant",)),
    fact("antidiabetic", "Diabetes medicine", FactKind.MEDICATION),
    fact("theophylline", "Theophylline (oral)", FactKind.MEDICATION),
    fact("fish-oil", "Fish-oil supplement", FactKind.MEDICATION),
    fact("soy", "Soya allergy", FactKind.ALLERGEN),
    fact("peanut", "Peanut allergy", FactKind.ALLERGEN),
)


def ingredient(
    code: str,
    *,
    tags: tuple[str, ...] = (),
    allergens: tuple[str, ...] = (),
    cautions: tuple[Caution, ...] = (),
    usual: Quantity | None = None,
    limits: LabelLimits | None = None,
    regulatory: tuple[RegulatoryFlag, ...] = (),
    classes: tuple[IngredientClass, ...] = (IngredientClass.LIPOLYTIC,),
) -> Ingredient:
    name = "L-carnitine" if code == "l-carnitine" else code.replace("-", " ").capitalize()
    return Ingredient(
        code,
        name,
        f"{name}.",
        classes,
        ("S1",),
        allergens=allergens,
        cautions=cautions,
        tags=tags,
        usual_concentration=usual,
        label_limits=limits,
        regulatory=regulatory,
    )


DC_LIMITS = LabelLimits(
    max_volume_per_injection=q("0.2", "mL"),
    max_volume_per_session=q("10", "mL"),
    max_mass_per_session=q("100", "mg"),
    max_sessions=6,
    min_interval_days=30,
    min_age_years=18,
    sources=("S12",),
)

INGREDIENTS = (
    ingredient(
        "lidocaine",
        tags=("amide-anaesthetic",),
        allergens=("amide-local-anaesthetic",),
        classes=(IngredientClass.ANAESTHETIC,),
        usual=q("1", "%"),
    ),
    ingredient("adrenaline", tags=("adrenaline",), classes=(IngredientClass.ANAESTHETIC,)),
    ingredient(
        "phosphatidylcholine",
        tags=("lipolytic-drug",),
        allergens=("soy", "peanut"),
        usual=q("50", "mg/mL"),
        cautions=(Caution("soy", Severity.BLOCK, "It is made from soya lecithin.", ("S27",)),),
    ),
    ingredient(
        "l-carnitine",
        tags=("coumarin-inr", "hypoglycaemia", "lipolytic-drug"),
        cautions=(
            Caution("epilepsy", Severity.WARN, "Seizures have been reported.", ("S49",), True),
        ),
        usual=q("10", "mg/mL"),
    ),
    ingredient("aminophylline", tags=("xanthine",), usual=q("24", "mg/mL")),
    ingredient("caffeine", tags=("xanthine",)),
    ingredient("isoproterenol", tags=("beta-agonist",)),
    ingredient(
        "deoxycholic-acid",
        tags=("lipolytic-drug", "bleeding-risk-strong", "pigmentation-risk"),
        cautions=(
            Caution(
                "infection-at-site",
                Severity.BLOCK,
                "Infection at the site is a label contraindication.",
                ("S12",),
            ),
        ),
        limits=DC_LIMITS,
    ),
    ingredient(
        "buflomedil",
        classes=(IngredientClass.VASOACTIVE,),
        regulatory=(
            RegulatoryFlag(
                "withdrawn-eu", Severity.BLOCK, "Its licences were suspended in the EU.", ("S46",)
            ),
        ),
    ),
    ingredient("hyaluronic-acid", classes=(IngredientClass.HYDRATING,), usual=q("15", "mg/g")),
)

PRODUCTS = (
    Product(
        "lidocaine-1-adrenaline",
        "Lidocaine 1% with adrenaline",
        "Generic",
        "Lidocaine with adrenaline.",
        (Component("lidocaine", q("10", "mg/mL")), Component("adrenaline", q("5", "mcg/mL"))),
        "solution",
        ("S51b",),
    ),
    Product(
        "lidocaine-1",
        "Lidocaine 1%",
        "Generic",
        "Lidocaine.",
        (Component("lidocaine", q("1", "%")),),
        "solution",
        ("S51b",),
    ),
    Product(
        "dermaheal-ll",
        "Dermaheal LL",
        "Caregen",
        "PC and L-carnitine.",
        (Component("phosphatidylcholine", q("5", "%")), Component("l-carnitine", q("1", "%"))),
        "solution",
        ("S55",),
    ),
    Product(
        "redensity-1",
        "Redensity 1",
        "Teoxane",
        "HA with lidocaine.",
        (Component("hyaluronic-acid", q("15", "mg/g")), Component("lidocaine", q("0.3", "%"))),
        "gel",
        ("S29",),
    ),
    Product(
        "kybella",
        "Kybella",
        "Allergan",
        "Deoxycholic acid.",
        (Component("deoxycholic-acid", q("10", "mg/mL")),),
        "solution",
        ("S12",),
    ),
)


def technique(
    code: str, low: str, high: str, needles: Iterable[int], *, uses: bool = True
) -> Technique:
    return Technique(
        code,
        code.replace("-", " ").capitalize(),
        "",
        q(low, "mm"),
        q(high, "mm"),
        "",
        "",
        tuple(Needle(30, q(n, "mm")) for n in needles),
        ("S2",),
        uses_needle=uses,
    )


TECHNIQUES = (
    technique("papule", "1", "2", (4,)),
    technique("nappage", "2", "4", (4,)),
    technique("point-by-point", "4", "12", (4, 6, 13)),
    technique("linear-retrograde", "1", "2.5", (13,)),
    technique("needle-free", "0", "0", (), uses=False),
)

WEEKLY = Protocol(
    "weekly",
    "Ten weekly then monthly",
    "",
    ("cellulite",),
    (
        Phase("initial", 5, 10, 15, 7, 7, 14),
        Phase("monthly", 6, 6, 6, 28, 30, 35),
    ),
    ("seed-004",),
    maintenance=Maintenance(75, 90, 120),
)
DC_LABEL = Protocol(
    "dc-label",
    "Deoxycholic acid label",
    "",
    ("submental-fat",),
    (Phase("course", 1, 6, 6, 30, 30, 60),),
    ("S12",),
    label=True,
    configurable=False,
)


def indication(
    code: str, *, cosmetic: bool = True, families: tuple[CocktailFamily, ...] = ()
) -> Indication:
    return Indication(
        code,
        code.replace("-", " ").capitalize(),
        "",
        (),
        ("papule",),
        families,
        (),
        (),
        "",
        "",
        ("S1",),
        cosmetic=cosmetic,
    )


INDICATIONS = (
    indication(
        "cellulite",
        families=(
            CocktailFamily(
                "Lipolytic",
                "Break down fat",
                (IngredientClass.LIPOLYTIC,),
                ("phosphatidylcholine", "l-carnitine", "aminophylline"),
                ("dermaheal-ll",),
            ),
            CocktailFamily(
                "Vasoactive", "Circulation", (IngredientClass.VASOACTIVE,), ("buflomedil",)
            ),
        ),
    ),
    indication("submental-fat"),
    indication("musculoskeletal-pain", cosmetic=False),
)

SCALES = (
    Scale(
        "css",
        "Cellulite severity",
        "",
        tuple(ScaleItem(c, f"Item {c}", Decimal(0), Decimal(3)) for c in "abcde"),
        "sum",
        ("S59e",),
        bands=(
            Band(Decimal(0), Decimal(5), "mild"),
            Band(Decimal(6), Decimal(10), "moderate"),
            Band(Decimal(11), Decimal(15), "severe"),
        ),
        bands_uncertain=True,
    ),
    Scale(
        "vas",
        "Pain VAS",
        "",
        (ScaleItem("pain", "Pain", Decimal(0), Decimal(10), step=Decimal("0.5")),),
        "single",
        ("S61i",),
    ),
)


def make_catalog(**changes: object) -> Catalog:
    catalog = Catalog(
        version="test",
        sources={},
        facts={f.code: f for f in FACTS},
        ingredients={i.code: i for i in INGREDIENTS},
        products={p.code: p for p in PRODUCTS},
        techniques={t.code: t for t in TECHNIQUES},
        protocols={p.code: p for p in (WEEKLY, DC_LABEL)},
        indications={i.code: i for i in INDICATIONS},
        side_effects={},
        aftercare={},
        checklist=(),
        scales={s.code: s for s in SCALES},
    )
    return replace(catalog, **changes)  # type: ignore[arg-type]
