"""What the pages and the API share about photographs over HTTP: reading an uploaded file
within the cap, and streaming a photograph's bytes."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponse

from pistor.core.errors import ValidationFailed
from pistor.photos.images import FIELD, photo_too_large
from pistor.photos.services import OpenedPhoto


def upload_read(upload: UploadedFile | None) -> bytes:
    """The uploaded file's bytes; refused by its size before it is read when too large."""
    if upload is None:
        message = "Choose a photograph to upload, or take one with the camera."
        raise ValidationFailed(message, fields={FIELD: [message]})
    max_bytes = settings.PISTOR_PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise photo_too_large(max_bytes)
    return upload.read(max_bytes + 1)


def photo_response(opened: OpenedPhoto, *, attachment: bool = False) -> HttpResponse:
    """Stream the file, never cached, never sniffed as anything but its image type."""
    response = FileResponse(
        opened.file,
        content_type=opened.content_type,
        as_attachment=attachment,
        filename=opened.filename,
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    # A streaming response, typed as the page views' HttpResponse for the access gate.
    return cast("HttpResponse", response)
