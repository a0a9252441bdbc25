"""The tools' HTML forms: gather posted fields into the services' input, map errors back.

The pages post flat names (``areas-0-depth``, ``cocktail-1-volume_unit``); the services take
the same nested shape as the API. ``FormErrors`` puts a ``ClinicalDataError`` beside the
input it names, so ``areas[0].depth`` lands under the first area's depth box.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict

from pistor.clinical.catalog.types import Catalog, FactKind, Needle
from pistor.clinical.dosing import CocktailLine
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.safety import AreaPlan, PatientFacts, TreatmentProposal
from pistor.clinical.units import Dimension, Quantity, Unit
from pistor.core.forms import EARLIEST_DATE, LATEST_DATE
from pistor.tools.limits import (
    MAX_AMOUNT,
    MAX_AREAS,
    MAX_COCKTAIL_LINES,
    MAX_DONE_DATES,
    MAX_WEIGHT_KG,
)

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


# --------------------------------------------------------------------------------------
# The pages' posted text, read into the core's dataclasses
# --------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, field: str, *, max_length: int = 200) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise ClinicalDataError(f"{field}: give text, not {type(value).__name__}.", field=field)
    text = value.strip()
    if len(text) > max_length or "\x00" in text:
        raise ClinicalDataError(
            f"{field}: at most {max_length} characters of plain text.", field=field
        )
    return text


def _int(value: Any, field: str, *, label: str) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ClinicalDataError(f"{label} must be a whole number.", field=field)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError, TypeError):
        raise ClinicalDataError(f"{label}: '{value}' is not a whole number.", field=field) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ClinicalDataError(f"{label}: '{value}' is not a whole number.", field=field)
    if abs(number) > 10**6:
        raise ClinicalDataError(f"{label}: {value} is not plausible.", field=field)
    return int(number)


def _decimal(value: Any, field: str, *, label: str) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ClinicalDataError(f"{label} must be a number.", field=field)
    try:
        number = Decimal(str(value).strip() if isinstance(value, float | str) else value)
    except (InvalidOperation, ValueError, TypeError):
        raise ClinicalDataError(f"{label}: '{value}' is not a number.", field=field) from None
    if not number.is_finite():
        raise ClinicalDataError(f"{label}: '{value}' is not a number.", field=field)
    return number


def _date(value: Any, field: str, *, label: str) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ClinicalDataError(
            f"{label}: '{str(value)[:40]}' is not a date; write it as YYYY-MM-DD.", field=field
        ) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ClinicalDataError(f"{label}: give a date between 1900 and 2200.", field=field)
    return day


def _bool(value: Any, field: str) -> bool:
    if _blank(value) or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "on", "yes"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "off", "no"}:
        return False
    raise ClinicalDataError(f"{field}: give true or false.", field=field)


def _quantity(value: Any, field: str, *, default_unit: str | None = None) -> Quantity | None:
    """``{"value": "0.2", "unit": "mL"}`` (or a bare number in ``default_unit``) as a Quantity."""
    if _blank(value):
        return None
    if isinstance(value, Mapping):
        amount, unit = value.get("value"), value.get("unit")
    else:
        amount, unit = value, default_unit
    if _blank(amount):
        return None
    if _blank(unit):
        raise ClinicalDataError(f"{field}: give the unit of {amount}.", field=f"{field}.unit")
    if isinstance(amount, bool) or not isinstance(amount, int | float | str | Decimal):
        raise ClinicalDataError(f"{field}: '{amount}' is not a number.", field=field)
    if not isinstance(unit, str | Unit):
        raise ClinicalDataError(f"{field}: '{unit}' is not a unit.", field=f"{field}.unit")
    return Quantity.of(amount.strip() if isinstance(amount, str) else amount, unit, field=field)


def _codes(value: Any, field: str) -> frozenset[str]:
    if _blank(value):
        return frozenset()
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise ClinicalDataError(f"{field}: give a list of codes.", field=field)
    codes: set[str] = set()
    for item in value:
        code = _text(item, field, max_length=100)
        if code:
            codes.add(code)
    return frozenset(codes)


def _rows(value: Any, field: str, limit: int) -> list[Mapping[str, Any]]:
    if _blank(value):
        return []
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise ClinicalDataError(f"{field}: give a list.", field=field)
    if len(value) > limit:
        raise ClinicalDataError(f"{field}: at most {limit} rows.", field=field)
    for index, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise ClinicalDataError(f"{field}[{index}]: give an object.", field=f"{field}[{index}]")
    return list(value)


def patient_facts_from(data: Mapping[str, Any] | None) -> PatientFacts:
    """The screen's ``PatientFacts`` from the page's patient fieldset (``patient_input``).

    A patient record, when one is attached, is laid over these by the service.
    """
    data = data or {}
    birth_date = _date(data.get("birth_date"), "patient.birth_date", label="Date of birth")
    age = _int(data.get("age_years"), "patient.age_years", label="Age")
    sex = _text(data.get("sex"), "patient.sex", max_length=20)
    weight = _decimal(data.get("weight_kg"), "patient.weight_kg", label="Weight")
    fitzpatrick = _int(data.get("fitzpatrick"), "patient.fitzpatrick", label="Fitzpatrick type")
    return PatientFacts(
        birth_date=birth_date,
        age_years=age,
        sex=sex,
        weight_kg=weight,
        pregnant=_bool(data.get("pregnant"), "patient.pregnant"),
        breastfeeding=_bool(data.get("breastfeeding"), "patient.breastfeeding"),
        conditions=_codes(data.get("conditions"), "patient.conditions"),
        medications=_codes(data.get("medications"), "patient.medications"),
        allergens=_codes(data.get("allergens"), "patient.allergens"),
        fitzpatrick=fitzpatrick,
    )


def _area(row: Mapping[str, Any], index: int) -> AreaPlan:
    where = f"areas[{index}]"
    technique = _text(row.get("technique"), f"{where}.technique", max_length=100)
    if technique is None:
        raise ClinicalDataError(
            f"Area {index + 1}: choose a technique.", field=f"{where}.technique"
        )
    depth = _quantity(row.get("depth"), f"{where}.depth", default_unit="mm")
    if depth is None:
        raise ClinicalDataError(f"Area {index + 1}: give the depth.", field=f"{where}.depth")
    needle = None
    raw_needle = row.get("needle")
    if isinstance(raw_needle, Mapping) and not all(_blank(v) for v in raw_needle.values()):
        gauge = _int(raw_needle.get("gauge"), f"{where}.needle.gauge", label="Needle gauge")
        length = _quantity(raw_needle.get("length"), f"{where}.needle.length", default_unit="mm")
        if gauge is None or length is None:
            missing, name = (
                ("gauge", f"{where}.needle.gauge")
                if gauge is None
                else ("length", f"{where}.needle.length")
            )
            raise ClinicalDataError(
                f"Area {index + 1}: give the needle's {missing} too, or neither.", field=name
            )
        needle = Needle(gauge, length.require(Dimension.LENGTH, field=f"{where}.needle.length"))
    elif not _blank(raw_needle) and not isinstance(raw_needle, Mapping):
        raise ClinicalDataError(f"{where}.needle: give gauge and length.", field=f"{where}.needle")
    return AreaPlan(
        area=_text(row.get("area"), f"{where}.area", max_length=100) or "",
        technique=technique,
        depth=depth,
        needle=needle,
        injections=_int(row.get("injections"), f"{where}.injections", label="Injections"),
        volume_per_injection=_quantity(
            row.get("volume_per_injection"), f"{where}.volume_per_injection", default_unit="mL"
        ),
    )


def _line(row: Mapping[str, Any], index: int) -> CocktailLine:
    where = f"cocktail[{index}]"
    code = _text(row.get("code"), f"{where}.code", max_length=100)
    if code is None:
        raise ClinicalDataError(
            f"Cocktail line {index + 1}: choose an ingredient or product.", field=f"{where}.code"
        )
    return CocktailLine(
        code=code,
        volume=_quantity(row.get("volume"), f"{where}.volume", default_unit="mL"),
        concentration=_quantity(row.get("concentration"), f"{where}.concentration"),
        amount=_quantity(row.get("amount"), f"{where}.amount", default_unit="mg"),
    )


def proposal_from(data: Mapping[str, Any] | None, *, today: dt.date) -> TreatmentProposal:
    """The session to screen, from plain input; the date defaults to ``today``."""
    data = data or {}
    indication = _text(data.get("indication"), "indication", max_length=100)
    if indication is None:
        raise ClinicalDataError("Choose the indication being treated.", field="indication")
    areas = [_area(row, i) for i, row in enumerate(_rows(data.get("areas"), "areas", MAX_AREAS))]
    lines = [
        _line(row, i)
        for i, row in enumerate(_rows(data.get("cocktail"), "cocktail", MAX_COCKTAIL_LINES))
    ]
    return TreatmentProposal(
        indication=indication,
        areas=tuple(areas),
        cocktail=tuple(lines),
        date=_date(data.get("date"), "date", label="Treatment date") or today,
        protocol=_text(data.get("protocol"), "protocol", max_length=100),
    )


def _done_dates(value: Any) -> list[dt.date]:
    if _blank(value):
        return []
    raw = [line for line in str(value).splitlines() if line.strip()]
    if len(raw) > MAX_DONE_DATES:
        raise ClinicalDataError(
            f"At most {MAX_DONE_DATES} done sessions can be checked at once.", field="done_dates"
        )
    dates = []
    for index, item in enumerate(raw):
        day = _date(item, f"done_dates[{index}]", label=f"Done session {index + 1}")
        if day is not None:
            dates.append(day)
    return dates


@dataclass(frozen=True)
class PlanInput:
    protocol: str
    first_session: dt.date
    sessions: int | None
    done_dates: tuple[dt.date, ...]


def plan_input(values: Mapping[str, Any]) -> PlanInput:
    """The planner page's fields, read; errors name the field."""
    code = _text(values.get("protocol"), "protocol", max_length=100)
    if code is None:
        raise ClinicalDataError("Choose a protocol.", field="protocol")
    start = _date(values.get("first_session"), "first_session", label="First session")
    if start is None:
        raise ClinicalDataError("Give the date of the first session.", field="first_session")
    count = _int(values.get("sessions"), "sessions", label="Number of sessions")
    return PlanInput(code, start, count, tuple(_done_dates(values.get("done_dates"))))


def indication_input(value: Any) -> str:
    code = _text(value, "indication", max_length=100)
    if code is None:
        raise ClinicalDataError("Choose the indication to suggest for.", field="indication")
    return code


def patient_id_input(value: Any) -> int | None:
    return _int(value, "patient_id", label="Patient")


@dataclass(frozen=True)
class LidocaineInput:
    weight_kg: Decimal
    concentration: Quantity | None
    volume: Quantity | None


def lidocaine_input(values: Mapping[str, str]) -> LidocaineInput:
    weight = _decimal(values.get("weight_kg"), "weight_kg", label="Weight")
    if weight is None:
        raise ClinicalDataError("Give the patient's weight in kilograms.", field="weight_kg")
    if not Decimal(0) < weight <= MAX_WEIGHT_KG:
        raise ClinicalDataError(
            f"Weight: give a weight between 0 and {MAX_WEIGHT_KG} kg.", field="weight_kg"
        )
    concentration = (
        _quantity(
            {"value": values["concentration"], "unit": values.get("concentration_unit") or "%"},
            "concentration",
        )
        if values.get("concentration")
        else None
    )
    volume = _quantity(values.get("volume"), "volume", default_unit="mL")
    for name, quantity in (("concentration", concentration), ("volume", volume)):
        if quantity is not None and quantity.value > MAX_AMOUNT:
            raise ClinicalDataError(f"{name}: that amount is not plausible.", field=name)
    return LidocaineInput(weight, concentration, volume)


def score_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """The answered items; an unanswered one is left out for the core to point at."""
    return {code: value for code, value in answers.items() if not _blank(value)}
