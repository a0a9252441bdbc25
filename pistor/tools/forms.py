"""The tools' HTML forms: gather posted fields into the services' input, map errors back.

The pages post flat names (``areas-0-depth``, ``cocktail-1-volume_unit``); the services take
the same nested shape as the API. ``FormErrors`` puts a ``ClinicalDataError`` beside the
input it names, so ``areas[0].depth`` lands under the first area's depth box.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from pistor.clinical.catalog.types import Catalog, FactKind
from pistor.clinical.errors import ClinicalDataError

AREA_ROWS = 4
COCKTAIL_ROWS = 6
VOLUME_UNITS = ("mL", "uL")
CONCENTRATION_UNITS = ("mg/mL", "%", "mcg/mL", "mg/g", "U", "IU")
SEXES = (
    ("", "Not given"),
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Intersex / other"),
    ("unknown", "Not known / not stated"),
)
FITZPATRICK = (
    ("", "Not given"),
    ("1", "I – always burns, never tans"),
    ("2", "II – usually burns, tans minimally"),
    ("3", "III – sometimes burns, tans gradually"),
    ("4", "IV – burns minimally, always tans well"),
    ("5", "V – very rarely burns, tans very easily"),
    ("6", "VI – never burns"),
)
PATIENT_FIELDS = ("birth_date", "age_years", "sex", "weight_kg", "fitzpatrick")
AREA_FIELDS = (
    "area",
    "technique",
    "depth",
    "needle_gauge",
    "needle_length",
    "injections",
    "volume_per_injection",
)
COCKTAIL_FIELDS = ("code", "volume", "volume_unit", "concentration", "concentration_unit")

_ROW = re.compile(r"^(areas|cocktail)\[(\d+)\](?:\.(.+))?$")


@dataclass
class FormErrors:
    """Messages keyed by input: top-level fields, area rows and cocktail rows."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    areas: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    cocktail: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.areas or self.cocktail or self.general)

    def add(self, error: ClinicalDataError, *, known: tuple[str, ...] = ()) -> None:
        """File ``error`` under the input its ``field`` names; the summary if there is none."""
        # Beside its input the message need not repeat the machine name of the field.
        message = error.message
        if error.field and message.startswith(f"{error.field}: "):
            message = message[len(error.field) + 2 :]
            message = message[:1].upper() + message[1:]
        error = ClinicalDataError(message, field=error.field)
        name = (error.field or "").removeprefix("patient.")
        name = re.sub(r"\.(unit|value)$", "", name)
        match = _ROW.match(name)
        if match:
            kind, index, rest = match.group(1), int(match.group(2)), match.group(3) or ""
            key = rest.replace(".", "_")
            if kind == "areas":
                key = key if key in AREA_FIELDS else "technique"
                self.areas.setdefault(index, {}).setdefault(key, []).append(error.message)
            else:
                key = key if key in COCKTAIL_FIELDS else "code"
                self.cocktail.setdefault(index, {}).setdefault(key, []).append(error.message)
            return
        base = re.sub(r"\[\d+\].*$", "", name)
        if (
            base in known
            or base in PATIENT_FIELDS
            or base in {"conditions", "medications", "allergens"}
        ):
            self.fields.setdefault(base, []).append(error.message)
        else:
            self.general.append(error.message)


def _get(data: QueryDict, name: str) -> str:
    return (data.get(name) or "").strip()


def patient_input(data: QueryDict) -> dict[str, Any]:
    """The patient facts as the services take them, from the shared patient fieldset."""
    return {
        "birth_date": _get(data, "birth_date"),
        "age_years": _get(data, "age_years"),
        "sex": _get(data, "sex"),
        "weight_kg": _get(data, "weight_kg"),
        "pregnant": data.get("pregnant") == "on",
        "breastfeeding": data.get("breastfeeding") == "on",
        "conditions": data.getlist("conditions"),
        "medications": data.getlist("medications"),
        "allergens": data.getlist("allergens"),
        "fitzpatrick": _get(data, "fitzpatrick"),
    }


def _row_values(data: QueryDict, prefix: str, index: int, names: tuple[str, ...]) -> dict[str, str]:
    return {name: _get(data, f"{prefix}-{index}-{name}") for name in names}


def proposal_input(data: QueryDict) -> dict[str, Any]:
    """The proposal as the services take it; blank rows are left out, numbering kept."""
    areas: list[dict[str, Any]] = []
    for index in range(AREA_ROWS):
        row = _row_values(data, "areas", index, AREA_FIELDS)
        if not any(row.values()):
            continue
        needle = (
            {"gauge": row["needle_gauge"], "length": {"value": row["needle_length"], "unit": "mm"}}
            if row["needle_gauge"] or row["needle_length"]
            else None
        )
        areas.append(
            {
                "area": row["area"],
                "technique": row["technique"],
                "depth": {"value": row["depth"], "unit": "mm"} if row["depth"] else None,
                "needle": needle,
                "injections": row["injections"],
                "volume_per_injection": (
                    {"value": row["volume_per_injection"], "unit": "mL"}
                    if row["volume_per_injection"]
                    else None
                ),
            }
        )
    cocktail: list[dict[str, Any]] = []
    for index in range(COCKTAIL_ROWS):
        row = _row_values(data, "cocktail", index, COCKTAIL_FIELDS)
        if not (row["code"] or row["volume"] or row["concentration"]):
            continue
        cocktail.append(
            {
                "code": row["code"],
                "volume": (
                    {"value": row["volume"], "unit": row["volume_unit"] or "mL"}
                    if row["volume"]
                    else None
                ),
                "concentration": (
                    {"value": row["concentration"], "unit": row["concentration_unit"] or "mg/mL"}
                    if row["concentration"]
                    else None
                ),
            }
        )
    return {
        "indication": _get(data, "indication"),
        "protocol": _get(data, "protocol"),
        "date": _get(data, "date"),
        "areas": areas,
        "cocktail": cocktail,
    }


def row_errors_index(data: QueryDict, prefix: str, rows: int, names: tuple[str, ...]) -> list[int]:
    """Indices of the rows that were filled in, in order: the services number only those."""
    filled = []
    for index in range(rows):
        row = _row_values(data, prefix, index, names)
        if prefix == "cocktail":
            used = bool(row["code"] or row["volume"] or row["concentration"])
        else:
            used = any(row.values())
        if used:
            filled.append(index)
    return filled


def renumber(errors: FormErrors, data: QueryDict) -> FormErrors:
    """Move row errors from the services' numbering (filled rows only) to the form's rows."""
    areas = row_errors_index(data, "areas", AREA_ROWS, AREA_FIELDS)
    lines = row_errors_index(data, "cocktail", COCKTAIL_ROWS, COCKTAIL_FIELDS)
    errors.areas = {areas[i] if i < len(areas) else i: v for i, v in errors.areas.items()}
    errors.cocktail = {lines[i] if i < len(lines) else i: v for i, v in errors.cocktail.items()}
    return errors


@dataclass(frozen=True)
class Row:
    """One area or cocktail row of the form: its number, what was typed and its errors."""

    index: int
    values: Mapping[str, str]
    errors: Mapping[str, list[str]]
    prefix: str  # "areas-0": the start of every input name in the row

    @property
    def number(self) -> int:
        return self.index + 1


def rows(
    data: QueryDict | None,
    prefix: str,
    count: int,
    names: tuple[str, ...],
    errors: Mapping[int, Mapping[str, list[str]]],
) -> list[Row]:
    empty: QueryDict = QueryDict()
    source = data if data is not None else empty
    return [
        Row(i, _row_values(source, prefix, i, names), dict(errors.get(i, {})), f"{prefix}-{i}")
        for i in range(count)
    ]


def fact_groups(catalog: Catalog) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(input name, label, help, [(code, name)]) for conditions, medicines and allergens.

    Pregnancy and breastfeeding are asked as their own checkboxes, so they are left out here.
    """
    groups = (
        ("conditions", "Conditions", FactKind.CONDITION),
        ("medications", "Medication classes taken", FactKind.MEDICATION),
        ("allergens", "Allergies", FactKind.ALLERGEN),
    )
    result = []
    for name, label, kind in groups:
        # Conditions the core derives from the age (older_than) are never ticked.
        facts = sorted(
            (
                f
                for f in catalog.facts.values()
                if f.kind is kind and f.code not in _ASKED_APART and f.older_than is None
            ),
            key=lambda f: f.name.lower(),
        )
        result.append(
            (
                name,
                label,
                "Tick all that apply.",
                [(f.code, f.name) for f in facts],
            )
        )
    return result


_ASKED_APART = frozenset({"pregnancy", "breastfeeding"})
