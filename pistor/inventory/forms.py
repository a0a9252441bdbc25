"""Page input for the stock room. The services decide what is valid; these only parse."""

from __future__ import annotations

from django import forms

from pistor.core.forms import DateInput, IdPrefixedForm
from pistor.inventory.constants import MANUAL_OUT_KINDS, ContainerForm, MovementKind, Occasion

UNIT_CHOICES = [("mL", "mL"), ("uL", "µL"), ("count", "items"), ("mg", "mg")]


class ReceiveForm(forms.Form):
    product = forms.ChoiceField(label="Product")
    lot = forms.CharField(label="Lot number", max_length=80)
    expires_on = forms.DateField(label="Expiry date", widget=DateInput())
    quantity = forms.DecimalField(label="Quantity received", min_value=0, decimal_places=3)
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="mL")
    supplier = forms.CharField(max_length=200, required=False)
    delivery_note = forms.CharField(label="Delivery note number", max_length=200, required=False)
    fridge = forms.ChoiceField(label="Stored in", required=False)


class UseForm(forms.Form):
    product = forms.ChoiceField(label="Product")
    batch = forms.ChoiceField(
        label="Batch",
        required=False,
        help_text="Leave on the first choice to use the batch that expires first.",
    )
    quantity = forms.DecimalField(min_value=0, decimal_places=3)
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="mL")
    occasion = forms.ChoiceField(choices=Occasion.choices, initial=Occasion.ALLERGY_TEST)
    occasion_ref = forms.CharField(
        label="Reference (session or test)", max_length=80, required=False
    )


class RecallForm(IdPrefixedForm):
    id_prefix = "recall"
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reference = forms.CharField(label="Recall reference", max_length=120, required=False)


class MovementForm(IdPrefixedForm):
    id_prefix = "movement"
    kind = forms.ChoiceField(choices=[(k.value, MovementKind(k).label) for k in MANUAL_OUT_KINDS])
    quantity = forms.DecimalField(min_value=0, decimal_places=3)
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="mL")
    reason = forms.CharField(max_length=2000)


class CountForm(IdPrefixedForm):
    id_prefix = "count"
    counted = forms.DecimalField(label="Found on the shelf", min_value=0, decimal_places=3)
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="mL")
    reason = forms.CharField(max_length=2000, required=False)


class ProductForm(forms.Form):
    code = forms.ChoiceField(label="Catalog product")
    form = forms.ChoiceField(choices=ContainerForm.choices)
    unit_volume_ml = forms.DecimalField(
        label="Volume per container (mL)", required=False, min_value=0
    )
    multi_dose = forms.BooleanField(required=False, label="Multi-dose vial")
    storage_min_c = forms.DecimalField(label="Store from (°C)", initial=2)
    storage_max_c = forms.DecimalField(label="Store up to (°C)", initial=8)
    in_use_hours = forms.IntegerField(
        label="Use within (hours, once opened)", required=False, min_value=1
    )
    price = forms.DecimalField(min_value=0, decimal_places=2, initial=0)
    reorder_level = forms.DecimalField(min_value=0, decimal_places=3, initial=0)


class ReadingForm(forms.Form):
    fridge = forms.ChoiceField()
    celsius = forms.DecimalField(
        label="Temperature (°C)", decimal_places=1, min_value=-40, max_value=60
    )


class FridgeForm(forms.Form):
    name = forms.CharField(max_length=100, label="Fridge name")
