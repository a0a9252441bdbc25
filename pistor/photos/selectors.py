"""Reading photographs: one, a patient's list, the consent they rest on, comparisons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from pistor.consents.constants import ConsentKind, PhotoUse
from pistor.consents.models import Consent
from pistor.core.errors import NotFound
from pistor.photos.constants import AREA_VIEWS, PhotoView
from pistor.photos.models import Photo
from pistor.records.selectors import record_withdrawals_map

_MAX_ID = 2**63 - 1
# The most photographs one list shows; a patient's course is a few dozen.
LIST_LIMIT = 500


def photo_get(*, clinic_id: int, pk: int, include_withdrawn: bool = False) -> Photo:
    """One photograph of the clinic; another clinic's (or a withdrawn one, unless asked)
    answers NotFound exactly like a missing one. One query."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such photograph.") from None
    if not 0 < pk <= _MAX_ID:
        raise NotFound("No such photograph.")
    rows = Photo.objects.for_clinic(clinic_id).select_related("clinic").filter(pk=pk)
    if not include_withdrawn:
        rows = rows.filter(withdrawn_at__isnull=True)
    photo = rows.first()
    if photo is None:
        raise NotFound("No such photograph.")
    return photo


def _patient_photos(
    *, clinic_id: int, patient_id: int, view: str | None, session_id: int | None
) -> QuerySet[Photo]:
    rows = Photo.objects.for_clinic(clinic_id).filter(
        patient_id=patient_id, withdrawn_at__isnull=True
    )
    if view:
        rows = rows.filter(view=view)
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    return rows


def photo_list(
    *,
    clinic_id: int,
    patient_id: int,
    view: str | None = None,
    session_id: int | None = None,
    limit: int = LIST_LIMIT,
    offset: int = 0,
) -> list[Photo]:
    """A patient's photographs in force, newest first, with their sessions: one query."""
    rows = (
        _patient_photos(
            clinic_id=clinic_id, patient_id=patient_id, view=view, session_id=session_id
        )
        .select_related("session")
        .order_by("-taken_at", "-pk")
    )
    return list(rows[offset : offset + limit])


def photo_count(
    *, clinic_id: int, patient_id: int, view: str | None = None, session_id: int | None = None
) -> int:
    return _patient_photos(
        clinic_id=clinic_id, patient_id=patient_id, view=view, session_id=session_id
    ).count()


def photo_previous(*, clinic_id: int, patient_id: int, view: str) -> Photo | None:
    """The latest photograph of this view: the ghost that guides the next shot."""
    return (
        Photo.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id, view=view, withdrawn_at__isnull=True)
        .order_by("-taken_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class PhotoConsent:
    """The photograph consent in force for a patient and the uses it allows."""

    consent: Consent
    uses: frozenset[str]

    def allows(self, use: str) -> bool:
        return use in self.uses


def photo_consent_in_force(*, clinic_id: int, patient_id: int) -> PhotoConsent | None:
    """The newest signed, not withdrawn photograph consent of the patient, or None. Two
    queries. What a photograph may be used for is read from it at the time of use, so a
    withdrawn consent stops a use at once."""
    candidates = list(
        Consent.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id, kind=ConsentKind.PHOTOGRAPHS, status="signed")
        .only("pk", "clinic_id", "patient_id", "photo_uses", "signed_at", "kind", "status")
        .order_by("-signed_at", "-pk")[:20]
    )
    withdrawals = record_withdrawals_map(
        clinic_id=clinic_id,
        record_type=Consent._meta.label_lower,
        record_ids=[c.pk for c in candidates],
    )
    for consent in candidates:
        if consent.pk not in withdrawals:
            return PhotoConsent(consent=consent, uses=frozenset(consent.photo_uses))
    return None


def photo_uses_label(uses: Iterable[str]) -> list[str]:
    return [str(PhotoUse(u).label) for u in PhotoUse.values if u in set(uses)]


def views_for_areas(areas: Iterable[str]) -> list[PhotoView]:
    """The standard views for these catalog areas, in a stable order; every view when
    none of the areas has its own list."""
    chosen: list[PhotoView] = []
    for area in areas:
        for view in AREA_VIEWS.get(area, ()):
            if view not in chosen:
                chosen.append(view)
    return chosen or list(PhotoView)


@dataclass(frozen=True)
class ViewGroup:
    view: PhotoView
    photos: list[Photo]


def photos_by_view(photos: list[Photo]) -> list[ViewGroup]:
    """Photographs grouped by view in the catalog's order, oldest first in each group."""
    groups: dict[str, list[Photo]] = {}
    for photo in photos:
        groups.setdefault(photo.view, []).append(photo)
    return [
        ViewGroup(view=view, photos=sorted(groups[view], key=lambda p: (p.taken_at, p.pk)))
        for view in PhotoView
        if view in groups
    ]
