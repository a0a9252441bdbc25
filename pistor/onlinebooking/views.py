"""The clinic's public booking page, the patient's cancel-or-move page, and the manager's
settings page.

The public pages need no sign-in (``@public_page``); each request first claims a slot of
its address's allowance (the sign-in limiter's, behind a proxy too) and is answered 429
with a page saying so when the allowance is spent. A submission must come from a person:
an empty hidden field and a few seconds between showing the form and sending it.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from pistor.accounts import limiter
from pistor.accounts.access import public_page, staff_required
from pistor.clinics.permissions import Action
from pistor.core import clock
from pistor.core.errors import ApplicationError, NotFound, ValidationFailed
from pistor.core.forms import errors_beside_fields
from pistor.onlinebooking import constants as C
from pistor.onlinebooking import selectors as sel
from pistor.onlinebooking import services as svc
from pistor.onlinebooking.forms import BookingForm, BookingSettingsForm, parse_start
from pistor.scheduling import selectors as sched

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, f"PISTOR_ONLINE_BOOKING_{name}", default)


def _over_limit(request: HttpRequest, scope: str) -> HttpResponse | None:
    """A 429 page when the address has spent its allowance for ``scope``."""
    limit = (
        _setting("SUBMITS_PER_WINDOW", C.SUBMITS_PER_WINDOW)
        if scope == "submit"
        else _setting("VIEWS_PER_WINDOW", C.VIEWS_PER_WINDOW)
    )
    window = C.RATE_WINDOW
    address = limiter.client_address(request)
    if limiter.address_claim(f"online-booking-{scope}", address, limit=limit, window=window):
        return None
    minutes = int(window.total_seconds() // 60)
    response = render(request, "onlinebooking/too_many.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(window.total_seconds()))
    return response


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "onlinebooking/not_found.html", {"message": message}, status=404)


def _slot_days(slots: list[Any], clinic: Clinic) -> list[tuple[dt.date, list[dt.datetime]]]:
    tz = sched.clinic_tz(clinic)
    days: OrderedDict[dt.date, list[dt.datetime]] = OrderedDict()
    for slot in slots:
        local = slot.start.astimezone(tz)
        days.setdefault(local.date(), []).append(local)
    return list(days.items())


def _weeks(
    request: HttpRequest, clinic: Clinic, conf: Any, now: dt.datetime
) -> dict[str, dt.date | None]:
    """The week of free times to show (``?from=``), and the weeks before and after it."""
    tz = sched.clinic_tz(clinic)
    first = (now + dt.timedelta(hours=conf.min_notice_hours)).astimezone(tz).date()
    last = (now + dt.timedelta(days=conf.days_ahead)).astimezone(tz).date()
    try:
        wanted = dt.date.fromisoformat(request.GET.get("from", "")[:10])
    except ValueError:
        wanted = first
    week_of = min(max(wanted, first), last)
    week = dt.timedelta(days=7)
    return {
        "week_of": week_of,
        "prev_week": max(week_of - week, first) if week_of > first else None,
        "next_week": week_of + week if week_of + week <= last else None,
    }


def _human_check(form: BookingForm, now: dt.datetime) -> str | None:
    """Why this submission looks automated, or None."""
    if form.cleaned_data.get("website"):
        return "Your booking could not be sent. Please try again."
    age = svc.form_age(form.cleaned_data.get("shown") or "", now=now)
    if age is None or age > C.MAX_FORM_AGE:
        return "This form has expired. Please choose your time again."
    if age < dt.timedelta(seconds=_setting("MIN_FILL_SECONDS", C.MIN_FILL_SECONDS)):
        return "That was sent very quickly. Please check your details and send them again."
    return None


@never_cache
@public_page
@require_http_methods(["GET", "POST"])
def book_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose a visit type, then a free time, then give your details."""
    limited = _over_limit(request, "submit" if request.method == "POST" else "view")
    if limited:
        return limited
    try:
        clinic, conf = sel.booking_clinic_get(slug=slug)
    except NotFound as exc:
        return _not_found(request, exc.message)
    now = clock.now()
    types = sel.bookable_types(clinic=clinic)
    context: dict[str, Any] = {"clinic": clinic, "conf": conf, "types": types}
    code = (request.POST if request.method == "POST" else request.GET).get("type", "")
    chosen = next((t for t in types if t.code == code), None)
    if code and chosen is None:
        return _not_found(request, "The clinic does not offer that visit online.")
    context["chosen"] = chosen
    if chosen is None:
        return render(request, "onlinebooking/book.html", context)

    if request.method == "POST":
        form = BookingForm(request.POST)
        status = 422
        if form.is_valid():
            refusal = _human_check(form, now)
            if refusal:
                form.add_error(None, refusal)
                status = 400
            else:
                data = form.cleaned_data
                details = svc.BookingDetails(
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    date_of_birth=data["date_of_birth"],
                    email=data["email"],
                    phone=data["phone"],
                )
                try:
                    booking = svc.public_booking_make(
                        clinic=clinic,
                        appointment_type=chosen,
                        starts_at=data["start"],
                        details=details,
                        now=now,
                        build_url=request.build_absolute_uri,
                    )
                except ValidationFailed as exc:
                    errors_beside_fields(form, exc.fields)
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                    status = exc.status
                else:
                    return render(
                        request,
                        "onlinebooking/booked.html",
                        {
                            "clinic": clinic,
                            "chosen": chosen,
                            "when": sel.when_text(booking.appointment, clinic),
                            "email": data["email"],
                        },
                    )
        start = parse_start(request.POST.get("start", ""))
        # A fresh "shown" time: the corrected form is timed from now.
        again = request.POST.copy()
        again["shown"] = svc.form_token(now=now)
        form.data = again
        context.update(form=form, start=start and start.astimezone(sched.clinic_tz(clinic)))
        return render(request, "onlinebooking/book.html", context, status=status)

    start = parse_start(request.GET.get("start", ""))
    if start is not None:
        form = BookingForm(
            initial={
                "type": chosen.code,
                "start": start.isoformat(),
                "shown": svc.form_token(now=now),
            }
        )
        context.update(form=form, start=start.astimezone(sched.clinic_tz(clinic)))
        return render(request, "onlinebooking/book.html", context)
    weeks = _weeks(request, clinic, conf, now)
    slots = sel.public_slots(
        clinic=clinic, conf=conf, appointment_type=chosen, now=now, week_of=weeks["week_of"]
    )
    context.update(weeks, days=_slot_days(slots, clinic))
    return render(request, "onlinebooking/book.html", context)


@never_cache
@public_page
@require_http_methods(["GET", "POST"])
def manage_view(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: see the visit, cancel it or move it within the clinic's policy."""
    limited = _over_limit(request, "submit" if request.method == "POST" else "view")
    if limited:
        return limited
    try:
        booking = sel.booking_from_token(token)
    except NotFound as exc:
        return _not_found(request, exc.message)
    now = clock.now()
    message, status, done = "", 200, ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "cancel":
                booking = svc.public_booking_cancel(token=token, now=now)
                done = "Your appointment is cancelled."
            elif action == "move":
                start = parse_start(request.POST.get("start", ""))
                if start is None:
                    raise ValidationFailed(
                        "Choose one of the times listed.",
                        fields={"start": ["Choose one of the times listed."]},
                    )
                booking = svc.public_booking_move(
                    token=token, starts_at=start, now=now, build_url=request.build_absolute_uri
                )
                done = "Your appointment has moved. We have emailed you the new time."
            else:
                raise ValidationFailed("Choose to cancel or to move.", fields={})
        except ApplicationError as exc:
            message, status = exc.message, exc.status
    clinic = booking.clinic
    conf = sel.booking_settings_get(clinic=clinic)
    refusal = sel.change_refusal(booking=booking, conf=conf, now=now)
    days: list[Any] = []
    weeks: dict[str, Any] = {}
    if refusal is None and request.GET.get("move"):
        weeks = _weeks(request, clinic, conf, now)
        slots = sel.public_slots(
            clinic=clinic,
            conf=conf,
            appointment_type=booking.appointment.appointment_type,
            now=now,
            exclude_appointment_id=booking.appointment_id,
            week_of=weeks["week_of"],
        )
        days = _slot_days(slots, clinic)
    context = {
        "clinic": clinic,
        "booking": booking,
        "appointment": booking.appointment,
        "when": sel.when_text(booking.appointment, clinic),
        "refusal": refusal,
        "message": message,
        "done": done,
        "days": days,
        "token": token,
        "conf": conf,
        **weeks,
    }
    return render(request, "onlinebooking/manage.html", context, status=status)


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]


@never_cache
@staff_required(Action.SCHEDULE_MANAGE)
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """Managers turn the public page on or off, choose the types it offers, and check the
    registrations the page flagged."""
    clinic = _clinic(request)
    conf = sel.booking_settings_get(clinic=clinic)
    types = sched.appointment_type_list(clinic=clinic)
    choices = [(t.pk, t.name) for t in types]
    initial = {
        "enabled": conf.enabled,
        "days_ahead": conf.days_ahead,
        "min_notice_hours": conf.min_notice_hours,
        "change_cutoff_hours": conf.change_cutoff_hours,
        "types": [t.pk for t in types if t.online_bookable],
    }
    status = 200
    if request.method == "POST":
        form = BookingSettingsForm(request.POST, type_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.booking_settings_update(
                    clinic=clinic,
                    actor=request.user,
                    enabled=data["enabled"],
                    days_ahead=data["days_ahead"],
                    min_notice_hours=data["min_notice_hours"],
                    change_cutoff_hours=data["change_cutoff_hours"],
                    bookable_type_ids=data["types"],
                )
            except ValidationFailed as exc:
                errors_beside_fields(form, exc.fields)
            else:
                messages.success(request, "Online booking settings saved.")
                return redirect("onlinebooking:settings")
        status = 422
    else:
        form = BookingSettingsForm(initial=initial, type_choices=choices)
    context = {
        "form": form,
        "conf": conf,
        "clinic": clinic,
        "public_url": request.build_absolute_uri(f"/book/{clinic.slug}/"),
        "to_review": len(sel.review_list(clinic=clinic)),
    }
    return render(request, "onlinebooking/settings.html", context, status=status)


@never_cache
@staff_required(Action.PATIENT_EDIT)
@require_http_methods(["GET", "POST"])
def review_view(request: HttpRequest) -> HttpResponse:
    """Registrations the public page flagged (an email or a name and birth date that match
    another record): reception checks whether it is the same person, then marks it."""
    clinic = _clinic(request)
    if request.method == "POST":
        try:
            booking_id = int(request.POST.get("booking", ""))
            svc.booking_review_done(
                clinic=clinic, actor=request.user, booking_id=booking_id, now=clock.now()
            )
        except (ValueError, OverflowError, NotFound):
            messages.error(request, "No such registration to check.")
        else:
            messages.success(request, "Marked as checked.")
        return redirect("onlinebooking:review")
    context = {"to_review": sel.review_list(clinic=clinic)}
    return render(request, "onlinebooking/review.html", context)
