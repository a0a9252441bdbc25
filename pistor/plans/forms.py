"""Plan and price page input; the services decide what is valid."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from pistor.core.forms import DateInput
from pistor.plans.constants import MAX_SESSIONS, PriceKind


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class PlanCreateForm(forms.Form):
    protocol_code = forms.ChoiceField(label="Protocol")
    first_session = forms.DateField(label="First session", widget=DateInput())
    sessions = forms.IntegerField(
        label="Sessions in the first phase",
        required=False,
        min_value=1,
        max_value=MAX_SESSIONS,
        help_text="Leave empty for the protocol's usual number.",
    )
    areas = forms.CharField(label="Areas", help_text="Separate areas with commas, e.g. face, neck.")
    technique_code = forms.ChoiceField(label="Technique")
    product_codes = forms.MultipleChoiceField(label="Products", widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(
        label="Reason for going outside the protocol",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )

    def __init__(self, *args: Any, catalog: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["protocol_code"]).choices = [
            (
                f"{ind}:{code}",
                f"{catalog.indications[ind].name} — {catalog.protocols[code].name}",
            )
            for code, protocol in catalog.protocols.items()
            for ind in protocol.indications
            if ind in catalog.indications
        ]
        cast(forms.ChoiceField, self.fields["technique_code"]).choices = [
            (t.code, t.name) for t in catalog.techniques.values()
        ]
        cast(forms.ChoiceField, self.fields["product_codes"]).choices = [
            (p.code, p.name) for p in sorted(catalog.products.values(), key=lambda p: str(p.name))
        ]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        indication, _, protocol = data["protocol_code"].partition(":")
        return {
            "indication_code": indication,
            "protocol_code": protocol,
            "first_session": data["first_session"],
            "sessions": data["sessions"],
            "areas": _split(data["areas"]),
            "technique_code": data["technique_code"],
            "product_codes": data["product_codes"],
            "reason": data["reason"],
        }


class PlanSessionForm(forms.Form):
    planned_on = forms.DateField(label="Date", widget=DateInput())
    areas = forms.CharField(label="Areas")
    technique_code = forms.CharField(label="Technique", max_length=60)
    product_codes = forms.CharField(label="Products (codes, comma-separated)", max_length=2000)
    note = forms.CharField(label="Reason, if outside the window", required=False, max_length=5000)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "planned_on": data["planned_on"],
            "areas": _split(data["areas"]),
            "technique_code": data["technique_code"],
            "product_codes": _split(data["product_codes"]),
            "note": data["note"],
        }


class PriceItemForm(forms.Form):
    kind = forms.ChoiceField(choices=PriceKind.choices)
    indication_code = forms.CharField(label="Indication code", required=False, max_length=60)
    area = forms.CharField(label="Area (empty: any)", required=False, max_length=60)
    product_code = forms.CharField(label="Product code", required=False, max_length=60)
    amount = forms.CharField(label="Price before VAT", max_length=30)


class VatForm(forms.Form):
    vat_rate = forms.CharField(label="VAT rate (%)", max_length=10)
