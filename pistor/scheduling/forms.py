"""Forms of the calendar pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from pistor.core.forms import DateInput, DateTimeInput, TimeInput
from pistor.scheduling.constants import CancelledBy, ResourceKind, VisitKind, Weekday


class BookForm(forms.Form):
    patient_number = forms.CharField(
        label="Patient record number", max_length=40, help_text="As on the patient's record."
    )
    staff = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    appointment_type = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    starts_at = forms.CharField(widget=forms.HiddenInput, max_length=40)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    by = forms.ChoiceField(choices=CancelledBy.choices, label="Cancelled by")
    reason = forms.CharField(required=False, max_length=500)


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(choices=ResourceKind.choices)
    name = forms.CharField(max_length=100)
    device_type = forms.SlugField(
        required=False, max_length=60, help_text="For a device, e.g. mesotherapy-gun."
    )


class AppointmentTypeForm(forms.Form):
    code = forms.SlugField(max_length=60)
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=VisitKind.choices)
    duration_minutes = forms.IntegerField(min_value=1, max_value=720)
    buffer_minutes = forms.IntegerField(min_value=0, max_value=120, initial=0)
    needs_room = forms.BooleanField(required=False, initial=True)
    device_type = forms.SlugField(required=False, max_length=60)
    online_bookable = forms.BooleanField(required=False)


class MoveForm(forms.Form):
    """A new start in the clinic's local time (the page's time zone)."""

    starts_at = forms.DateTimeField(
        label="New start",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )


class WeeklyForm(forms.Form):
    """One span per weekday (``day0_start``/``day0_end`` for Monday ...); both empty: closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Weekday.choices:
            for part, words in (("start", "from"), ("end", "to")):
                # Drawn in a table row without a <label>: the words go on the input itself.
                self.fields[f"day{value}_{part}"] = forms.TimeField(
                    required=False,
                    label=f"{label} {words}",
                    widget=TimeInput(attrs={"aria-label": f"{label} {words}"}),
                )

    def rows(self) -> list[tuple[str, Any, Any]]:
        return [
            (label, self[f"day{value}_start"], self[f"day{value}_end"])
            for value, label in Weekday.choices
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        spans: list[tuple[int, dt.time, dt.time]] = []
        for value, label in Weekday.choices:
            start, end = data.get(f"day{value}_start"), data.get(f"day{value}_end")
            if start is None and end is None:
                continue
            if start is None or end is None:
                self.add_error(f"day{value}_end", f"Give both times for {label}, or neither.")
            elif end <= start:
                self.add_error(f"day{value}_end", f"On {label} the end must be after the start.")
            else:
                spans.append((value, start, end))
        data["spans"] = spans
        return data

    @classmethod
    def initial_from(cls, rows: list[tuple[int, dt.time, dt.time]]) -> dict[str, dt.time]:
        out: dict[str, dt.time] = {}
        for weekday, start, end in rows:
            out[f"day{weekday}_start"], out[f"day{weekday}_end"] = start, end
        return out


class ClosedDayForm(forms.Form):
    date = forms.DateField(widget=DateInput())
    reason = forms.CharField(required=False, max_length=200)


class HoursExceptionForm(forms.Form):
    date = forms.DateField(widget=DateInput())
    starts = forms.TimeField(widget=TimeInput())
    ends = forms.TimeField(widget=TimeInput())


class AbsenceForm(forms.Form):
    """From and to in the clinic's local time."""

    starts_at = forms.DateTimeField(
        label="Away from",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )
    ends_at = forms.DateTimeField(
        label="Back at",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )
    reason = forms.CharField(required=False, max_length=200)
