"""The shapes of the clinical catalog: frozen dataclasses loaded from the data files.

Every entry has a stable ``code``, a human ``name``, a ``description`` written in our own
words and the ``sources`` it rests on (tags of REFERENCE.md resolved through
``Catalog.sources``). Numbers marked unverified or conflicting in the reference are
``configurable`` defaults a clinic may change; only regulator label limits are hard rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from pistor.clinical.units import Quantity


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"
    INFO = "info"


class EvidenceLevel(StrEnum):
    LABEL = "label"  # regulator-approved labelling: the only hard rules
    CONSENSUS = "consensus"
    STUDY = "study"
    SECONDARY = "secondary"


class IngredientClass(StrEnum):
    LIPOLYTIC = "lipolytic"
    VASOACTIVE = "vasoactive"
    DRAINING = "draining"
    ANAESTHETIC = "anaesthetic"
    ENZYME = "enzyme"
    HYDRATING = "hydrating"
    REVITALISING = "revitalising"
    BIOLOGIC = "biologic"
    HAIR = "hair"
    ANTI_INFLAMMATORY = "anti-inflammatory"


class FactKind(StrEnum):
    """What a screening code describes about a patient."""

    CONDITION = "condition"
    MEDICATION = "medication"  # a medication class the patient takes
    ALLERGEN = "allergen"


@dataclass(frozen=True)
class Source:
    tag: str  # "S12", "S12b", "seed-004"
    title: str
    urls: tuple[str, ...]
    level: EvidenceLevel


class ContraindicationClass(StrEnum):
    """REFERENCE §4's class of a patient condition for mesotherapy as a whole."""

    ABSOLUTE = "absolute"  # no injection of any kind (a block)
    RELATIVE = "relative"  # any injection needs weighing (a warning)
    DEFER = "defer"  # no injection until it has passed (a block)
    NOTE = "note"  # not a contraindication, but worth recording beside the screen

    @property
    def severity(self) -> Severity:
        return {
            ContraindicationClass.ABSOLUTE: Severity.BLOCK,
            ContraindicationClass.DEFER: Severity.BLOCK,
            ContraindicationClass.RELATIVE: Severity.WARN,
            ContraindicationClass.NOTE: Severity.INFO,
        }[self]


@dataclass(frozen=True)
class Stronger:
    """Where §4 makes a relative class absolute for some ingredients ("absolute for
    beta-agonist / xanthine cocktails"): those carrying one of ``tags`` or named in
    ``ingredients``. The ingredients' labels often say only "caution", so a clinic may soften
    it (the fact's setting)."""

    tags: tuple[str, ...]
    ingredients: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Contraindication:
    """How a patient fact weighs on any injection, whatever the cocktail (REFERENCE §4).

    ``disputed`` marks a class §4 gives as "absolute/relative" or flags unverified: a clinic
    may then choose another severity (``ScreeningSettings.caution_severity``, keyed by the
    fact code); otherwise the class is a fixed rule. ``elective_only`` limits the class to
    elective cosmetic care (pregnancy); for other indications it warns.
    """

    klass: ContraindicationClass
    message: str
    sources: tuple[str, ...]
    disputed: bool = False
    elective_only: bool = False
    stronger: Stronger | None = None

    @property
    def severity(self) -> Severity:
        return self.klass.severity


@dataclass(frozen=True)
class Narrowing:
    """A fact that matters only for named ingredients, with the sources that say so.

    REFERENCE §4 narrows some relative contraindications (hyperthyroidism: aminophylline,
    isoproterenol, thyroid hormones); those ingredients' own cautions carry the rule, and no
    warning fires for injections without them.
    """

    ingredients: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    """A patient fact screening understands: a condition, a medication class or an allergen.

    ``implies`` lets a narrower code carry a broader one: ``coumarin`` implies
    ``anticoagulant``, ``peanut`` stays its own allergen. Every condition and medication
    says how it weighs on injections: a ``contraindication`` for any injection, or a
    ``narrowing`` to named ingredients. ``older_than`` makes a condition the screen derives
    from the patient's age (aminophylline's "age > 55") rather than one recorded.
    """

    code: str
    name: str
    kind: FactKind
    description: str
    sources: tuple[str, ...]
    implies: tuple[str, ...] = ()
    contraindication: Contraindication | None = None
    narrowing: Narrowing | None = None
    older_than: int | None = None


@dataclass(frozen=True)
class Caution:
    """A patient fact that makes an ingredient unsafe or needs care.

    ``fact`` is a ``Fact`` code. ``configurable`` marks a severity the reference flags as
    unverified or conflicting, which a clinic may raise or lower.
    """

    fact: str
    severity: Severity
    message: str
    sources: tuple[str, ...]
    configurable: bool = False


@dataclass(frozen=True)
class LabelLimits:
    """Regulator label limits for an ingredient (hard rules, e.g. deoxycholic acid)."""

    max_volume_per_injection: Quantity | None = None
    max_volume_per_session: Quantity | None = None
    max_mass_per_session: Quantity | None = None
    max_sessions: int | None = None
    min_interval_days: int | None = None
    min_age_years: int | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegulatoryFlag:
    code: str  # "withdrawn-eu", "discontinued", "off-label"
    severity: Severity
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Ingredient:
    code: str
    name: str
    description: str
    classes: tuple[IngredientClass, ...]
    sources: tuple[str, ...]
    # Allergen fact codes: a patient allergic to any of them must not receive this.
    allergens: tuple[str, ...] = ()
    cautions: tuple[Caution, ...] = ()
    # Free-form group tags the rules read: "xanthine", "beta-agonist", "bleeding-risk",
    # "coumarin-inr", "hypoglycaemia", "amide-anaesthetic", "lipolytic-drug".
    tags: tuple[str, ...] = ()
    usual_concentration: Quantity | None = None
    label_limits: LabelLimits | None = None
    regulatory: tuple[RegulatoryFlag, ...] = ()


@dataclass(frozen=True)
class Component:
    ingredient: str  # Ingredient code
    concentration: Quantity | None = None  # None when the maker does not publish it


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    manufacturer: str
    description: str
    composition: tuple[Component, ...]
    form: str  # "solution", "gel", "kit", "powder"
    sources: tuple[str, ...]
    unit_volume: Quantity | None = None
    regulatory_status: str = "medicine"  # "medicine", "device", "compounded", "autologous"
    discontinued: bool = False
    # Test injections before first use; False only where the label exempts it (with sources).
    allergy_test_required: bool = True
    # The sources of a label that forbids mixing or diluting the product (Kybella);
    # empty when the label allows it or does not say.
    no_mixing_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Needle:
    gauge: int
    length: Quantity  # mm


@dataclass(frozen=True)
class Technique:
    code: str
    name: str
    description: str
    depth_min: Quantity  # mm
    depth_max: Quantity  # mm
    angle: str  # "30-60 degrees", "perpendicular or 45 degrees"
    spacing: str
    needles: tuple[Needle, ...]
    sources: tuple[str, ...]
    uses_needle: bool = True  # needle-free devices have no needle to check


@dataclass(frozen=True)
class Phase:
    """A run of sessions at one rhythm, e.g. ten sessions one to two weeks apart."""

    name: str
    sessions_min: int
    sessions_default: int
    sessions_max: int
    interval_min_days: int
    interval_target_days: int
    interval_max_days: int


@dataclass(frozen=True)
class Maintenance:
    """Top-up sessions after the course; ``count`` None means open-ended."""

    interval_min_days: int
    interval_target_days: int
    interval_max_days: int
    count: int | None = None


@dataclass(frozen=True)
class Protocol:
    code: str
    name: str
    description: str
    indications: tuple[str, ...]
    phases: tuple[Phase, ...]
    sources: tuple[str, ...]
    maintenance: Maintenance | None = None
    # Label protocols (deoxycholic acid, Qwo) are hard limits; the rest are editable templates.
    label: bool = False
    configurable: bool = True


@dataclass(frozen=True)
class CocktailFamily:
    """A family of ingredients an indication's tailored mix usually draws on."""

    name: str
    purpose: str
    classes: tuple[IngredientClass, ...]
    ingredients: tuple[str, ...]  # Ingredient codes, in the order to suggest them
    products: tuple[str, ...] = ()


@dataclass(frozen=True)
class SafetyNet:
    """Follow-up calls after the last session of a course, asking about ``side_effect``.

    REFERENCE §5.3 derives it (a design inference, not a guideline quote) for body
    mesotherapy and lipolysis: atypical mycobacterial nodules appear 1-12 weeks after
    injection, median about a month.
    """

    after_last_session_days: tuple[int, ...]
    side_effect: str  # SideEffect code
    question: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Indication:
    code: str
    name: str
    description: str
    usual_areas: tuple[str, ...]
    techniques: tuple[str, ...]
    cocktail_families: tuple[CocktailFamily, ...]
    outcome_scales: tuple[str, ...]
    protocols: tuple[str, ...]
    course_length: str
    evidence_note: str
    sources: tuple[str, ...]
    icd10: str | None = None
    icd10_note: str = ""
    cosmetic: bool = True  # under-18 rule applies to cosmetic indications
    safety_net: SafetyNet | None = None  # follow-up calls after the course, if any


@dataclass(frozen=True)
class SideEffect:
    code: str
    name: str
    description: str
    expected_duration: str
    duration_max_hours: int | None
    red_flags: tuple[str, ...]  # signs that need the patient to call back
    sources: tuple[str, ...]
    expected: bool = True  # a common expected reaction, not a complication
    # REFERENCE §5.1's typical duration, beyond which a recorded event is flagged for
    # review; None where the reference gives no number.
    review_after_minutes: int | None = None


@dataclass(frozen=True)
class AftercareAdvice:
    code: str
    title: str
    text: str
    sources: tuple[str, ...]
    techniques: tuple[str, ...] = ()  # empty: every technique
    indications: tuple[str, ...] = ()  # empty: every indication
    timing: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    title: str
    description: str
    order: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ScaleItem:
    code: str
    label: str
    minimum: Decimal
    maximum: Decimal
    anchors: tuple[tuple[str, str], ...] = ()  # (value, meaning)
    step: Decimal = Decimal("1")


@dataclass(frozen=True)
class Band:
    minimum: Decimal
    maximum: Decimal
    label: str


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    description: str
    items: tuple[ScaleItem, ...]
    scoring: str  # "sum" (add the items) or "single" (one item is the score)
    sources: tuple[str, ...]
    bands: tuple[Band, ...] = ()
    bands_uncertain: bool = False
    lower_is_better: bool = False
    unit: str = ""
    loinc: str | None = None


@dataclass(frozen=True)
class SessionMinutes:
    """How long a treatment session usually lasts, in minutes (a caution outside it)."""

    min: int
    max: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    version: str
    sources: dict[str, Source]
    facts: dict[str, Fact]
    ingredients: dict[str, Ingredient]
    products: dict[str, Product]
    techniques: dict[str, Technique]
    protocols: dict[str, Protocol]
    indications: dict[str, Indication]
    side_effects: dict[str, SideEffect]
    aftercare: dict[str, AftercareAdvice]
    checklist: tuple[ChecklistItem, ...]
    scales: dict[str, Scale]
    history: tuple[tuple[str, str], ...] = field(default=())  # (year, event)
    session_minutes: SessionMinutes | None = None
