"""Photographs over the API: upload (multipart), list, metadata, the authorised bytes,
attach to a session, withdraw, and the marketing export that the consent must allow.

Each operation declares its permission where it is routed; patients are fetched through
``pistor.patients.access``; writes go through ``pistor.photos.services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound, ValidationFailed
from pistor.core.pagination import MAX_OFFSET, MAX_PER_PAGE
from pistor.patients.access import patient_get_for_user
from pistor.photos import services
from pistor.photos.constants import PhotoView, Rendition
from pistor.photos.http import photo_response, upload_read
from pistor.photos.models import Photo
from pistor.photos.selectors import photo_count, photo_get, photo_list

router = Router(tags=["photos"])
_MAX_ID = 2**63 - 1

_BINARY = {"type": "string", "format": "binary"}


class PhotoOut(Schema):
    id: int
    patient_id: int
    session_id: int | None
    view: str
    view_label: str
    taken_at: dt.datetime
    consent_id: int
    note: str
    format: str
    width: int
    height: int
    sha256: str
    files: dict[str, str] = Field(description="Where to fetch each rendition (signed in).")


class PhotoPageOut(Schema):
    items: list[PhotoOut]
    count: int


class PhotoListQuery(Schema):
    view: PhotoView | None = None
    session_id: int | None = Field(None, ge=1, le=_MAX_ID)
    limit: int = Field(50, ge=1, le=MAX_PER_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PhotoFileQuery(Schema):
    rendition: Rendition = Rendition.DISPLAY


class PhotoWithdrawIn(InputSchema):
    reason: CleanStr = Field(..., min_length=1, max_length=2000)


class PhotoSessionIn(InputSchema):
    session_id: int = Field(..., ge=1, le=_MAX_ID)


def _out(photo: Photo) -> dict[str, Any]:
    base = f"/api/v1/photos/{photo.pk}/file?rendition="
    return {
        "id": photo.pk,
        "patient_id": photo.patient_id,
        "session_id": photo.session_id,
        "view": photo.view,
        "view_label": photo.get_view_display(),
        "taken_at": photo.taken_at,
        "consent_id": photo.consent_id,
        "note": photo.note,
        "format": photo.image_format,
        "width": photo.width,
        "height": photo.height,
        "sha256": photo.original_sha256,
        "files": {r: base + r for r in Rendition.values},
    }


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Any:
    if not 1 <= patient_id <= _MAX_ID:
        raise NotFound("No such patient at this clinic.")
    return patient_get_for_user(
        request_or_user=request, clinic=api_caller(request).clinic, pk=patient_id, action=action
    )


def _photo(request: HttpRequest, photo_id: int) -> Photo:
    return photo_get(clinic_id=api_caller(request).clinic.pk, pk=photo_id)


def _form_text(request: HttpRequest, name: str, limit: int = 2000) -> str:
    value = request.POST.get(name, "")
    if len(value) > limit:
        raise ValidationFailed(
            "Some details need correcting.", fields={name: [f"At most {limit} characters."]}
        )
    return value


def _taken_at(raw: str) -> dt.datetime | None:
    if not raw.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationFailed(
            "Some details need correcting.",
            fields={"taken_at": ["Give an ISO 8601 time with its offset, e.g. 2026-12-06T14:30Z."]},
        )
    return value


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "view"],
                    "properties": {
                        "file": {**_BINARY, "description": "A JPEG, PNG or WebP image."},
                        "view": {"type": "string", "enum": list(PhotoView.values)},
                        "session_id": {"type": "integer", "minimum": 1},
                        "taken_at": {"type": "string", "format": "date-time"},
                        "note": {"type": "string", "maxLength": 500},
                    },
                }
            }
        },
    }
}


@router.post(
    "/patients/{patient_id}/photos",
    response={201: PhotoOut, 413: dict[str, Any], **ERROR_RESPONSES},
    summary="Upload a photograph (multipart): checked by content, metadata removed",
    auth=allow(Action.PHOTO_RECORD, doing="take or upload photographs"),
    openapi_extra=_UPLOAD_BODY,
)
def upload_photo(request: HttpRequest, response: HttpResponse, patient_id: int) -> Any:
    # The patient first: another clinic's patient answers 404 whatever the body holds.
    patient = _patient(request, patient_id, Action.PHOTO_RECORD)
    data = upload_read(request.FILES.get("file"))
    session_raw = _form_text(request, "session_id", 30).strip()
    photo = services.photo_upload(
        clinic=api_caller(request).clinic,
        patient=patient,
        by=api_caller(request).user,
        data=data,
        view=_form_text(request, "view", 40),
        taken_at=_taken_at(_form_text(request, "taken_at", 60)),
        session_id=session_raw or None,
        note=_form_text(request, "note"),
    )
    response["Cache-Control"] = "no-store"
    return Status(201, _out(photo))


@router.get(
    "/patients/{patient_id}/photos",
    response={200: PhotoPageOut, **ERROR_RESPONSES},
    summary="A patient's photographs, newest first (filter by view or session)",
    auth=allow(Action.PHOTO_VIEW, doing="see photographs"),
)
def list_photos(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: int,
    filters: Query[PhotoListQuery],
) -> Any:
    patient = _patient(request, patient_id, Action.PHOTO_VIEW)
    kwargs: dict[str, Any] = {
        "clinic_id": patient.clinic_id,
        "patient_id": patient.pk,
        "view": filters.view.value if filters.view else None,
        "session_id": filters.session_id,
    }
    photos = photo_list(**kwargs, limit=filters.limit, offset=filters.offset)
    response["Cache-Control"] = "no-store"
    return {"items": [_out(p) for p in photos], "count": photo_count(**kwargs)}


@router.get(
    "/{photo_id}",
    response={200: PhotoOut, **ERROR_RESPONSES},
    summary="A photograph's details (not its bytes)",
    auth=allow(Action.PHOTO_VIEW, doing="see photographs"),
)
def get_photo(request: HttpRequest, response: HttpResponse, photo_id: int) -> Any:
    response["Cache-Control"] = "no-store"
    return _out(_photo(request, photo_id))


@router.get(
    "/{photo_id}/file",
    response=ERROR_RESPONSES,
    summary="The photograph's bytes (audited as photo.viewed)",
    auth=allow(Action.PHOTO_VIEW, doing="see photographs"),
    openapi_extra={
        "responses": {
            "200": {
                "description": "The image",
                "content": {
                    t: {"schema": _BINARY} for t in ("image/jpeg", "image/png", "image/webp")
                },
            }
        }
    },
)
def get_photo_file(request: HttpRequest, photo_id: int, query: Query[PhotoFileQuery]) -> Any:
    photo = _photo(request, photo_id)
    return photo_response(
        services.photo_open(photo=photo, by=api_caller(request).user, rendition=query.rendition)
    )


@router.post(
    "/{photo_id}/session",
    response={200: PhotoOut, **ERROR_RESPONSES},
    summary="Attach the photograph to a treatment session of the same patient",
    auth=allow(Action.PHOTO_RECORD, doing="file photographs"),
)
def attach_photo(
    request: HttpRequest, response: HttpResponse, photo_id: int, payload: PhotoSessionIn
) -> Any:
    photo = _photo(request, photo_id)
    photo = services.photo_session_set(
        photo=photo, by=api_caller(request).user, session_id=payload.session_id
    )
    response["Cache-Control"] = "no-store"
    return _out(photo)


@router.post(
    "/{photo_id}/withdraw",
    response={200: PhotoOut, **ERROR_RESPONSES},
    summary="Withdraw a photograph (its files are deleted; who, when and why are kept)",
    auth=allow(Action.PHOTO_RECORD, doing="withdraw photographs"),
)
def withdraw_photo(
    request: HttpRequest, response: HttpResponse, photo_id: int, payload: PhotoWithdrawIn
) -> Any:
    photo = services.photo_withdraw(
        photo=_photo(request, photo_id), by=api_caller(request).user, reason=payload.reason
    )
    response["Cache-Control"] = "no-store"
    return _out(photo)


@router.post(
    "/{photo_id}/export/marketing",
    response=ERROR_RESPONSES,
    summary="Export for the clinic's publicity: 409 unless the photograph consent allows it",
    auth=allow(Action.PHOTO_EXPORT, doing="export photographs"),
    openapi_extra={
        "responses": {
            "200": {"description": "JPEG", "content": {"image/jpeg": {"schema": _BINARY}}}
        }
    },
)
def export_photo(request: HttpRequest, photo_id: int) -> Any:
    photo = _photo(request, photo_id)
    opened = services.photo_export_for_marketing(photo=photo, by=api_caller(request).user)
    return photo_response(opened, attachment=True)
