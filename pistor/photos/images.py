"""Checking and cleaning an uploaded photograph, before anything is stored.

The file is judged by its content, not its name or declared type: Pillow must recognise it
as JPEG, PNG or WebP. Its size is capped, its pixel count is capped from the header (a
decompression bomb is refused before its pixels are decoded), and it is decoded in full (a
truncated file is refused). The EXIF orientation is applied, then the pixels are copied
into a new image and re-encoded: nothing of the file's metadata (EXIF with GPS, XMP,
comments, ICC profile) survives. The web renditions are made from the same clean pixels.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from pistor.core.errors import ValidationFailed
from pistor.photos.constants import DISPLAY_PX, EXTENSIONS, FORMATS, THUMB_PX

FIELD = "file"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={FIELD: [message]})


@dataclass(frozen=True)
class CleanPhoto:
    """The three encodings to store, all without metadata."""

    image_format: str  # "JPEG", "PNG" or "WEBP": the original's format
    width: int
    height: int
    original: bytes
    display: bytes
    thumb: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.image_format]

    @property
    def content_type(self) -> str:
        return FORMATS[self.image_format]

    @property
    def original_sha256(self) -> str:
        return hashlib.sha256(self.original).hexdigest()


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def _rendition(image: Image.Image, longest: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return _encode(copy, "JPEG", quality=85, optimize=True)


def photo_too_large(max_bytes: int) -> ValidationFailed:
    return _refuse(
        f"The photograph is larger than {max_bytes // (1024 * 1024)} MB. "
        "Take it again at a lower resolution, or export a smaller copy."
    )


def photo_clean(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanPhoto:
    """The photograph's clean encodings; ``ValidationFailed`` (on ``file``) with a message
    a person can act on when it is not an acceptable image."""
    if not data:
        raise _refuse("Choose a photograph to upload: the file is empty.")
    if len(data) > max_bytes:
        raise photo_too_large(max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits: here a warning is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise _refuse(
                    f"The photograph has too many pixels ({width} × {height}); at most "
                    f"{max_pixels // 1_000_000} megapixels are accepted. It may be a "
                    "decompression bomb, or a camera setting far above what is needed."
                )
            image_format = str(image.format)
            # WeasyPrint, once imported for any PDF, switches Pillow to padding truncated
            # files with grey for the whole process; a photograph must be whole, so the
            # switch is put back before every decode (nothing sets it again after import).
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            image.load()  # decode every pixel: a truncated or damaged file fails here
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                # Transparency is flattened onto white: clinical photographs are opaque.
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                image = flat
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            "The photograph has too many pixels to be decoded safely (a decompression bomb)."
        ) from None
    except UnidentifiedImageError:
        raise _refuse(
            "This file is not a photograph Pistor accepts: send a JPEG, PNG or WebP image."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(
            "The photograph is incomplete or damaged and could not be read. Upload it again."
        ) from None

    # A new image holding only the pixels: no EXIF (GPS included), XMP, comment or profile.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    clean.info = {}
    if image_format == "JPEG":
        original = _encode(clean, "JPEG", quality=95)
    elif image_format == "PNG":
        original = _encode(clean, "PNG")
    else:
        original = _encode(clean, "WEBP", quality=95)
    display_source = clean if clean.mode == "RGB" else clean.convert("RGB")
    return CleanPhoto(
        image_format=image_format,
        width=clean.width,
        height=clean.height,
        original=original,
        display=_rendition(display_source, DISPLAY_PX),
        thumb=_rendition(display_source, THUMB_PX),
    )
