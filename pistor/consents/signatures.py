"""Signature images: a PNG data URL from the signature pad, checked before anything is stored."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image, UnidentifiedImageError

from pistor.consents.constants import SIGNATURE_MAX_BYTES, SIGNATURE_MAX_PIXELS
from pistor.core.errors import ValidationFailed

_PREFIX = "data:image/png;base64,"


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def signature_png_decode(data_url: str, *, field: str = "signature") -> bytes:
    """The PNG bytes of a signature pad's data URL; 422 unless it is a real PNG ≤ 1 MB.

    Checked by Pillow (not by the declared type), and the drawing must not be blank.
    """
    if not isinstance(data_url, str) or not data_url.strip():
        raise _refuse(field, "Please sign in the box before submitting.")
    data_url = data_url.strip()
    if not data_url.startswith(_PREFIX):
        raise _refuse(field, "The signature must be a PNG image from the signature pad.")
    encoded = data_url[len(_PREFIX) :]
    # Base64 is 4/3 of the size: refuse oversize input before decoding it.
    if len(encoded) > (SIGNATURE_MAX_BYTES * 4) // 3 + 4:
        raise _refuse(field, "The signature image is larger than 1 MB.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(field, "The signature could not be read; please sign again.") from None
    if len(data) > SIGNATURE_MAX_BYTES:
        raise _refuse(field, "The signature image is larger than 1 MB.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise _refuse(field, "The signature must be a PNG image.")
            width, height = image.size
            if width * height > SIGNATURE_MAX_PIXELS:
                raise _refuse(field, "The signature image is too large.")
            image.load()
            extrema = image.convert("L").getextrema() if image.mode != "RGBA" else None
            alpha = image.getchannel("A").getextrema() if image.mode == "RGBA" else None
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(field, "The signature is not a valid PNG image.") from None
    # A blank pad is not a signature: all pixels transparent, or all one shade.
    blank = (alpha is not None and alpha[1] == 0) or (
        extrema is not None and extrema[0] == extrema[1]
    )
    if blank:
        raise _refuse(field, "The signature box is empty; please sign before submitting.")
    return data


def png_data_url(data: bytes | memoryview | None) -> str:
    if not data:
        return ""
    return _PREFIX + base64.b64encode(bytes(data)).decode()
