"""Reads of API tokens: by prefix for staff and the command line, by secret for requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pistor.api.models import ApiToken
from pistor.api.tokens import MAX_TOKEN_LENGTH, token_hash
from pistor.clinics.models import Clinic, Membership


@dataclass(frozen=True)
class TokenIdentity:
    """Who a valid token acts as: the token, its user and their membership of its clinic."""

    token: ApiToken
    membership: Membership

    @property
    def user(self) -> Any:
        return self.membership.user

    @property
    def clinic(self) -> Clinic:
        return self.membership.clinic


def api_token_identify(raw_token: str) -> TokenIdentity | None:
    """The identity a presented secret grants, or None if it grants nothing.

    A token grants nothing once revoked, nor when its user, clinic or membership has been
    deactivated: deactivating a member of staff must cut off their programs too. Two
    queries whatever happens.
    """
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH:
        return None
    # Looked up across clinics on purpose: the clinic is what the token tells us.
    token = (
        ApiToken.objects.filter(secret_hash=token_hash(raw_token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    membership = (
        Membership.objects.filter(
            user_id=token.user_id,
            clinic_id=token.clinic_id,
            is_active=True,
            clinic__is_active=True,
        )
        .select_related("clinic", "user")
        .first()
    )
    if membership is None:
        return None
    return TokenIdentity(token=token, membership=membership)


def api_token_get_by_prefix(prefix: str) -> ApiToken | None:
    return ApiToken.objects.filter(prefix=prefix).select_related("user", "clinic").first()


def api_token_list(*, user: Any = None, clinic: Clinic | None = None) -> list[ApiToken]:
    qs = ApiToken.objects.select_related("user", "clinic").order_by("-created_at")
    if clinic is not None:
        qs = qs.for_clinic(clinic)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs)
