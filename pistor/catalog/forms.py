"""Forms for a clinic's own protocols and products.

The forms check types and required fields; the clinical rules (minimum ≤ default ≤
maximum, known ingredients, units that fit) are checked once, by the clinical loader via
the service, and its errors are put back beside the field they name.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory

from pistor.catalog.services import COMPONENTS_MOST, PHASES_MOST
from pistor.clinical.catalog.loader import PRODUCT_FORMS
from pistor.clinical.catalog.types import Catalog, Product, Protocol
from pistor.core.errors import ValidationFailed

CODE_HELP = (
    "Lower-case words joined by hyphens, e.g. 'cellulite-fortnightly'. It cannot be changed "
    "later, because treatment plans refer to it."
)
CONCENTRATION_UNITS = [("mg/mL", "mg/mL"), ("mcg/mL", "mcg/mL"), ("mg/g", "mg/g"), ("%", "%")]


class ProtocolForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="As staff will see it in plans.")
    code = forms.CharField(max_length=80, help_text=CODE_HELP)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the course is for and when the clinic uses it.",
    )
    indications = forms.MultipleChoiceField(
        choices=(),
        help_text="What the protocol treats. Hold Ctrl (Cmd on a Mac) to choose several.",
    )
    has_maintenance = forms.BooleanField(
        required=False, label="Plan maintenance (top-up) sessions after the course"
    )
    maintenance_interval_min_days = forms.IntegerField(
        required=False, min_value=1, label="Shortest gap (days)"
    )
    maintenance_interval_target_days = forms.IntegerField(
        required=False, min_value=1, label="Usual gap (days)"
    )
    maintenance_interval_max_days = forms.IntegerField(
        required=False, min_value=1, label="Longest gap (days)"
    )
    maintenance_count = forms.IntegerField(
        required=False,
        min_value=1,
        label="Number of top-ups",
        help_text="Leave empty for open-ended maintenance.",
    )

    def __init__(self, *args: Any, catalog: Catalog, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["indications"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - narrows the type
        choices: list[tuple[str, str]] = sorted(
            ((code, i.name) for code, i in catalog.indications.items()), key=lambda c: c[1]
        )
        field.choices = choices
        field.widget.attrs["size"] = str(min(10, max(4, len(choices))))
        for key in ("min", "target", "max"):
            # Needed once maintenance is ticked, so "(optional)" would mislead.
            self.fields[f"maintenance_interval_{key}_days"].show_optional = False  # type: ignore[attr-defined]
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "The code cannot change: plans refer to it."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("has_maintenance"):
            for key in ("min", "target", "max"):
                name = f"maintenance_interval_{key}_days"
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Needed when maintenance is planned.")
        return data


class PhaseForm(forms.Form):
    name = forms.CharField(max_length=80, label="Phase name", help_text="e.g. 'weekly'")
    sessions_min = forms.IntegerField(min_value=1, label="Sessions, fewest")
    sessions_default = forms.IntegerField(min_value=1, label="Sessions, usual")
    sessions_max = forms.IntegerField(min_value=1, label="Sessions, most")
    interval_min_days = forms.IntegerField(min_value=1, label="Gap, shortest (days)")
    interval_target_days = forms.IntegerField(min_value=1, label="Gap, usual (days)")
    interval_max_days = forms.IntegerField(min_value=1, label="Gap, longest (days)")


class BasePhaseFormSet(BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.has_changed()]
        if not filled:
            raise forms.ValidationError("A protocol needs at least one phase of sessions.")


# absolute_max as low as max_num: Django's default (max_num + 1000) would build and render
# a thousand forms for a posted TOTAL_FORMS of a million, seconds of work and megabytes of
# page for one request. Above the bound the formset refuses with "at most N".
PhaseFormSet = formset_factory(
    PhaseForm,
    formset=BasePhaseFormSet,
    extra=2,
    max_num=PHASES_MOST,
    absolute_max=PHASES_MOST,
    validate_max=True,
)


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=80, help_text=CODE_HELP)
    manufacturer = forms.CharField(
        max_length=200, help_text="Or the pharmacy that compounds it for the clinic."
    )
    form = forms.ChoiceField(choices=[(f, f.capitalize()) for f in sorted(PRODUCT_FORMS)])
    unit_volume_ml = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=8,
        decimal_places=3,
        label="Unit volume (mL)",
        help_text="The volume of one vial or syringe, if it has one.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the product is and what the clinic uses it for.",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "The code cannot change: records refer to it."


class ComponentForm(forms.Form):
    ingredient = forms.ChoiceField(choices=())
    concentration_value = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=4,
        label="Concentration",
        help_text="Leave empty if the maker does not publish it.",
    )
    concentration_unit = forms.ChoiceField(choices=CONCENTRATION_UNITS, label="Unit")

    def __init__(self, *args: Any, catalog: Catalog, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["ingredient"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
        field.choices = [("", "— choose an ingredient —")] + sorted(
            ((code, i.name) for code, i in catalog.ingredients.items()), key=lambda c: c[1]
        )

    def has_changed(self) -> bool:
        # The unit select always has a value; a row counts as used once it names something.
        if not self.is_bound:
            return super().has_changed()
        return any(
            self.data.get(self.add_prefix(name)) for name in ("ingredient", "concentration_value")
        )


class BaseComponentFormSet(BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not [f for f in self.forms if f.has_changed()]:
            raise forms.ValidationError("List at least one ingredient of the product.")


ComponentFormSet = formset_factory(
    ComponentForm,
    formset=BaseComponentFormSet,
    extra=3,
    max_num=COMPONENTS_MOST,
    absolute_max=COMPONENTS_MOST,
    validate_max=True,
)


# --------------------------------------------------------------------------------------
# Between the forms and the loader's mapping
# --------------------------------------------------------------------------------------


def _filled(formset: BaseFormSet) -> list[forms.Form]:
    return [f for f in formset.forms if f.has_changed()]


def protocol_data(form: ProtocolForm, phases: BaseFormSet) -> dict[str, Any]:
    """The loader's protocol mapping from valid forms."""
    c = form.cleaned_data
    name = c["name"].strip()
    data: dict[str, Any] = {
        "code": c["code"].strip(),
        "name": name,
        "description": c["description"].strip() or f"{name}: a protocol of this clinic.",
        "indications": list(c["indications"]),
        "phases": [
            {key: f.cleaned_data[key] for key in PhaseForm.base_fields} for f in _filled(phases)
        ],
    }
    if c.get("has_maintenance"):
        maintenance = {
            "interval_min_days": c["maintenance_interval_min_days"],
            "interval_target_days": c["maintenance_interval_target_days"],
            "interval_max_days": c["maintenance_interval_max_days"],
        }
        if c.get("maintenance_count") is not None:
            maintenance["count"] = c["maintenance_count"]
        data["maintenance"] = maintenance
    return data


def protocol_initial(protocol: Protocol) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial: dict[str, Any] = {
        "name": protocol.name,
        "code": protocol.code,
        "description": protocol.description,
        "indications": list(protocol.indications),
        "has_maintenance": protocol.maintenance is not None,
    }
    if protocol.maintenance is not None:
        m = protocol.maintenance
        initial.update(
            maintenance_interval_min_days=m.interval_min_days,
            maintenance_interval_target_days=m.interval_target_days,
            maintenance_interval_max_days=m.interval_max_days,
            maintenance_count=m.count,
        )
    phases = [
        {key: getattr(phase, key) for key in PhaseForm.base_fields} for phase in protocol.phases
    ]
    return initial, phases


def product_data(form: ProductForm, components: BaseFormSet) -> dict[str, Any]:
    """The loader's product mapping from valid forms."""
    c = form.cleaned_data
    name = c["name"].strip()
    composition = []
    for f in _filled(components):
        line: dict[str, Any] = {"ingredient": f.cleaned_data["ingredient"]}
        if f.cleaned_data.get("concentration_value") is not None:
            line["concentration"] = {
                "value": str(f.cleaned_data["concentration_value"]),
                "unit": f.cleaned_data["concentration_unit"],
            }
        composition.append(line)
    data: dict[str, Any] = {
        "code": c["code"].strip(),
        "name": name,
        "manufacturer": c["manufacturer"].strip(),
        "description": c["description"].strip() or f"{name}: a product of this clinic.",
        "form": c["form"],
        "composition": composition,
        "regulatory_status": "unknown",
    }
    if c.get("unit_volume_ml") is not None:
        data["unit_volume"] = {"value": str(c["unit_volume_ml"]), "unit": "mL"}
    return data


def product_initial(product: Product) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial: dict[str, Any] = {
        "name": product.name,
        "code": product.code,
        "manufacturer": product.manufacturer,
        "form": product.form,
        "description": product.description,
        "unit_volume_ml": product.unit_volume.value if product.unit_volume else None,
    }
    lines = [
        {
            "ingredient": c.ingredient,
            "concentration_value": c.concentration.value if c.concentration else None,
            "concentration_unit": c.concentration.unit.value if c.concentration else "mg/mL",
        }
        for c in product.composition
    ]
    return initial, lines


_ITEM_RE = re.compile(r"^(?P<list>\w+)\[(?P<index>\d+)\](?:\.(?P<rest>[\w.\[\]]+))?$")


def attach_errors(
    error: ValidationFailed,
    form: forms.Form,
    formset: BaseFormSet,
    *,
    list_name: str,
    field_map: dict[str, str],
) -> None:
    """Put the service's field errors beside the form or formset field they name.

    ``phases[1].sessions_min`` lands on the second phase row's ``sessions_min``;
    ``maintenance.interval_min_days`` on ``maintenance_interval_min_days`` (via
    ``field_map``); anything unplaceable becomes a form-wide message.
    """
    filled = _filled(formset)
    for path, messages in error.fields.items():
        for message in messages:
            match = _ITEM_RE.match(path)
            if match and match["list"] == list_name and int(match["index"]) < len(filled):
                row = filled[int(match["index"])]
                rest = (match["rest"] or "").split(".")[0]
                rest = field_map.get(f"{list_name}.{rest}", rest)
                row.add_error(rest if rest in row.fields else None, message)
                continue
            if match and match["list"] in form.fields:
                form.add_error(match["list"], message)
                continue
            name = field_map.get(path, path.replace(".", "_"))
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, message)
