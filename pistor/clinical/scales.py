"""Scoring outcome scales (Hexsel CSS, GAIS, VAS pain, ...) from the practitioner's answers.

Every item must be answered, numeric, within its range and on its step: a half-filled or
mistyped score would silently change the band a patient is put in. Bands a source flags as
unverified come back with ``band_uncertain`` so the page can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pistor.clinical._lookup import default_catalog, require
from pistor.clinical.catalog.types import Catalog, Scale
from pistor.clinical.errors import ClinicalDataError


@dataclass(frozen=True)
class ItemScore:
    code: str
    label: str
    value: Decimal


@dataclass(frozen=True)
class Score:
    scale: Scale
    total: Decimal
    band: str | None  # None when the scale has no bands or the total falls between them
    band_uncertain: bool
    items: tuple[ItemScore, ...]


def score(
    scale_code: str,
    answers: Mapping[str, Decimal | int | str],
    *,
    catalog: Catalog | None = None,
) -> Score:
    """The total and band of ``scale_code`` for ``answers`` (item code → value).

    Errors name the item code as their ``field`` so a form can show them beside the item.
    """
    scale = require(
        default_catalog(catalog).scales, scale_code, what="outcome scale", field="scale"
    )
    known = {item.code for item in scale.items}
    for code in answers:
        if code not in known:
            raise ClinicalDataError(
                f"'{code}' is not an item of {scale.name} (items: {', '.join(sorted(known))}).",
                field=code,
            )
    items: list[ItemScore] = []
    for item in scale.items:
        if item.code not in answers:
            raise ClinicalDataError(f"{item.label}: an answer is needed.", field=item.code)
        value = _number(answers[item.code], item.label, item.code)
        if not item.minimum <= value <= item.maximum:
            raise ClinicalDataError(
                f"{item.label}: {value} is outside {item.minimum} to {item.maximum}.",
                field=item.code,
            )
        if item.step > 0 and (value - item.minimum) % item.step != 0:
            raise ClinicalDataError(
                f"{item.label}: {value} is not a step of {item.step} from {item.minimum}.",
                field=item.code,
            )
        items.append(ItemScore(item.code, item.label, value))

    if scale.scoring == "sum":
        total = sum((i.value for i in items), Decimal(0))
    elif scale.scoring == "single":
        if len(items) != 1:
            raise ClinicalDataError(
                f"{scale.name} is scored from a single item but has {len(items)}.",
                field="scale.scoring",
            )
        total = items[0].value
    else:
        raise ClinicalDataError(
            f"{scale.name}: scoring '{scale.scoring}' is not 'sum' or 'single'.",
            field="scale.scoring",
        )
    band = next((b.label for b in scale.bands if b.minimum <= total <= b.maximum), None)
    return Score(scale, total, band, scale.bands_uncertain and band is not None, tuple(items))


def _number(raw: Decimal | int | str, label: str, field: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | str):
        raise ClinicalDataError(f"{label}: '{raw}' is not a number.", field=field)
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except (InvalidOperation, ValueError):
        raise ClinicalDataError(f"{label}: '{raw}' is not a number.", field=field) from None
    if not value.is_finite():
        raise ClinicalDataError(f"{label}: '{raw}' is not a number.", field=field)
    return value
