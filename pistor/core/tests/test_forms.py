"""The one helper that puts a service's field errors beside the page's fields, and the
browser's date and time pickers: every form of the product writes their values as the
browser requires, or the browser shows the field empty."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from django import forms
from django.urls import get_resolver

from pistor.core.forms import ClinicDateField, IdPrefixedForm, errors_beside_fields

# What a browser accepts as the value of each picker (the HTML standard's formats); any
# other value is dropped and the field shows empty.
PICKER_VALUES = {
    "date": (dt.date(2026, 12, 15), r"\d{4}-\d{2}-\d{2}"),
    "time": (dt.time(9, 30), r"\d{2}:\d{2}(:\d{2})?"),
    "datetime-local": (
        dt.datetime(2026, 12, 15, 9, 30, tzinfo=dt.UTC),
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?",
    ),
}


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


def _product_forms() -> list[type[forms.BaseForm]]:
    get_resolver().url_patterns  # noqa: B018  (imports every page's views, so their forms)
    found, todo = [], list(forms.BaseForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("pistor.") and ".tests" not in cls.__module__:
            found.append(cls)
    return found


def _pickers(form_class: type[forms.BaseForm]) -> list[tuple[str, str, forms.Widget]]:
    """(field name, picker kind, widget) of each date or time picker of ``form_class``."""
    fields: dict[str, forms.Field] = dict(getattr(form_class, "base_fields", {}))
    # Fields a form builds for itself (a week's opening hours) exist only once made; a form
    # that needs arguments to be made shows its declared fields.
    with contextlib.suppress(Exception):
        fields.update(form_class().fields)
    pickers = []
    for name, field in fields.items():
        kind = getattr(field.widget, "input_type", None)
        if kind in PICKER_VALUES:
            pickers.append((name, str(kind), field.widget))
    return pickers


@pytest.mark.django_db
def test_every_date_and_time_picker_writes_its_value_as_the_browser_requires():
    checked = []
    for form_class in _product_forms():
        for name, kind, widget in _pickers(form_class):
            value, pattern = PICKER_VALUES[kind]
            written = widget.format_value(value)
            assert re.fullmatch(pattern, str(written)), (form_class.__name__, name, written)
            checked.append((form_class.__name__, name))
    # The walk found the pickers it exists for: plans, scheduling, stock, patients, audit.
    assert len(checked) >= 10, checked


def test_forms_drawn_side_by_side_take_their_own_ids_and_post_the_same_names():
    class Withdraw(IdPrefixedForm):
        id_prefix = "withdraw"
        reason = forms.CharField()

    class Addendum(IdPrefixedForm):
        id_prefix = "addendum"
        reason = forms.CharField()

    page = str(Withdraw()) + str(Addendum())
    assert 'id="id_withdraw_reason"' in page and 'id="id_addendum_reason"' in page
    assert page.count('name="reason"') == 2
    assert Withdraw({"reason": "Changed her mind"}).is_valid()
