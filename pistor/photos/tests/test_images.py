"""The upload's checks and cleaning, on bytes: content not name, size, pixels, truncation,
and no metadata left in anything kept."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from pistor.core.errors import ValidationFailed
from pistor.photos.images import photo_clean
from pistor.photos.tests.factories import image_bytes

MB = 1024 * 1024


def clean(data: bytes, *, max_bytes: int = 15 * MB, max_pixels: int = 50_000_000):
    return photo_clean(data, max_bytes=max_bytes, max_pixels=max_pixels)


def jpeg_with_gps(*, orientation: int = 1) -> bytes:
    image = Image.new("RGB", (64, 48), (180, 90, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 0.0)
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-place</x:xmpmeta>'
    image.save(out, format="JPEG", exif=exif, comment=b"patient name", xmp=xmp)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height but carries almost no data: a bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def metadata_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return {
            "exif": dict(image.getexif()),
            "info": {k: v for k, v in image.info.items() if k not in ("jfif", "jfif_version",
                     "jfif_unit", "jfif_density", "dpi", "progressive", "progression")},
            "applist": getattr(image, "applist", []),
        }  # fmt: skip


def test_a_jpeg_with_gps_exif_comes_back_with_no_metadata_in_any_rendition():
    data = jpeg_with_gps()
    assert b"PhoneMaker" in data and b"secret-place" in data  # the test image really has them
    result = clean(data)
    for encoded in (result.original, result.display, result.thumb):
        meta = metadata_of(encoded)
        assert meta["exif"] == {}
        assert meta["info"] == {}
        assert [m for m, _ in meta["applist"]] in ([], ["APP0"])  # JFIF header only
        assert b"PhoneMaker" not in encoded and b"secret-place" not in encoded
        assert b"patient name" not in encoded
    assert result.image_format == "JPEG"


def test_the_exif_orientation_is_applied_before_the_metadata_goes():
    result = clean(jpeg_with_gps(orientation=6))  # "rotate 90° clockwise to view"
    assert (result.width, result.height) == (48, 64)


def test_renditions_are_made_to_their_sizes():
    result = clean(image_bytes(size=(4000, 3000)))
    with Image.open(io.BytesIO(result.display)) as display:
        assert max(display.size) == 1600
    with Image.open(io.BytesIO(result.thumb)) as thumb:
        assert max(thumb.size) == 320
    assert (result.width, result.height) == (4000, 3000)


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_kept_in_their_format(image_format):
    result = clean(image_bytes(image_format=image_format))
    assert result.image_format == image_format
    with Image.open(io.BytesIO(result.original)) as original:
        assert original.format == image_format


def test_a_transparent_png_is_flattened_onto_white():
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    with Image.open(io.BytesIO(clean(out.getvalue()).original)) as kept:
        assert kept.mode == "RGB" and kept.getpixel((5, 5)) == (255, 255, 255)


def _message(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    assert set(exc.value.fields) == {"file"}
    return exc.value.message


def test_a_php_script_renamed_jpg_is_refused_by_its_content():
    with pytest.raises(ValidationFailed) as exc:
        clean(b"<?php system($_GET['c']); ?>\n")
    assert "not a photograph" in _message(exc) and "JPEG, PNG or WebP" in _message(exc)


@pytest.mark.parametrize(
    "data",
    [
        image_bytes(image_format="GIF"),
        image_bytes(image_format="BMP"),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        b"GIF89a" + b"\x00" * 40,
    ],
    ids=["gif", "bmp", "pdf", "fake-gif"],
)
def test_other_formats_are_refused(data):
    with pytest.raises(ValidationFailed) as exc:
        clean(data)
    assert "JPEG, PNG or WebP" in _message(exc)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_image_is_refused(image_format):
    data = image_bytes(size=(400, 300), image_format=image_format)
    with pytest.raises(ValidationFailed) as exc:
        clean(data[: len(data) // 2])
    assert "incomplete or damaged" in _message(exc)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_image_is_refused_after_a_pdf_library_relaxed_pillow(image_format, monkeypatch):
    from PIL import ImageFile

    # What ``import weasyprint`` does to the whole process (weasyprint/images.py).
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = image_bytes(size=(400, 300), image_format=image_format)
    with pytest.raises(ValidationFailed) as exc:
        clean(data[: len(data) // 2])
    assert "incomplete or damaged" in _message(exc)


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        clean(b"")
    assert "empty" in _message(exc)


def test_a_file_over_the_size_cap_is_refused_before_it_is_decoded():
    with pytest.raises(ValidationFailed) as exc:
        clean(b"\xff\xd8\xff" + b"\x00" * (2 * MB), max_bytes=1 * MB)
    assert "larger than 1 MB" in _message(exc)


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = png_header_only(30_000, 30_000)
    assert len(bomb) < 2000
    with pytest.raises(ValidationFailed) as exc:
        clean(bomb)
    assert "too many pixels" in _message(exc)


def test_pillows_own_bomb_limit_is_a_refusal_too():
    # Our cap raised out of the way: Pillow's DecompressionBombError must still refuse.
    with pytest.raises(ValidationFailed) as exc:
        clean(png_header_only(30_000, 30_000), max_pixels=10**12)
    assert "decompression bomb" in _message(exc)


def test_pillows_bomb_warning_is_a_refusal_too():
    # Between Pillow's two limits it only warns: here that is a refusal, not a decode.
    side = int((Image.MAX_IMAGE_PIXELS or 0) ** 0.5) + 100
    with pytest.raises(ValidationFailed) as exc:
        clean(png_header_only(side, side), max_pixels=10**12)
    assert "decompression bomb" in _message(exc)
