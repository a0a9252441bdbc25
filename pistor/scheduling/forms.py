"""Forms of the calendar pages."""

from __future__ import annotations

from django import forms

from pistor.scheduling.constants import CancelledBy, ResourceKind, VisitKind


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
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
