"""The atomic sign-in limiter that stands in front of the password check.

django-axes counts failures after they happen, so a burst of simultaneous wrong passwords
all pass its "is this pair locked?" check before the first failure is written. Here each
attempt first claims a slot for its (account name, address) pair with ONE conditional
UPDATE: the database serialises those statements on the row, so however many requests
arrive together, no more than ``AXES_FAILURE_LIMIT`` of them reach the password check
within a cool-off window. A successful sign-in frees the pair again.

On top of the pair, each account has an hourly ceiling on password checks from all
addresses together (``PISTOR_LOGIN_ACCOUNT_HOURLY_LIMIT``): twenty addresses can no longer
make eighty guesses a minute. So that a stranger who spends the ceiling cannot lock the real
user out, a browser the account has signed in from before carries a signed "known device"
cookie and is held only to its own pair's limit.

Behind a TLS proxy (``PISTOR_BEHIND_PROXY=1``) every request comes from the proxy's
address, so the client's address is read from ``X-Forwarded-For`` as the trusted proxy
writes it: the entry ``PISTOR_PROXY_HOPS`` from the right (1: the proxy in front of Pistor
appended it; 2: a CDN or load balancer in front of that proxy, and so on). Entries further
left were written by the client and are ignored: anyone can send that header.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Case, F, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pistor.accounts.models import LoginAttemptWindow


@dataclass(frozen=True)
class Claim:
    allowed: bool
    # When the pair may try again; only meaningful when not allowed.
    retry_at: datetime | None = None


def normalise_username(username: str) -> str:
    return username.strip().lower()


def failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def cooloff() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    if isinstance(value, timedelta):
        return value
    # axes also accepts a number of hours; mirror that reading.
    return timedelta(hours=float(value))


def pair_key(username: str, ip_address: str | None) -> str:
    """A keyed hash of the pair, so the table holds no email addresses or addresses."""
    message = f"{normalise_username(username)}\x00{ip_address or ''}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def client_address(request: HttpRequest) -> str | None:
    """The address the sign-in limits count against (django-axes calls this too)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not settings.PISTOR_BEHIND_PROXY:
        return remote
    hops = max(1, int(settings.PISTOR_PROXY_HOPS))
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [e for e in entries if e]
    if len(entries) < hops:
        # Not through the expected chain of proxies: count it against the sender.
        return remote
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def account_hourly_limit() -> int:
    return int(settings.PISTOR_LOGIN_ACCOUNT_HOURLY_LIMIT)


ACCOUNT_WINDOW = timedelta(hours=1)
KNOWN_DEVICE_COOKIE = "pistor_known_device"
KNOWN_DEVICE_MAX_AGE = 90 * 24 * 3600
_KNOWN_DEVICE_SALT = "pistor.accounts.known-device"


def _account_key(username: str) -> str:
    message = f"account\x00{normalise_username(username)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _known_device_token(username: str) -> str:
    return _account_key(username)[:32]


def is_known_device(request: HttpRequest, username: str) -> bool:
    """Whether this browser has signed in to the account before (its signed cookie)."""
    value = request.COOKIES.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return False
    try:
        token = signing.loads(value, salt=_KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_MAX_AGE)
    except signing.BadSignature:
        return False
    return hmac.compare_digest(str(token), _known_device_token(username))


def remember_device(response: HttpResponse, username: str) -> None:
    """After a successful sign-in: this browser is exempt from the account's ceiling."""
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(_known_device_token(username), salt=_KNOWN_DEVICE_SALT),
        max_age=KNOWN_DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _claim_window(key: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    expired_before = now - window
    LoginAttemptWindow.objects.get_or_create(
        key=key, defaults={"attempts": 0, "last_attempt_at": now}
    )
    return bool(
        LoginAttemptWindow.objects.filter(key=key)
        .filter(Q(last_attempt_at__lte=expired_before) | Q(attempts__lt=limit))
        .update(
            attempts=Case(
                When(last_attempt_at__lte=expired_before, then=Value(1)),
                default=F("attempts") + 1,
            ),
            last_attempt_at=now,
        )
    )


def claim(
    username: str,
    ip_address: str | None,
    *,
    now: datetime | None = None,
    known_device: bool = False,
) -> Claim:
    """Claim one password check for the pair (and, from an unknown browser, the account)."""
    now = now or timezone.now()
    pair = _claim_pair(username, ip_address, now=now)
    if not pair.allowed or known_device:
        return pair
    account = _account_key(username)
    if _claim_window(account, limit=account_hourly_limit(), window=ACCOUNT_WINDOW, now=now):
        return pair
    # The account's ceiling is spent: hand the pair's slot back, since no check happens.
    LoginAttemptWindow.objects.filter(key=pair_key(username, ip_address), attempts__gt=0).update(
        attempts=F("attempts") - 1
    )
    last = (
        LoginAttemptWindow.objects.filter(key=account)
        .values_list("last_attempt_at", flat=True)
        .first()
    )
    return Claim(allowed=False, retry_at=(last or now) + ACCOUNT_WINDOW)


def _claim_pair(username: str, ip_address: str | None, *, now: datetime) -> Claim:
    key = pair_key(username, ip_address)
    expired_before = now - cooloff()
    LoginAttemptWindow.objects.get_or_create(
        key=key, defaults={"attempts": 0, "last_attempt_at": now}
    )
    # One statement: either the window has cooled off (start again at 1) or there is a
    # free slot (add 1). The row lock taken by UPDATE makes concurrent claims queue, and
    # each re-reads the count the previous one wrote.
    claimed = (
        LoginAttemptWindow.objects.filter(key=key)
        .filter(Q(last_attempt_at__lte=expired_before) | Q(attempts__lt=failure_limit()))
        .update(
            attempts=Case(
                When(last_attempt_at__lte=expired_before, then=Value(1)),
                default=F("attempts") + 1,
            ),
            last_attempt_at=now,
        )
    )
    if claimed:
        return Claim(allowed=True)
    last = (
        LoginAttemptWindow.objects.filter(key=key).values_list("last_attempt_at", flat=True).first()
    )
    return Claim(allowed=False, retry_at=(last or now) + cooloff())


def reset(username: str, ip_address: str | None) -> None:
    """Free the pair after a successful sign-in."""
    LoginAttemptWindow.objects.filter(key=pair_key(username, ip_address)).delete()


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete windows that have cooled off (housekeeping; the limiter works without it)."""
    now = now or timezone.now()
    deleted, _ = LoginAttemptWindow.objects.filter(
        last_attempt_at__lte=now - max(cooloff(), ACCOUNT_WINDOW)
    ).delete()
    return deleted


def address_claim(scope: str, ip_address: str | None, *, limit: int, window: timedelta) -> bool:
    """Claim one request of ``scope`` (e.g. "online-booking") for an address: False once the
    address has made ``limit`` of them within ``window``. The same one-statement claim as the
    sign-in's; the key is a keyed hash, so the table holds no addresses."""
    message = f"scope\x00{scope}\x00{ip_address or ''}".encode()
    key = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return _claim_window(key, limit=limit, window=window, now=timezone.now())
