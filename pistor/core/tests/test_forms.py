"""The one helper that puts a service's field errors beside the page's fields."""

from __future__ import annotations

import datetime as dt

from django import forms

from pistor.core.forms import ClinicDateField, errors_beside_fields


class _Form(forms.Form):
    name = forms.CharField(required=False)
    start = ClinicDateField(required=False)


def test_errors_go_beside_their_field_and_unknown_names_go_on_top():
    form = _Form({"name": "x"})
    assert form.is_valid()
    errors_beside_fields(form, {"name": ["Taken."], "elsewhere": ["Odd."], "__all__": ["No."]})
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Odd.", "No."]


def test_a_renamed_path_lands_on_the_form_field():
    form = _Form({})
    assert form.is_valid()
    errors_beside_fields(form, {"data.start": ["Too early."]}, rename=lambda p: p.split(".")[-1])
    assert form.errors["start"] == ["Too early."]


def test_a_date_outside_the_clinic_calendar_is_a_message_not_a_crash():
    for raw in ("9999-12-31", "0001-01-01"):
        form = _Form({"start": raw})
        assert not form.is_valid() and "start" in form.errors
    ok = _Form({"start": "2026-03-02"})
    assert ok.is_valid() and ok.cleaned_data["start"] == dt.date(2026, 3, 2)
