"""Consent page input; the services decide what is valid."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from pistor.consents.constants import ConsentKind, PhotoUse
from pistor.core.forms import IdPrefixedForm


class ConsentCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices, initial=ConsentKind.TREATMENT)
    indication_code = forms.ChoiceField(label="Indication", required=False)
    product_codes = forms.MultipleChoiceField(
        label="Products", required=False, widget=forms.CheckboxSelectMultiple
    )
    photo_uses = forms.MultipleChoiceField(
        label="Photographs may be used for",
        required=False,
        choices=PhotoUse.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, catalog: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["indication_code"]).choices = [("", "—")] + [
            (i.code, i.name) for i in catalog.indications.values()
        ]
        cast(forms.ChoiceField, self.fields["product_codes"]).choices = [
            (p.code, p.name) for p in sorted(catalog.products.values(), key=lambda p: str(p.name))
        ]


class SignatureForm(forms.Form):
    signed_name = forms.CharField(label="Full name", max_length=200, required=False)
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2_000_000)


class ReasonForm(IdPrefixedForm):
    id_prefix = "withdraw"
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000)


class AddendumForm(IdPrefixedForm):
    id_prefix = "addendum"
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
    reason = forms.CharField(max_length=10_000)
