"""The public booking form and the manager's settings form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from pistor.core.forms import ClinicDateField, DateInput
from pistor.onlinebooking.constants import MAX_DAYS_AHEAD

# No listed time is outside these years; beyond them, converting between time zones
# (9999-12-31 23:30 -05:00 is already the year 10000 in London) would overflow.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200
OUTSIDE_YEARS = "That date is far outside the times the clinic offers; choose a listed time."


def parse_start(value: str) -> dt.datetime | None:
    """A start sent back from the list of free times (ISO 8601 with its offset)."""
    try:
        start = dt.datetime.fromisoformat(value.strip()[:40])
    except ValueError:
        return None
    if start.tzinfo is None or not EARLIEST_YEAR <= start.year <= LATEST_YEAR:
        return None
    return start


class BookingForm(forms.Form):
    type = forms.SlugField(max_length=60, widget=forms.HiddenInput)
    start = forms.CharField(max_length=40, widget=forms.HiddenInput)
    given_name = forms.CharField(
        label="First name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    date_of_birth = ClinicDateField(
        label="Date of birth",
        widget=DateInput(attrs={"autocomplete": "bday"}),
        error_messages={"invalid": "Give your date of birth as a date, e.g. 1985-03-21."},
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send the confirmation here.",
    )
    phone = forms.CharField(
        label="Mobile phone",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    # A field people never see (hidden by the stylesheet) that form-filling robots fill in.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    shown = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)

    def clean_start(self) -> dt.datetime:
        value = self.cleaned_data["start"]
        start = parse_start(value)
        if start is None:
            year = value.strip()[:4]
            if year.isdigit() and not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
                raise forms.ValidationError(OUTSIDE_YEARS)
            raise forms.ValidationError("Choose one of the times listed.")
        return start

    def clean_date_of_birth(self) -> dt.date:
        value: dt.date = self.cleaned_data["date_of_birth"]
        if value > dt.date.today():  # noqa: DTZ011 - a birth date, not an instant
            raise forms.ValidationError("A date of birth cannot be in the future.")
        return value


class BookingSettingsForm(forms.Form):
    enabled = forms.BooleanField(label="Take bookings on the public page", required=False)
    days_ahead = forms.IntegerField(
        label="Days of free times shown", min_value=1, max_value=MAX_DAYS_AHEAD
    )
    min_notice_hours = forms.IntegerField(
        label="Earliest start after booking (hours)", min_value=0, max_value=14 * 24
    )
    change_cutoff_hours = forms.IntegerField(
        label="Patients may cancel or move until (hours before)", min_value=0, max_value=14 * 24
    )
    types = forms.TypedMultipleChoiceField(
        label="Visit types patients may book",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, type_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = self.fields["types"]
        assert isinstance(types, forms.TypedMultipleChoiceField)  # noqa: S101 - for mypy
        types.choices = type_choices
