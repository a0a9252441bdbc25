"""The clinical catalog loads, every entry rests on a source, and bad data is refused.

Broken data is tested on in-memory copies of the real documents (and a temporary
directory for file-level errors), so each test changes exactly one thing.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pistor.clinical.catalog import (
    CATALOG_VERSION,
    DATA_DIR,
    get_fact,
    get_indication,
    get_ingredient,
    get_product,
    get_protocol,
    get_scale,
    get_side_effect,
    get_technique,
    load_catalog,
    load_catalog_from,
    parse_catalog,
    product_from_dict,
    protocol_from_dict,
    read_documents,
    resolve_sources,
)
from pistor.clinical.catalog.types import (
    Catalog,
    EvidenceLevel,
    FactKind,
    Severity,
)
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.units import Quantity, Unit

Documents = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def documents() -> Documents:
    return copy.deepcopy(_RAW)


_RAW: Documents = read_documents()


def _cited(value: object) -> Iterator[str]:
    """Every source tag cited anywhere in a raw document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sources" and isinstance(item, list):
                yield from item
            else:
                yield from _cited(item)
    elif isinstance(value, list):
        for item in value:
            yield from _cited(item)


def _entries_with_sources(catalog: Catalog) -> Iterator[tuple[str, tuple[str, ...]]]:
    kinds: dict[str, dict[str, Any]] = {
        "fact": catalog.facts,
        "ingredient": catalog.ingredients,
        "product": catalog.products,
        "technique": catalog.techniques,
        "protocol": catalog.protocols,
        "indication": catalog.indications,
        "side effect": catalog.side_effects,
        "aftercare": catalog.aftercare,
        "scale": catalog.scales,
    }
    for kind, entries in kinds.items():
        for code, entry in entries.items():
            yield f"{kind} {code}", entry.sources
    for item in catalog.checklist:
        yield f"checklist {item.code}", item.sources
    for ingredient in catalog.ingredients.values():
        for caution in ingredient.cautions:
            yield f"{ingredient.code} caution {caution.fact}", caution.sources
        for flag in ingredient.regulatory:
            yield f"{ingredient.code} flag {flag.code}", flag.sources
        if ingredient.label_limits is not None:
            yield f"{ingredient.code} label limits", ingredient.label_limits.sources


# ----------------------------------------------------------------------------- loading


def test_catalog_reloads_equal_and_is_cached(catalog: Catalog) -> None:
    # No time bound here: timing belongs in benchmarks (CONTRIBUTING), and on a shared
    # two-core machine a loaded CPU made a one-second bound fail.
    fresh = load_catalog_from(DATA_DIR)
    assert fresh == catalog
    assert load_catalog() is catalog


def test_packaged_version_matches_the_constant(catalog: Catalog) -> None:
    assert catalog.version == CATALOG_VERSION


def test_history_records_the_milestones(catalog: Catalog) -> None:
    years = [year for year, _ in catalog.history]
    assert years == ["1952", "1958", "1964", "1987", "2001"]
    assert "CCAM" in dict(catalog.history)["2001"]


# ----------------------------------------------------------------------------- sources


def test_every_entry_cites_at_least_one_known_source(catalog: Catalog) -> None:
    for name, sources in _entries_with_sources(catalog):
        assert sources, f"{name} cites no source"
        for tag in sources:
            assert tag in catalog.sources, f"{name} cites unknown {tag}"


def test_every_listed_source_is_cited_somewhere() -> None:
    cited = {tag for name, doc in _RAW.items() if name != "sources.toml" for tag in _cited(doc)}
    assert set(_RAW["sources.toml"]) - cited == set()


def test_seed_articles_are_secondary_sources(catalog: Catalog) -> None:
    for index in range(5):
        assert catalog.sources[f"seed-00{index}"].level is EvidenceLevel.SECONDARY


def test_resolve_sources_keeps_order_and_drops_repeats(catalog: Catalog) -> None:
    sources = resolve_sources(catalog, ["S12", "seed-004", "S12"])
    assert [source.tag for source in sources] == ["S12", "seed-004"]
    assert sources[0].level is EvidenceLevel.LABEL
    with pytest.raises(ClinicalDataError) as error:
        resolve_sources(catalog, ["S999"])
    assert error.value.field == "sources"


# ----------------------------------------------------------------------------- cross-references


def test_every_cross_reference_resolves(catalog: Catalog) -> None:
    allergens = {c for c, f in catalog.facts.items() if f.kind is FactKind.ALLERGEN}
    for fact in catalog.facts.values():
        assert set(fact.implies) <= set(catalog.facts)
    for ingredient in catalog.ingredients.values():
        assert set(ingredient.allergens) <= allergens
        assert {caution.fact for caution in ingredient.cautions} <= set(catalog.facts)
    for product in catalog.products.values():
        assert {part.ingredient for part in product.composition} <= set(catalog.ingredients)
    for protocol in catalog.protocols.values():
        for code in protocol.indications:
            assert protocol.code in catalog.indications[code].protocols
    for indication in catalog.indications.values():
        assert set(indication.techniques) <= set(catalog.techniques)
        assert set(indication.outcome_scales) <= set(catalog.scales)
        assert set(indication.protocols) <= set(catalog.protocols)
        for family in indication.cocktail_families:
            assert set(family.ingredients) <= set(catalog.ingredients)
            assert set(family.products) <= set(catalog.products)
    for advice in catalog.aftercare.values():
        assert set(advice.techniques) <= set(catalog.techniques)
        assert set(advice.indications) <= set(catalog.indications)


def test_checklist_is_ordered_and_covers_seed_and_reference_points(catalog: Catalog) -> None:
    orders = [item.order for item in catalog.checklist]
    assert orders == sorted(orders) == list(range(1, len(orders) + 1))
    codes = {item.code for item in catalog.checklist}
    seed_points = {
        "assessment-alternatives",
        "expectations",
        "side-effects",
        "topical-anaesthesia",
        "products",
        "contraindications",
        "plan-costing",
        "consent",
        "photographs",
    }
    reference_points = {
        "identity-age",
        "medical-history",
        "medications",
        "allergies",
        "previous-treatments",
        "skin-examination",
        "baseline-measures",
        "cooling-off",
        "allergy-test",
        "batch-record",
        "aftercare-safety-net",
        "follow-up",
    }
    assert seed_points | reference_points <= codes


# ----------------------------------------------------------------------------- required content

REFERENCE_INGREDIENTS = [
    "lidocaine",
    "procaine",
    "aminophylline",
    "caffeine",
    "isoproterenol",
    "thyroid-hormones",
    "yohimbine",
    "l-carnitine",
    "phosphatidylcholine",
    "deoxycholic-acid",
    "collagenase",
    "hyaluronidase",
    "pentoxifylline",
    "buflomedil",
    "rutin",
    "ginkgo-biloba",
    "artichoke",
    "hyaluronic-acid",
    "vitamins",
    "amino-acids",
    "minerals",
    "coenzymes",
    "nucleic-acids",
    "antioxidants",
    "biomimetic-peptides",
    "organic-silicium",
    "dmae",
    "glycolic-acid",
    "trace-elements",
    "homeopathic",
    "prp",
    "dutasteride",
    "biotin",
    "piroxicam",
    "calcitonin",
    "adrenaline",
]


@pytest.mark.parametrize("code", REFERENCE_INGREDIENTS)
def test_every_reference_ingredient_is_present(catalog: Catalog, code: str) -> None:
    assert code in catalog.ingredients


def test_the_codes_the_engines_rely_on_exist(catalog: Catalog) -> None:
    assert {
        "cellulite",
        "localised-fat",
        "submental-fat",
        "skin-rejuvenation",
        "skin-laxity",
        "wrinkles",
        "hair-loss",
        "musculoskeletal-pain",
    } <= set(catalog.indications)
    assert {
        "seed-body-short",
        "seed-rejuvenation-weekly",
        "seed-hair-weekly",
        "seed-course-2-5",
        "seed-course-10-weekly",
        "deoxycholic-acid-label",
        "qwo-cellulite",
        "prp-hair",
        "nctf-rejuvenation",
        "redensity-rejuvenation",
        "dutasteride-hair",
        "pain-mesotherapy",
        "lipolysis-pcdc",
        "cellulite-classic",
    } <= set(catalog.protocols)
    assert {
        "hexsel-css",
        "nurnberger-muller",
        "gais",
        "glogau",
        "fitzpatrick",
        "norwood",
        "ludwig",
        "pain-vas",
        "pain-nrs",
        "circumference",
        "hair-density",
        "submental-fat-rating",
    } <= set(catalog.scales)
    assert {
        "epidermal",
        "papule",
        "nappage",
        "point-by-point",
        "linear-retrograde",
        "needle-free",
    } <= set(catalog.techniques)
    assert {
        "kybella",
        "belkyra",
        "nctf-135ha",
        "redensity-1",
        "skinvive-vyc-12l",
        "belotero-revive",
        "restylane-vital",
        "dermaheal-ll",
        "lipostabil",
        "aqualyx",
        "qwo",
        "lidocaine-1",
        "lidocaine-2",
        "lidocaine-1-adrenaline",
        "ha-non-crosslinked",
        "prp-kit",
    } <= set(catalog.products)
    assert {
        "coumarin",
        "doac",
        "heparin",
        "aspirin",
        "ketorolac",
        "insulin",
        "possible-pregnancy",
        "pseudocholinesterase-deficiency",
        "nsaid-allergy",
        "ethylenediamine",
    } <= set(catalog.facts)


@pytest.mark.parametrize(
    ("tag", "codes"),
    [
        ("xanthine", {"aminophylline", "caffeine", "pentoxifylline"}),
        ("beta-agonist", {"isoproterenol"}),
        ("adrenaline", {"adrenaline"}),
        (
            "bleeding-risk-strong",
            {"deoxycholic-acid", "collagenase", "pentoxifylline", "ginkgo-biloba"},
        ),
        ("coumarin-inr", {"l-carnitine", "pentoxifylline"}),
        ("hypoglycaemia", {"l-carnitine", "pentoxifylline"}),
        ("amide-anaesthetic", {"lidocaine"}),
        (
            "lipolytic-drug",
            {
                "l-carnitine",
                "caffeine",
                "isoproterenol",
                "thyroid-hormones",
                "yohimbine",
                "phosphatidylcholine",
                "deoxycholic-acid",
                "aminophylline",
            },
        ),
        ("pigmentation-risk", {"phosphatidylcholine", "deoxycholic-acid", "collagenase"}),
    ],
)
def test_rule_tags_mark_exactly_the_expected_ingredients(
    catalog: Catalog, tag: str, codes: set[str]
) -> None:
    assert {c for c, i in catalog.ingredients.items() if tag in i.tags} == codes


def test_cellulite_is_never_coded_as_cellulitis(catalog: Catalog) -> None:
    cellulite = catalog.indications["cellulite"]
    assert cellulite.icd10 == "L98.8"
    assert "L03" in cellulite.icd10_note  # the note warns against the mix-up
    for indication in catalog.indications.values():
        assert not (indication.icd10 or "").startswith("L03")


def test_pain_is_the_one_non_cosmetic_indication(catalog: Catalog) -> None:
    assert [c for c, i in catalog.indications.items() if not i.cosmetic] == ["musculoskeletal-pain"]


def test_cellulite_cocktail_families_follow_seed_002(catalog: Catalog) -> None:
    families = {f.name: f.ingredients for f in catalog.indications["cellulite"].cocktail_families}
    assert families == {
        "lipolytic": ("l-carnitine", "caffeine", "isoproterenol", "thyroid-hormones"),
        "vaso-regulating": ("rutin", "aminophylline", "pentoxifylline"),
        "draining": ("artichoke", "ginkgo-biloba"),
        "anaesthetic": ("lidocaine",),
        "connective-tissue": ("collagenase", "hyaluronidase"),
    }


@pytest.mark.parametrize(
    ("ingredient", "allergens"),
    [
        ("phosphatidylcholine", {"soy", "peanut", "legume", "birch-pollen"}),
        ("hyaluronidase", {"bee-venom", "wasp-venom"}),
        ("lidocaine", {"amide-local-anaesthetic"}),
        ("aminophylline", {"xanthine", "ethylenediamine"}),
        ("artichoke", {"asteraceae"}),
        ("procaine", {"ester-local-anaesthetic"}),
    ],
)
def test_allergens_of_key_ingredients(
    catalog: Catalog, ingredient: str, allergens: set[str]
) -> None:
    assert allergens <= set(catalog.ingredients[ingredient].allergens)


def _severity(catalog: Catalog, ingredient: str, fact: str) -> Severity:
    return next(c.severity for c in catalog.ingredients[ingredient].cautions if c.fact == fact)


@pytest.mark.parametrize(
    ("ingredient", "fact", "severity"),
    [
        ("aminophylline", "porphyria", Severity.BLOCK),
        ("aminophylline", "epilepsy", Severity.WARN),
        ("isoproterenol", "cardiac-arrhythmia", Severity.BLOCK),
        ("isoproterenol", "angina", Severity.BLOCK),
        ("l-carnitine", "coumarin", Severity.WARN),
        ("deoxycholic-acid", "infection-at-site", Severity.BLOCK),
        ("deoxycholic-acid", "dysphagia", Severity.WARN),
        ("hyaluronic-acid", "herpes-active", Severity.BLOCK),
        ("dutasteride", "possible-pregnancy", Severity.BLOCK),
        ("dutasteride", "breastfeeding", Severity.BLOCK),
        ("pentoxifylline", "ketorolac", Severity.BLOCK),
        ("prp", "thrombocytopenia", Severity.BLOCK),
        ("prp", "nsaid", Severity.WARN),
        ("artichoke", "bile-duct-obstruction", Severity.BLOCK),
        ("thyroid-hormones", "autoimmune-thyroid-disease", Severity.WARN),
    ],
)
def test_caution_severities(
    catalog: Catalog, ingredient: str, fact: str, severity: Severity
) -> None:
    assert _severity(catalog, ingredient, fact) is severity


def test_unverified_cautions_are_configurable_and_never_block(catalog: Catalog) -> None:
    for ingredient in catalog.ingredients.values():
        for caution in ingredient.cautions:
            if "nverified" in caution.message or "one source" in caution.message.lower():
                assert caution.configurable, (ingredient.code, caution.fact)
            if caution.configurable:
                assert caution.severity is not Severity.BLOCK, (ingredient.code, caution.fact)
    thyroid = {c.fact: c for c in catalog.ingredients["thyroid-hormones"].cautions}
    assert thyroid["hyperthyroidism"].configurable


def test_buflomedil_is_blocked_as_withdrawn_in_the_eu(catalog: Catalog) -> None:
    (flag,) = catalog.ingredients["buflomedil"].regulatory
    assert flag.code == "withdrawn-eu"
    assert flag.severity is Severity.BLOCK
    assert "S46" in flag.sources


def test_deoxycholic_acid_label_limits(catalog: Catalog) -> None:
    limits = catalog.ingredients["deoxycholic-acid"].label_limits
    assert limits is not None
    assert limits.max_volume_per_injection == Quantity(Decimal("0.2"), Unit.ML)
    assert limits.max_volume_per_session == Quantity(Decimal("10"), Unit.ML)
    assert limits.max_mass_per_session == Quantity(Decimal("100"), Unit.MG)
    assert limits.max_sessions == 6
    assert limits.min_interval_days == 30
    assert limits.min_age_years == 18
    assert catalog.ingredients["deoxycholic-acid"].usual_concentration == Quantity(
        Decimal("10"), Unit.MG_PER_ML
    )


def test_only_label_protocols_are_hard(catalog: Catalog) -> None:
    hard = {code for code, p in catalog.protocols.items() if not p.configurable}
    assert hard == {code for code, p in catalog.protocols.items() if p.label}
    assert hard == {"deoxycholic-acid-label", "qwo-cellulite"}


def test_seed_004_long_course_shape(catalog: Catalog) -> None:
    protocol = catalog.protocols["seed-course-10-weekly"]
    initial, monthly = protocol.phases
    assert (initial.sessions_min, initial.sessions_max, initial.interval_target_days) == (10, 10, 7)
    assert (monthly.sessions_default, monthly.interval_target_days) == (6, 30)
    assert protocol.maintenance is not None
    assert protocol.maintenance.interval_target_days == 90
    assert protocol.maintenance.count is None


def test_dutasteride_course_lands_on_the_published_weeks(catalog: Catalog) -> None:
    days: list[int] = []  # the first session has no interval before it
    for phase in catalog.protocols["dutasteride-hair"].phases:
        for _ in range(phase.sessions_default):
            days.append(days[-1] + phase.interval_target_days if days else 0)
    assert [d // 7 for d in days] == [0, 1, 2, 3, 5, 7, 11]


def test_linear_retrograde_needle_is_longer_than_its_depth(catalog: Catalog) -> None:
    technique = catalog.techniques["linear-retrograde"]
    assert all(needle.length > technique.depth_max for needle in technique.needles)
    assert not catalog.techniques["needle-free"].uses_needle


def test_hexsel_scale_adds_five_items(catalog: Catalog) -> None:
    scale = catalog.scales["hexsel-css"]
    assert scale.scoring == "sum"
    assert [item.code for item in scale.items] == ["A", "B", "C", "D", "E"]
    assert scale.bands_uncertain
    assert catalog.scales["pain-vas"].loinc == "38214-3"
    assert catalog.scales["pain-nrs"].loinc == "72514-3"
    assert catalog.scales["gais"].lower_is_better


def test_qwo_is_marked_discontinued(catalog: Catalog) -> None:
    assert catalog.products["qwo"].discontinued
    assert [p for p, product in catalog.products.items() if product.discontinued] == ["qwo"]


# ----------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("lookup", "field"),
    [
        (get_ingredient, "ingredient"),
        (get_product, "product"),
        (get_protocol, "protocol"),
        (get_technique, "technique"),
        (get_indication, "indication"),
        (get_scale, "scale"),
        (get_fact, "fact"),
        (get_side_effect, "side_effect"),
    ],
)
def test_lookups_name_the_field_for_unknown_codes(
    catalog: Catalog, lookup: Callable[..., object], field: str
) -> None:
    with pytest.raises(ClinicalDataError) as error:
        lookup(catalog, "no-such-code")
    assert error.value.field == field
    assert "'no-such-code' is not a known" in error.value.message
    with pytest.raises(ClinicalDataError) as renamed:
        lookup(catalog, "no-such-code", field="lines[2].code")
    assert renamed.value.field == "lines[2].code"


def test_lookups_return_entries(catalog: Catalog) -> None:
    assert get_ingredient(catalog, "lidocaine").name.startswith("Lidocaine")
    assert get_product(catalog, "kybella").unit_volume == Quantity(Decimal("2"), Unit.ML)


# ----------------------------------------------------------------------------- broken data


def _set(path: list[Any], value: Any) -> Callable[[Documents], None]:
    def mutate(documents: Documents) -> None:
        target: Any = documents
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Callable[[Documents], None]:
    def mutate(documents: Documents) -> None:
        target: Any = documents
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


PHASE = ["protocols.toml", "seed-course-2-5", "phases", 0]

BROKEN = [
    pytest.param(
        _set(["indications.toml", "cellulite", "techniques"], ["nappage", "laser"]),
        "indications.toml::cellulite::techniques[1]",
        id="unknown technique code",
    ),
    pytest.param(
        _set(["techniques.toml", "papule", "depth_min"], "-1 mm"),
        "techniques.toml::papule::depth_min",
        id="negative depth",
    ),
    pytest.param(
        _set(["ingredients.toml", "lidocaine", "usual_concentration"], "1 furlong"),
        "ingredients.toml::lidocaine::usual_concentration.unit",
        id="unknown unit",
    ),
    pytest.param(
        _set(["facts.toml", "pregnancy", "sources"], []),
        "facts.toml::pregnancy::sources",
        id="entry without a source",
    ),
    pytest.param(
        _set([*PHASE, "sessions_min"], 9),
        "protocols.toml::seed-course-2-5::phases[0].sessions_min",
        id="phase minimum above maximum",
    ),
    pytest.param(
        _set([*PHASE, "sessions_default"], 9),
        "protocols.toml::seed-course-2-5::phases[0].sessions_default",
        id="phase default above maximum",
    ),
    pytest.param(
        _set([*PHASE, "interval_min_days"], 0),
        "protocols.toml::seed-course-2-5::phases[0].interval_min_days",
        id="interval below one day",
    ),
    pytest.param(
        _set([*PHASE, "interval_target_days"], 60),
        "protocols.toml::seed-course-2-5::phases[0].interval_target_days",
        id="interval target above maximum",
    ),
    pytest.param(
        _set(["protocols.toml", "seed-course-2-5", "maintenance", "interval_min_days"], 150),
        "protocols.toml::seed-course-2-5::maintenance.interval_min_days",
        id="maintenance minimum above target",
    ),
    pytest.param(
        _set(["ingredients.toml", "caffeine", "colour"], "brown"),
        "ingredients.toml::caffeine::colour",
        id="unknown key",
    ),
    pytest.param(
        _delete(["products.toml", "kybella", "form"]),
        "products.toml::kybella::form",
        id="missing required field",
    ),
    pytest.param(
        _set(["scales.toml", "gais", "lower_is_better"], "yes"),
        "scales.toml::gais::lower_is_better",
        id="wrong type",
    ),
    pytest.param(
        _set([*PHASE, "sessions_max"], "5"),
        "protocols.toml::seed-course-2-5::phases[0].sessions_max",
        id="whole number given as text",
    ),
    pytest.param(
        _set(["techniques.toml", "nappage", "sources"], ["S999"]),
        "techniques.toml::nappage::sources[0]",
        id="unknown source tag",
    ),
    pytest.param(
        _set(["ingredients.toml", "aminophylline", "cautions", 0, "fact"], "gout"),
        "ingredients.toml::aminophylline::cautions[0].fact",
        id="caution on an unknown fact",
    ),
    pytest.param(
        _set(["ingredients.toml", "phosphatidylcholine", "allergens"], ["pregnancy"]),
        "ingredients.toml::phosphatidylcholine::allergens[0]",
        id="allergen that is not an allergen fact",
    ),
    pytest.param(
        _set(["facts.toml", "coumarin", "implies"], ["blood-thinner"]),
        "facts.toml::coumarin::implies[0]",
        id="fact implying an unknown fact",
    ),
    pytest.param(
        _set(["products.toml", "kybella", "composition", 0, "ingredient"], "unobtainium"),
        "products.toml::kybella::composition[0].ingredient",
        id="product with an unknown ingredient",
    ),
    pytest.param(
        _set(["products.toml", "kybella", "composition", 0, "concentration"], "10 mL"),
        "products.toml::kybella::composition[0].concentration",
        id="concentration in a volume unit",
    ),
    pytest.param(
        _set(["indications.toml", "wrinkles", "protocols"], ["botox-monthly"]),
        "indications.toml::wrinkles::protocols[0]",
        id="indication with an unknown protocol",
    ),
    pytest.param(
        _set(["indications.toml", "wrinkles", "outcome_scales"], ["wsrs"]),
        "indications.toml::wrinkles::outcome_scales[0]",
        id="indication with an unknown scale",
    ),
    pytest.param(
        _set(["indications.toml", "cellulite", "cocktail_families", 0, "ingredients"], ["x"]),
        "indications.toml::cellulite::cocktail_families[0].ingredients[0]",
        id="family ingredient unknown",
    ),
    pytest.param(
        _set(["indications.toml", "cellulite", "icd10"], "L03.90"),
        "indications.toml::cellulite::icd10",
        id="cellulite coded as cellulitis",
    ),
    pytest.param(
        _set(["ingredients.toml", "caffeine", "tags"], ["xanthin"]),
        "ingredients.toml::caffeine::tags[0]",
        id="unknown rule tag",
    ),
    pytest.param(
        _set(
            ["ingredients.toml", "deoxycholic-acid", "label_limits", "max_volume_per_session"],
            "-10 mL",
        ),
        "ingredients.toml::deoxycholic-acid::label_limits.max_volume_per_session",
        id="label limit with a negative volume",
    ),
    pytest.param(
        _set(["scales.toml", "gais", "items", 0, "anchors"], [["6", "beyond"]]),
        "scales.toml::gais::items[0].anchors[0]",
        id="scale anchor outside the range",
    ),
    pytest.param(
        _set(["techniques.toml", "nappage", "depth_min"], "5 mm"),
        "techniques.toml::nappage::depth_min",
        id="technique deeper at its minimum than its maximum",
    ),
    pytest.param(
        _set(["ingredients.toml", "artichoke", "cautions", 0, "severity"], "fatal"),
        "ingredients.toml::artichoke::cautions[0].severity",
        id="severity that does not exist",
    ),
    pytest.param(
        _set(["protocols.toml", "prp-hair", "indications"], ["hair-loss", "wrinkles"]),
        "protocols.toml::prp-hair::indications[1]",
        id="protocol and indication disagree",
    ),
    pytest.param(
        _delete(["facts.toml", "diabetes", "contraindication"]),
        "facts.toml::diabetes::contraindication",
        id="condition without a REFERENCE §4 class",
    ),
    pytest.param(
        _set(["facts.toml", "diabetes", "narrowing"], {"ingredients": ["x"], "sources": ["S43"]}),
        "facts.toml::diabetes::narrowing",
        id="both a class and a narrowing",
    ),
    pytest.param(
        _set(["facts.toml", "gallstones", "narrowing", "ingredients"], ["artichoke", "kale"]),
        "facts.toml::gallstones::narrowing.ingredients[1]",
        id="narrowed to an unknown ingredient",
    ),
    pytest.param(
        _set(["facts.toml", "gallstones", "narrowing", "sources"], []),
        "facts.toml::gallstones::narrowing.sources",
        id="narrowing without a source",
    ),
    pytest.param(
        _set(["facts.toml", "diabetes", "contraindication", "class"], "sometimes"),
        "facts.toml::diabetes::contraindication.class",
        id="class that does not exist",
    ),
    pytest.param(
        _set(["facts.toml", "soy", "contraindication"], {"class": "absolute"}),
        "facts.toml::soy::contraindication",
        id="allergen with a class of its own",
    ),
    pytest.param(
        _set(["facts.toml", "insulin", "older_than"], 55),
        "facts.toml::insulin::older_than",
        id="medicine derived from the age",
    ),
    pytest.param(
        _set(["products.toml", "kybella", "no_mixing_sources"], ["S999"]),
        "products.toml::kybella::no_mixing_sources[0]",
        id="no-mixing label without a known source",
    ),
]


@pytest.mark.parametrize(("mutate", "where"), BROKEN)
def test_broken_data_is_refused_naming_file_entry_and_field(
    documents: Documents, mutate: Callable[[Documents], None], where: str
) -> None:
    file, entry, field = where.split("::")
    mutate(documents)
    with pytest.raises(ClinicalDataError) as error:
        parse_catalog(documents)
    assert error.value.field == field
    assert file in error.value.message
    assert f"'{entry}'" in error.value.message
    assert field in error.value.message


def test_the_untouched_documents_parse(documents: Documents) -> None:
    assert parse_catalog(documents) == load_catalog()


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    for source in DATA_DIR.glob("*.toml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "facts.toml").write_text("[pregnancy\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(ClinicalDataError) as error:
        load_catalog_from(tmp_path)
    assert error.value.field == "facts.toml"


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    for source in DATA_DIR.glob("*.toml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "scales.toml").unlink()
    with pytest.raises(ClinicalDataError) as error:
        load_catalog_from(tmp_path)
    assert error.value.field == "scales.toml"


# ----------------------------------------------------------------------------- clinic entries


def _clinic_protocol(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "clinic-glow",
        "name": "Clinic glow course",
        "description": "Our house rejuvenation course.",
        "indications": ["skin-rejuvenation"],
        "phases": [
            {
                "name": "course",
                "sessions_min": 3,
                "sessions_default": 4,
                "sessions_max": 6,
                "interval_min_days": 14,
                "interval_target_days": 21,
                "interval_max_days": 28,
            }
        ],
        "maintenance": {
            "interval_min_days": 90,
            "interval_target_days": 120,
            "interval_max_days": 180,
        },
        "sources": ["seed-004"],
    }
    data.update(changes)
    return data


def test_clinic_protocol_is_accepted(catalog: Catalog) -> None:
    protocol = protocol_from_dict(_clinic_protocol(), catalog)
    assert protocol.code == "clinic-glow"
    assert protocol.configurable and not protocol.label
    assert protocol.phases[0].interval_target_days == 21


def test_clinic_protocol_may_skip_sources_when_allowed(catalog: Catalog) -> None:
    data = _clinic_protocol(sources=[])
    with pytest.raises(ClinicalDataError) as error:
        protocol_from_dict(data, catalog)
    assert error.value.field == "sources"
    assert protocol_from_dict(data, catalog, require_sources=False).sources == ()


@pytest.mark.parametrize(
    ("phase_changes", "field"),
    [
        ({"interval_min_days": 0}, "phases[0].interval_min_days"),
        ({"interval_min_days": 25}, "phases[0].interval_min_days"),
        ({"sessions_min": 5}, "phases[0].sessions_min"),
        ({"sessions_default": 7}, "phases[0].sessions_default"),
        ({"interval_target_days": 30}, "phases[0].interval_target_days"),
        ({"interval_max_days": True}, "phases[0].interval_max_days"),
        ({"rhythm": "weekly"}, "phases[0].rhythm"),
    ],
)
def test_clinic_protocol_errors_name_the_field(
    catalog: Catalog, phase_changes: dict[str, Any], field: str
) -> None:
    data = _clinic_protocol()
    data["phases"][0].update(phase_changes)
    with pytest.raises(ClinicalDataError) as error:
        protocol_from_dict(data, catalog)
    assert error.value.field == field
    assert "clinic-glow" in error.value.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"indications": ["tattoo-removal"]}, "indications[0]"),
        ({"phases": []}, "phases"),
        ({"label": True}, "label"),
        ({"code": "Clinic Glow"}, "code"),
        ({"sources": ["S0"]}, "sources[0]"),
    ],
)
def test_clinic_protocol_rejects_bad_fields(
    catalog: Catalog, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClinicalDataError) as error:
        protocol_from_dict(_clinic_protocol(**changes), catalog)
    assert error.value.field == field


def _clinic_product(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "house-lipo-mix",
        "name": "House lipolytic mix",
        "manufacturer": "Compounding pharmacy",
        "description": "Compounded for the clinic.",
        "composition": [
            {"ingredient": "l-carnitine", "concentration": "1 %"},
            {"ingredient": "caffeine", "concentration": {"value": "2.5", "unit": "mg/mL"}},
            {"ingredient": "lidocaine", "concentration": Quantity(Decimal("0.5"), Unit.PERCENT)},
        ],
        "form": "solution",
        "unit_volume": "5 mL",
        "regulatory_status": "compounded",
        "sources": ["seed-002"],
    }
    data.update(changes)
    return data


def test_clinic_product_is_accepted(catalog: Catalog) -> None:
    product = product_from_dict(_clinic_product(), catalog)
    assert [c.ingredient for c in product.composition] == ["l-carnitine", "caffeine", "lidocaine"]
    assert product.composition[1].concentration == Quantity(Decimal("2.5"), Unit.MG_PER_ML)
    assert product.unit_volume == Quantity(Decimal("5"), Unit.ML)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"composition": [{"ingredient": "snake-oil"}]}, "composition[0].ingredient"),
        (
            {"composition": [{"ingredient": "caffeine", "concentration": "-1 %"}]},
            "composition[0].concentration",
        ),
        (
            {"composition": [{"ingredient": "caffeine", "concentration": "2 parsecs"}]},
            "composition[0].concentration.unit",
        ),
        ({"composition": []}, "composition"),
        (
            {"composition": [{"ingredient": "caffeine"}, {"ingredient": "caffeine"}]},
            "composition[1].ingredient",
        ),
        ({"unit_volume": "5 mg"}, "unit_volume"),
        ({"form": "vapour"}, "form"),
        ({"regulatory_status": "herbal"}, "regulatory_status"),
        ({"discontinued": "no"}, "discontinued"),
        ({"colour": "amber"}, "colour"),
    ],
)
def test_clinic_product_errors_name_the_field(
    catalog: Catalog, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClinicalDataError) as error:
        product_from_dict(_clinic_product(**changes), catalog)
    assert error.value.field == field


def test_clinic_product_without_a_name_field(catalog: Catalog) -> None:
    data = _clinic_product()
    del data["name"]
    with pytest.raises(ClinicalDataError) as error:
        product_from_dict(data, catalog)
    assert error.value.field == "name"


_days = st.integers(min_value=-2, max_value=60)
_counts = st.integers(min_value=-1, max_value=12)


@given(
    sessions=st.tuples(_counts, _counts, _counts),
    interval=st.tuples(_days, _days, _days),
)
def test_a_phase_is_accepted_exactly_when_its_numbers_are_ordered(
    sessions: tuple[int, int, int], interval: tuple[int, int, int]
) -> None:
    phase = {
        "name": "course",
        "sessions_min": sessions[0],
        "sessions_default": sessions[1],
        "sessions_max": sessions[2],
        "interval_min_days": interval[0],
        "interval_target_days": interval[1],
        "interval_max_days": interval[2],
    }
    valid = (
        1 <= sessions[0] <= sessions[1] <= sessions[2]
        and 1 <= interval[0] <= interval[1] <= interval[2]
    )
    data = _clinic_protocol(phases=[phase])
    try:
        protocol = protocol_from_dict(data, load_catalog())
    except ClinicalDataError as error:
        assert not valid
        assert error.field is not None and error.field.startswith("phases[0].")
    else:
        assert valid
        assert protocol.phases[0].sessions_default == sessions[1]


# ----------------------------------------------------------------------------- purity


def test_catalog_package_does_not_import_django() -> None:
    package = Path(__file__).resolve().parents[1] / "catalog"
    for module in package.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, module.name


def test_an_ingredient_with_two_cautions_on_one_fact_is_refused(documents: Documents) -> None:
    cautions = documents["ingredients.toml"]["l-carnitine"]["cautions"]
    cautions.append(dict(cautions[0]))
    with pytest.raises(ClinicalDataError) as error:
        parse_catalog(documents)
    assert error.value.field == f"cautions[{len(cautions) - 1}].fact"
    assert "already has a caution on this ingredient" in error.value.message


# ----------------------------------------------------------------------------- allergy tests


def test_every_product_needs_an_allergy_test_unless_its_data_says_otherwise(
    documents: Documents,
) -> None:
    assert all(p.allergy_test_required for p in load_catalog().products.values())
    documents["products.toml"]["restylane-vital"]["allergy_test_required"] = False
    assert parse_catalog(documents).products["restylane-vital"].allergy_test_required is False


def test_the_allergy_test_flag_is_a_boolean(documents: Documents) -> None:
    documents["products.toml"]["restylane-vital"]["allergy_test_required"] = "no"
    with pytest.raises(ClinicalDataError) as error:
        parse_catalog(documents)
    assert "allergy_test_required" in (error.value.field or "")
