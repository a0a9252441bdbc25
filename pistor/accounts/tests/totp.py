"""A small RFC 6238 (TOTP) implementation for tests: what a phone app computes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def totp_code(secret_b32: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    secret = "".join(secret_b32.split()).upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def code_for_device(device, *, at: float | None = None) -> str:
    """The current code for a django-otp TOTPDevice."""
    return totp_code(base64.b32encode(device.bin_key).decode(), at=at, step=device.step)
