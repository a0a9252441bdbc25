"""Page input for contact preferences and the clinic's reminder settings."""

from __future__ import annotations

from django import forms

from pistor.messaging.constants import REMINDER_HOURS_MAX, REMINDER_HOURS_MIN, Channel


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(
        choices=Channel.choices, label="Send messages by", widget=forms.RadioSelect
    )
    marketing_opt_out = forms.BooleanField(
        required=False,
        label="No maintenance recalls or offers (reminders and aftercare are still sent)",
    )


class MessagingSettingsForm(forms.Form):
    reminder_hours_before = forms.IntegerField(
        min_value=REMINDER_HOURS_MIN,
        max_value=REMINDER_HOURS_MAX,
        label="Remind patients this many hours before their appointment",
    )
    daily_hour = forms.IntegerField(
        min_value=0, max_value=23, label="Send the daily reminders and stock alerts at (hour, 0-23)"
    )
