from __future__ import annotations

from typing import Any

from django import forms

from pistor.clinics.models import Role


class SignInForm(forms.Form):
    # Named "username" because django-axes reads that field to count failures per account.
    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
        error_messages={"required": "Enter the email address you sign in with."},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Enter the code from your authenticator app."},
    )


class StaffInviteForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="The invitation link is sent here; it works once.",
        error_messages={"required": "Enter the email address to send the invitation to."},
    )
    full_name = forms.CharField(
        label="Full name", max_length=200, required=False, help_text="They can correct it."
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        help_text="Practitioners and managers set up an authenticator app when they join.",
    )


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class InvitationAcceptForm(forms.Form):
    """Name and password for a new account; the rules are checked by the service."""

    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not like your name or email, and not a common one.",
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, needs_password: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not needs_password:
            del self.fields["password1"]
            del self.fields["password2"]
            self.fields["full_name"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ. Type the same one twice.")
        return data
