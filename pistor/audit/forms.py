"""The audit trail's filter form."""

from __future__ import annotations

from typing import Any

from django import forms

from pistor.audit.events import SUBJECT_TYPES, AuditEventType
from pistor.core.forms import ClinicDateField, DateInput
from pistor.core.rows import MAX_ID

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class AuditFilterForm(forms.Form):
    event_type = forms.ChoiceField(required=False, label="Event")
    actor = forms.TypedChoiceField(required=False, label="Who", coerce=int, empty_value=None)
    record = forms.CharField(required=False, max_length=40, label="Record number")
    subject_type = forms.ChoiceField(required=False, label="Record type")
    subject_id = forms.CharField(required=False, max_length=64, label="Record id")
    date_from = ClinicDateField(
        required=False,
        label="From",
        input_formats=DATE_FORMATS,
        widget=DateInput(),
    )
    date_to = ClinicDateField(
        required=False,
        label="To (inclusive)",
        input_formats=DATE_FORMATS,
        widget=DateInput(),
    )
    older_than = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, actors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fixed lists: no query over the trail to learn which values it holds.
        self.fields["event_type"].choices = [  # type: ignore[attr-defined]
            ("", "Any event"),
            *AuditEventType.choices,
        ]
        self.fields["actor"].choices = [("", "Anyone"), *actors]  # type: ignore[attr-defined]
        self.fields["subject_type"].choices = [  # type: ignore[attr-defined]
            ("", "Any record"),
            *SUBJECT_TYPES.items(),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data
