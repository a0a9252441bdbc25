"""RFC 6238 time-based one-time codes, as an authenticator app computes them.

Written out here (rather than borrowed from django-otp) so the journey proves that a code
made the way a phone makes it gets a person in.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import time


def totp(key: bytes, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)
