"""The clinic settings form: the read window, the pigmentation threshold, caution severities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from pistor.clinical.catalog.types import Severity
from pistor.clinical.gates import MIN_READ_HOURS
from pistor.clinics.models import (
    FITZPATRICK_MAX,
    FITZPATRICK_MIN,
    MAX_READ_HOURS,
    AllergyTestPolicy,
    Clinic,
)
from pistor.clinics.selectors import ConfigurableCaution
from pistor.core.forms import errors_beside_fields

CAUTION_PREFIX = "caution-"
DEFAULT_CHOICE = ""
_SEVERITY_LABELS = {
    Severity.BLOCK: "Block",
    Severity.WARN: "Warn",
    Severity.INFO: "Note only",
}


def caution_field_name(fact: str) -> str:
    return f"{CAUTION_PREFIX}{fact}"


class ClinicSettingsForm(forms.Form):
    allergy_test_min_read_hours = forms.IntegerField(
        label="Read allergy test injections after (hours)",
        # The rule and its message live in the service; the browser gets the hint.
        widget=forms.NumberInput(attrs={"min": MIN_READ_HOURS, "max": MAX_READ_HOURS, "step": 1}),
        help_text=f"At least {MIN_READ_HOURS} hours. A session that needs a test cannot start "
        "until the test has been read this long after it was placed.",
    )
    allergy_test_policy = forms.ChoiceField(
        label="Allergy tests are needed",
        choices=AllergyTestPolicy.choices,
        required=False,
        help_text="For every product a new patient receives, or only for products bringing an "
        "ingredient the patient has not yet tested negative to.",
    )
    fitzpatrick_pigmentation_threshold = forms.TypedChoiceField(
        label="Warn of pigmentation from Fitzpatrick skin type",
        coerce=int,
        choices=[(n, f"Type {n} and darker") for n in range(FITZPATRICK_MIN, FITZPATRICK_MAX + 1)],
        help_text="Ingredients that can darken the skin get a warning for this skin type and "
        "darker ones. The catalog's default is type 4.",
    )

    def __init__(
        self, *args: Any, cautions: Sequence[ConfigurableCaution], clinic: Clinic, **kwargs: Any
    ) -> None:
        overrides = clinic.caution_severity_overrides or {}
        kwargs.setdefault(
            "initial",
            {
                "allergy_test_min_read_hours": clinic.allergy_test_min_read_hours,
                "allergy_test_policy": clinic.allergy_test_policy,
                "fitzpatrick_pigmentation_threshold": clinic.fitzpatrick_pigmentation_threshold,
                **{
                    caution_field_name(c.fact): overrides.get(c.fact, DEFAULT_CHOICE)
                    for c in cautions
                },
            },
        )
        super().__init__(*args, **kwargs)
        self.cautions = list(cautions)
        for caution in cautions:
            defaults = " or ".join(s.value for s in caution.default_severities)
            self.fields[caution_field_name(caution.fact)] = forms.ChoiceField(
                label=f"Severity for {caution.name}",
                required=False,
                # Radios, not a select: four short choices read at a glance in a table row.
                widget=forms.RadioSelect,
                choices=[
                    (DEFAULT_CHOICE, f"Catalog default ({defaults})"),
                    *((s.value, _SEVERITY_LABELS[s]) for s in Severity),
                ],
            )

    def caution_rows(self) -> list[tuple[ConfigurableCaution, forms.BoundField]]:
        return [(c, self[caution_field_name(c.fact)]) for c in self.cautions]

    def overrides(self) -> dict[str, str]:
        """The chosen severities; a caution left at the catalog default is left out."""
        chosen = {}
        for caution in self.cautions:
            value = self.cleaned_data.get(caution_field_name(caution.fact))
            if value:
                chosen[caution.fact] = value
        return chosen

    def place_errors(self, fields: dict[str, list[str]]) -> None:
        """Put the service's field errors beside the field they name."""
        prefix = "caution_severity_overrides."

        def rename(path: str) -> str:
            if path.startswith(prefix):
                return caution_field_name(path.removeprefix(prefix))
            return path

        errors_beside_fields(self, fields, rename=rename)
