"""Page forms for the patient registry. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from pistor.core.forms import DateInput
from pistor.patients.constants import FitzpatrickType
from pistor.patients.models import Patient
from pistor.patients.services import EDITABLE_FIELDS

if TYPE_CHECKING:
    _PatientModelForm = forms.ModelForm[Patient]
else:  # ModelForm is not subscriptable at run time
    _PatientModelForm = forms.ModelForm

UK_AND_ISO_DATES = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"]


class PatientForm(_PatientModelForm):
    date_of_birth = forms.DateField(
        input_formats=UK_AND_ISO_DATES,
        widget=DateInput(),
        help_text="Day, month, year.",
    )

    class Meta:
        model = Patient
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "gp_contact": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, registering: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if registering:
            # Shown only once the registry has found a possible match (see the view).
            self.fields["confirm_not_duplicate"] = forms.BooleanField(
                required=False,
                label="This is a different person: register them anyway",
                widget=forms.HiddenInput,
            )
        fitz = self.fields["fitzpatrick_type"]
        if isinstance(fitz, forms.ChoiceField):
            fitz.choices = [("", "Not recorded"), *FitzpatrickType.choices]

    def offer_duplicate_confirmation(self) -> None:
        self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()

    def service_fields(self) -> dict[str, object]:
        return {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS}


class ArchiveForm(forms.Form):
    reason = forms.CharField(
        label="Reason for archiving",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: moved away, duplicate record of P-000042, asked to leave.",
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search patients")
    archived = forms.BooleanField(required=False, label="Include archived patients")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
