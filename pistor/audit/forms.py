"""The audit trail's filter form."""

from __future__ import annotations

from typing import Any

from django import forms

from pistor.core.forms import ClinicDateField

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class AuditFilterForm(forms.Form):
    event_type = forms.ChoiceField(required=False, label="Event")
    actor = forms.TypedChoiceField(required=False, label="Who", coerce=int, empty_value=None)
    subject_type = forms.ChoiceField(required=False, label="Record type")
    subject_id = forms.CharField(required=False, max_length=64, label="Record id")
    date_from = ClinicDateField(
        required=False,
        label="From",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = ClinicDateField(
        required=False,
        label="To (inclusive)",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=10**6, widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        event_types: list[str],
        actors: list[tuple[int, str]],
        subject_types: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = [("", "Any event"), *[(t, t) for t in event_types]]  # type: ignore[attr-defined]
        self.fields["actor"].choices = [("", "Anyone"), *actors]  # type: ignore[attr-defined]
        self.fields["subject_type"].choices = [  # type: ignore[attr-defined]
            ("", "Any record"),
            *[(t, t) for t in subject_types],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data
