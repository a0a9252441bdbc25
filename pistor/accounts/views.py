"""Sign-in, second factor, recovery codes and sign-out pages."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pistor.accounts import limiter
from pistor.accounts.access import (
    forget_otp_state,
    otp_state,
    public_page,
    safe_next,
    staff_required,
)
from pistor.accounts.forms import InvitationAcceptForm, OtpTokenForm, SignInForm
from pistor.accounts.middleware import INACTIVITY_FLAG
from pistor.accounts.qr import qr_svg
from pistor.accounts.selectors import (
    OTP_REQUIRED_ROLES,
    otp_required_by_role,
    recovery_codes_remaining,
    totp_device_get_confirmed,
)
from pistor.accounts.services import (
    invitation_accept,
    invitation_get_open,
    invitation_needs_password,
    otp_verify,
    password_change,
    password_reset_record,
    recovery_codes_generate,
    signin_check_password,
    signin_record,
    signout_record,
    totp_device_confirm,
    totp_device_start,
)
from pistor.clinics.selectors import membership_list_for_user
from pistor.core.errors import NotFound, ValidationFailed

RECOVERY_CODES_SESSION_KEY = "pistor_recovery_codes"


def _next_param(request: HttpRequest) -> str | None:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def next_step_url(request: HttpRequest, next_url: str | None) -> str:
    """Where a signed-in person goes now: second factor first, then the clinic."""
    forget_otp_state(request)
    state = otp_state(request)
    if state == "verify":
        return _with_next(reverse("accounts:verify"), next_url)
    if state == "setup":
        return _with_next(reverse("accounts:setup_2fa"), next_url)
    return _with_next(reverse("clinics:choose"), next_url)


def locked_out_response(request: HttpRequest, retry_at: Any = None) -> HttpResponse:
    context = {
        "failure_limit": limiter.failure_limit(),
        "cooloff_timedelta": limiter.cooloff(),
        "retry_at": retry_at,
    }
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    return render(request, "accounts/locked_out.html", context, status=status)


@public_page
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_param(request)
    inactivity = request.session.pop(INACTIVITY_FLAG, False)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_step_url(request, next_url))
    # The invitation page sends the new member here with their address already filled in.
    form = SignInForm(request.POST or None, initial={"username": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        result = signin_check_password(
            request=request,
            email=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if result.locked_out:
            return locked_out_response(request, result.retry_at)
        if result.user is not None:
            login(request, result.user)  # rotates the session key
            signin_record(request=request, user=result.user)
            response = redirect(next_step_url(request, next_url))
            limiter.remember_device(response, result.user.email)
            return response
        form.add_error(
            None,
            "That email and password do not match a staff account. Check them and try again.",
        )
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "inactivity": inactivity},
    )


@public_page
@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_param(request)
    if not request.user.is_authenticated:
        return redirect(_with_next(reverse("accounts:login"), next_url))
    if otp_state(request) != "verify":
        return redirect(next_step_url(request, next_url))
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = otp_verify(request=request, token=form.cleaned_data["otp_token"])
        if check.device is not None:
            return redirect(next_step_url(request, next_url))
        if check.wait_until is not None:
            seconds = max(1, int((check.wait_until - timezone.now()).total_seconds()) + 1)
            form.add_error(
                "otp_token",
                f"Too many wrong codes. Wait {seconds} seconds, then enter the code showing now.",
            )
        else:
            form.add_error(
                "otp_token",
                "That code is not right. Codes change every 30 seconds: enter the one "
                "showing now, or one of your recovery codes.",
            )
    return render(request, "accounts/verify.html", {"form": form, "next": next_url})


@public_page
@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def setup_2fa_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_param(request)
    if not request.user.is_authenticated:
        return redirect(_with_next(reverse("accounts:login"), next_url))
    user: Any = request.user
    if totp_device_get_confirmed(user) is not None:
        # Already set up: changing it needs the old one first (not offered here).
        return redirect(next_step_url(request, next_url))
    device = totp_device_start(user=user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = totp_device_confirm(
            request=request, device=device, token=form.cleaned_data["otp_token"]
        )
        if codes is not None:
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            return redirect(_with_next(reverse("accounts:recovery_codes"), next_url))
        form.add_error(
            "otp_token",
            "That code is not right. Check the app shows Pistor with your email, and enter "
            "the six digits showing now.",
        )
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "secret": secret,
        # Groups of four are easier to type into a phone by hand.
        "secret_grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": qr_svg(device.config_url, label=f"QR code to add Pistor for {user.email}"),
        "required": otp_required_by_role(user),
    }
    return render(request, "accounts/setup_2fa.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(need_clinic=False)
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_param(request)
    user: Any = request.user
    if totp_device_get_confirmed(user) is None:
        return redirect(_with_next(reverse("accounts:setup_2fa"), next_url))
    if request.method == "POST":
        request.session[RECOVERY_CODES_SESSION_KEY] = recovery_codes_generate(user=user)
        return redirect(_with_next(reverse("accounts:recovery_codes"), next_url))
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    context = {
        "codes": codes,
        "remaining": recovery_codes_remaining(user),
        "next": next_url,
        "continue_url": _with_next(reverse("clinics:choose"), next_url),
    }
    return render(request, "accounts/recovery_codes.html", context)


@public_page
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        signout_record(request=request, user=request.user)
        logout(request)  # flushes the server-side session
        messages.info(request, "You have signed out.")
    return redirect("accounts:login")


# --- Invitations, own account, passwords ------------------------------------------------


@public_page
@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_view(request: HttpRequest, secret: str) -> HttpResponse:
    """Where an emailed invitation lands: choose a password (new account) and join."""
    try:
        invitation = invitation_get_open(secret=secret)
    except NotFound as exc:
        return render(
            request, "accounts/invitation_gone.html", {"message": exc.message}, status=404
        )
    needs_password = invitation_needs_password(invitation)
    form = InvitationAcceptForm(
        request.POST or None,
        needs_password=needs_password,
        initial={"full_name": invitation.full_name},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                invitation_accept(
                    secret=secret,
                    full_name=form.cleaned_data.get("full_name", ""),
                    password=form.cleaned_data.get("password1"),
                )
            except NotFound as exc:
                return render(
                    request, "accounts/invitation_gone.html", {"message": exc.message}, status=404
                )
            except ValidationFailed as error:
                for name, field_messages in error.fields.items():
                    target = "password1" if name == "password" else name
                    for message in field_messages:
                        form.add_error(target if target in form.fields else None, message)
            else:
                if request.user.is_authenticated:
                    # Someone else signed in on this browser: the new member signs in afresh.
                    logout(request)
                messages.success(
                    request,
                    f"You have joined {invitation.clinic.name}. Sign in with your email and "
                    "password.",
                )
                return redirect(
                    f"{reverse('accounts:login')}?{urlencode({'email': invitation.email})}"
                )
    context = {
        "form": form,
        "invitation": invitation,
        "needs_password": needs_password,
        "otp_required": invitation.role in {r.value for r in OTP_REQUIRED_ROLES},
    }
    return render(request, "accounts/invitation.html", context, status=status)


@never_cache
@require_GET
@staff_required(need_clinic=False)
def account_view(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own account: password, authenticator, recovery codes."""
    user: Any = request.user
    context = {
        "memberships": membership_list_for_user(user),
        "authenticator": totp_device_get_confirmed(user),
        "remaining": recovery_codes_remaining(user),
        "otp_required": otp_required_by_role(user),
    }
    return render(request, "accounts/account.html", context)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(need_clinic=False)
def password_change_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            password_change(
                request=request, user=user, new_password=form.cleaned_data["new_password1"]
            )
            messages.success(request, "Your password is changed. Your other sessions have ended.")
            return redirect("accounts:account")
        status = 422
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


@method_decorator(public_page, name="dispatch")
class PasswordResetRequestView(auth_views.PasswordResetView):
    """Ask for a reset link. The answer is the same whether the address is known or not."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")


@method_decorator(public_page, name="dispatch")
class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


@method_decorator(public_page, name="dispatch")
class PasswordResetSetView(auth_views.PasswordResetConfirmView):
    """The emailed link: Django's token is single-use (it is tied to the password hash)."""

    template_name = "accounts/password_reset_set.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_reset_record(request=self.request, user=form.user)
        return response


@method_decorator(public_page, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_done.html"
