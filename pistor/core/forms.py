"""Form pieces every page shares: the browser's date and time pickers, a date field bounded
to the clinic's calendar, and the one helper that puts errors beside their fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

# The same window as the API's ``ClinicDate``: beyond it a date is a typing slip, and date
# arithmetic on it (a course from 9999-12-20, "to" + 1 day) would overflow the calendar.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)
CALENDAR_VALIDATORS: list[Callable[[Any], None]] = [
    MinValueValidator(EARLIEST_DATE, message="Give a date from 1900 onwards."),
    MaxValueValidator(LATEST_DATE, message="Give a date before the year 2201."),
]


class DateInput(forms.DateInput):
    """The browser's date picker, its value written as ISO 8601 (2026-12-15).

    A browser drops any other value of a date input and shows the field empty: Django's
    localised format (15/12/2026 in en-GB) would lose every date a page fills in for the
    person, a suggested first session or an expiry being corrected.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """The browser's time picker, its value written as the input requires (09:30)."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, its value written as the input requires
    (2026-12-15T09:30), in the clinic's local time."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class IdPrefixedForm(forms.Form):
    """A form drawn beside others that ask for a field of the same name (a batch's recall,
    stock-out and count forms; a consent's withdrawal and addendum all ask for a reason).

    Each takes its element ids from its own ``id_prefix``: with Django's default ids the
    page would repeat ``id_reason``, and a label or a link to it would find the other
    form's field. The field names, and so what the form posts, stay as they are.
    """

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s" if self.id_prefix else "id_%s")
        super().__init__(*args, **kwargs)


class ClinicDateField(forms.DateField):
    """A ``DateField`` that refuses dates outside 1900–2200 with a message, not a crash."""

    default_validators = CALENDAR_VALIDATORS


def errors_beside_fields(
    form: forms.BaseForm,
    fields: Mapping[str, Sequence[str]],
    *,
    rename: Callable[[str], str] | None = None,
) -> None:
    """Put messages keyed by field name (from a service's ``ValidationFailed`` or the
    clinical core's ``ClinicalDataError``) beside the form's own fields; a name the form does
    not have goes to the form's general errors. The one way pages show such errors.

    ``rename`` maps a service's field path to the form's field name where they differ.
    """
    for path, messages in fields.items():
        name = rename(path) if rename is not None else path
        target: Any = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
