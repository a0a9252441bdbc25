"""Fixed values of photographs: the standard views, which views suit which area, sizes."""

from __future__ import annotations

from django.db import models


class PhotoView(models.TextChoices):
    """The standard views a clinic repeats at every visit, so that two photographs of the
    same view can be compared (same framing, same angle)."""

    FACE_FRONT = "face-front", "Face, front"
    FACE_45_LEFT = "face-45-left", "Face, 45° left"
    FACE_45_RIGHT = "face-45-right", "Face, 45° right"
    FACE_PROFILE_LEFT = "face-profile-left", "Face, left profile"
    FACE_PROFILE_RIGHT = "face-profile-right", "Face, right profile"
    NECK_FRONT = "neck-front", "Neck and décolleté, front"
    HANDS_BACK = "hands-back", "Backs of the hands"
    THIGHS_FRONT = "thighs-front", "Thighs, front"
    THIGHS_BACK = "thighs-back", "Thighs, back"
    BUTTOCKS = "buttocks", "Buttocks"
    ABDOMEN_FRONT = "abdomen-front", "Abdomen, front"
    ABDOMEN_PROFILE = "abdomen-profile", "Abdomen, side"
    SCALP_TOP = "scalp-top", "Scalp, top"
    SCALP_VERTEX = "scalp-vertex", "Scalp, vertex"
    OTHER = "other", "Other (describe in the note)"


# The views to take for each of the catalog's usual areas (an indication's usual_areas).
# A photographic convention, not a clinical fact: an area without an entry offers every view.
AREA_VIEWS: dict[str, tuple[PhotoView, ...]] = {
    "face": (
        PhotoView.FACE_FRONT,
        PhotoView.FACE_45_LEFT,
        PhotoView.FACE_45_RIGHT,
        PhotoView.FACE_PROFILE_LEFT,
        PhotoView.FACE_PROFILE_RIGHT,
    ),
    "submental": (
        PhotoView.FACE_FRONT,
        PhotoView.FACE_PROFILE_LEFT,
        PhotoView.FACE_PROFILE_RIGHT,
    ),
    "neck": (PhotoView.NECK_FRONT, PhotoView.FACE_PROFILE_LEFT, PhotoView.FACE_PROFILE_RIGHT),
    "decollete": (PhotoView.NECK_FRONT,),
    "hands": (PhotoView.HANDS_BACK,),
    "thighs": (PhotoView.THIGHS_FRONT, PhotoView.THIGHS_BACK),
    "hips": (PhotoView.THIGHS_FRONT, PhotoView.THIGHS_BACK, PhotoView.BUTTOCKS),
    "buttocks": (PhotoView.BUTTOCKS,),
    "abdomen": (PhotoView.ABDOMEN_FRONT, PhotoView.ABDOMEN_PROFILE),
    "scalp": (PhotoView.SCALP_TOP, PhotoView.SCALP_VERTEX),
}


class Rendition(models.TextChoices):
    """The files kept for each photograph, made once at upload."""

    ORIGINAL = "original", "Original (metadata removed)"
    DISPLAY = "display", "Screen size"
    THUMB = "thumb", "Thumbnail"


# Longest side of each web rendition, in pixels.
DISPLAY_PX = 1600
THUMB_PX = 320

# Formats accepted, as Pillow names them, with the content type each is served as.
FORMATS: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS: dict[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}

NOTE_MAX = 500
WITHDRAW_REASON_MAX = 2000
