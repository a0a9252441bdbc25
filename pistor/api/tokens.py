"""Generating and hashing API token secrets."""

from __future__ import annotations

import hashlib
import math
import secrets
import string

from django.conf import settings

# Letters and digits only: a token never starts with '-' (which a shell command would read
# as an option) and survives copy-paste, URLs and headers unchanged.
_ALPHABET = string.ascii_letters + string.digits
PREFIX_LENGTH = 8
# Anything longer is not one of ours; refusing it early avoids hashing megabytes per request.
MAX_TOKEN_LENGTH = 200


def token_generate() -> str:
    """A new random secret carrying at least ``PISTOR_API_TOKEN_BYTES`` bytes of entropy."""
    length = math.ceil(settings.PISTOR_API_TOKEN_BYTES * 8 / math.log2(len(_ALPHABET)))
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def token_hash(raw_token: str) -> str:
    # A fast hash is right here: the secret has 256 random bits, so there is nothing to
    # brute-force, unlike a password.
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()


def token_prefix(raw_token: str) -> str:
    return raw_token[:PREFIX_LENGTH]
