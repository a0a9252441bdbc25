"""Writing photographs: upload (checked, cleaned, stored once), withdraw, open, export.

Every write is audited; an upload that fails at any step leaves no file and no row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.consents.constants import PhotoUse
from pistor.core import clock
from pistor.core.errors import Conflict, NotFound, ValidationFailed
from pistor.photos.constants import NOTE_MAX, WITHDRAW_REASON_MAX, PhotoView, Rendition
from pistor.photos.images import photo_clean
from pistor.photos.models import Photo
from pistor.photos.selectors import photo_consent_in_force
from pistor.photos.storage import photo_storage
from pistor.treatments.models import TreatmentSession

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient

_MAX_ID = 2**63 - 1
# A camera's clock may run a little ahead of the server's.
_FUTURE_SLACK = dt.timedelta(minutes=10)
_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _session_of_patient(*, clinic: Clinic, patient_id: int, session_id: Any) -> TreatmentSession:
    try:
        pk = int(str(session_id).strip())
    except (TypeError, ValueError):
        raise _fail("session_id", "Choose a treatment session of this patient.") from None
    session = (
        TreatmentSession.objects.for_clinic(clinic).filter(pk=pk).first()
        if 0 < pk <= _MAX_ID
        else None
    )
    if session is None:
        raise _fail("session_id", "There is no such treatment session at this clinic.")
    if session.patient_id != patient_id:
        raise _fail(
            "session_id",
            "That treatment session is another patient's: a photograph can only be "
            "attached to a session of the patient it shows.",
        )
    return session


def photo_upload(
    *,
    clinic: Clinic,
    patient: Patient,
    by: User,
    data: bytes,
    view: str,
    taken_at: dt.datetime | None = None,
    session_id: int | str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Photo:
    """Check, clean and store one photograph with its two web renditions.

    Refused unless the patient has a photograph consent in force that allows clinical
    record use; the photograph names that consent. Nothing is stored unless everything
    succeeds: files written before a failure are removed.
    """
    now = now or clock.now()
    if patient.clinic_id != clinic.pk:
        raise _fail("patient", "This patient is not registered at this clinic.")
    if view not in PhotoView.values:
        raise _fail("view", "Choose one of the standard views.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise _fail("note", f"Keep the note to {NOTE_MAX} characters.")
    if "\x00" in note:
        raise _fail("note", "The note contains a character that cannot be stored.")
    taken_at = taken_at or now
    if taken_at.tzinfo is None:
        raise _fail("taken_at", "Give the time the photograph was taken with its time zone.")
    if taken_at < _EARLIEST:
        raise _fail("taken_at", "Give the date the photograph was really taken.")
    if taken_at > now + _FUTURE_SLACK:
        raise _fail("taken_at", "A photograph cannot be taken in the future.")
    session = (
        _session_of_patient(clinic=clinic, patient_id=patient.pk, session_id=session_id)
        if session_id not in (None, "")
        else None
    )
    consent = photo_consent_in_force(clinic_id=clinic.pk, patient_id=patient.pk)
    if consent is None or not consent.allows(PhotoUse.RECORD):
        raise Conflict(
            "The patient has no photograph consent in force that allows photographs for "
            "their clinical record. Ask them to sign one (Consents) before taking photographs."
        )
    clean = photo_clean(
        data,
        max_bytes=settings.PISTOR_PHOTO_MAX_BYTES,
        max_pixels=settings.PISTOR_PHOTO_MAX_PIXELS,
    )

    storage = photo_storage()
    stem = f"clinic-{clinic.pk}/patient-{patient.pk}/{uuid.uuid4().hex}"
    written: list[str] = []
    try:
        for suffix, content in (
            (f"original.{clean.extension}", clean.original),
            ("display.jpg", clean.display),
            ("thumb.jpg", clean.thumb),
        ):
            written.append(storage.save(f"{stem}-{suffix}", ContentFile(content)))
        with transaction.atomic():
            photo = Photo(
                clinic=clinic,
                patient=patient,
                session=session,
                view=view,
                taken_at=taken_at,
                consent=consent.consent,
                note=note,
                image_format=clean.image_format,
                width=clean.width,
                height=clean.height,
                original_key=written[0],
                display_key=written[1],
                thumb_key=written[2],
                original_sha256=clean.original_sha256,
                uploaded_by=by,
            )
            photo.full_clean()
            photo.save()
            audit_record(
                clinic=clinic,
                actor=by,
                event_type=AuditEventType.PHOTO_UPLOADED,
                subject_type="photo",
                subject_id=photo.pk,
                after={
                    "patient": patient.pk,
                    "view": view,
                    "session": session.pk if session else None,
                    "consent": consent.consent.pk,
                    "sha256": clean.original_sha256,
                },
            )
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return photo


def photo_withdraw(*, photo: Photo, by: User, reason: str, now: dt.datetime | None = None) -> Photo:
    """Withdraw a photograph (taken in error, or the patient asked): the row stays with who,
    when and why; its files are deleted once the withdrawal is committed."""
    reason = (reason or "").strip()
    if not reason:
        raise _fail("reason", "Say why the photograph is withdrawn.")
    if len(reason) > WITHDRAW_REASON_MAX or "\x00" in reason:
        raise _fail("reason", f"Keep the reason to {WITHDRAW_REASON_MAX} characters of text.")
    if photo.is_withdrawn:
        raise Conflict("This photograph has already been withdrawn.")
    keys = [photo.original_key, photo.display_key, photo.thumb_key]
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.is_withdrawn:
            raise Conflict("This photograph has already been withdrawn.")
        locked.withdrawn_at = now or clock.now()
        locked.withdrawn_by = by
        locked.withdraw_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason", "updated_at"])
        audit_record(
            clinic=locked.clinic,
            actor=by,
            event_type=AuditEventType.PHOTO_WITHDRAWN,
            subject_type="photo",
            subject_id=locked.pk,
            after={"patient": locked.patient_id},
        )

        def _delete_files() -> None:
            storage = photo_storage()
            for key in keys:
                storage.delete(key)

        transaction.on_commit(_delete_files)
    return locked


def photo_session_set(*, photo: Photo, by: User, session_id: int | str) -> Photo:
    """File a photograph under a treatment session; only a session of the same patient."""
    session = _session_of_patient(
        clinic=photo.clinic, patient_id=photo.patient_id, session_id=session_id
    )
    before = photo.session_id
    with transaction.atomic():
        Photo.objects.filter(pk=photo.pk).update(session=session, updated_at=clock.now())
        audit_record(
            clinic=photo.clinic,
            actor=by,
            event_type=AuditEventType.PHOTO_FILED,
            subject_type="photo",
            subject_id=photo.pk,
            before={"session": before},
            after={"session": session.pk},
        )
    photo.session = session
    return photo


def _open(key: str) -> IO[bytes]:
    try:
        return photo_storage().open(key, "rb")
    except (FileNotFoundError, OSError):
        # Lost from the storage (a restore without its files): say so, not a crash.
        raise NotFound("This photograph's file is missing from the storage.") from None


@dataclass
class OpenedPhoto:
    file: IO[bytes]
    content_type: str
    filename: str


#: How long the images of a page that listed photographs may be fetched under its event.
#: Long enough for lazy loading as the user scrolls; a page opened again is audited again.
LISTED_IMAGE_MAX_AGE = dt.timedelta(minutes=10)
_LISTED_IMAGE_SALT = "pistor.photos.listed-image"


def photos_listed(
    *, clinic: Clinic, patient: Patient, photos: list[Photo], by: User, rendition: str
) -> dict[int, str]:
    """Record that ``by`` was shown ``photos`` on one page (the gallery's thumbnails, the
    comparison's two screen-size images), in one event naming them all, and return for
    each a listing token. Its ``rendition`` fetched with the token, by the same user within
    ``LISTED_IMAGE_MAX_AGE``, is covered by this event rather than writing one of its own:
    a gallery of 60 photographs wrote 60 ``photo.viewed`` events, a comparison four."""
    if not photos:
        return {}
    audit_record(
        clinic=clinic,
        actor=by,
        event_type=AuditEventType.PHOTOS_LISTED,
        subject_type="patient",
        subject_id=patient.pk,
        after={"photos": [photo.pk for photo in photos], "rendition": rendition},
    )
    signer = signing.TimestampSigner(salt=_LISTED_IMAGE_SALT)
    return {photo.pk: signer.sign(f"{by.pk}:{photo.pk}:{rendition}") for photo in photos}


def _listed(token: str, *, photo: Photo, by: User, rendition: str) -> bool:
    """Whether ``token`` is this photograph's listing token for ``rendition``, given to
    this user lately."""
    if not token:
        return False
    signer = signing.TimestampSigner(salt=_LISTED_IMAGE_SALT)
    try:
        # A token is short; a long value is not one, and is not worth a signature check.
        value = signer.unsign(token[:200], max_age=LISTED_IMAGE_MAX_AGE)
    except signing.BadSignature:  # also an expired one
        return False
    return bool(value == f"{by.pk}:{photo.pk}:{rendition}")


def photo_open(*, photo: Photo, by: User, rendition: str, listing: str = "") -> OpenedPhoto:
    """Open one of the photograph's files to stream it, recording who opened which.

    An image fetched with the listing token its page gave (``photos_listed``) is already
    named by that page's event, so it records none of its own."""
    if rendition not in Rendition.values:
        raise _fail("rendition", "Ask for the original, display or thumb rendition.")
    key = photo.key_for(rendition)
    content_type = (
        {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[photo.image_format]
        if rendition == Rendition.ORIGINAL
        else "image/jpeg"
    )
    handle = _open(key)
    if not _listed(listing, photo=photo, by=by, rendition=rendition):
        audit_record(
            clinic=photo.clinic,
            actor=by,
            event_type=AuditEventType.PHOTO_VIEWED,
            subject_type="photo",
            subject_id=photo.pk,
            after={"patient": photo.patient_id, "rendition": rendition},
        )
    extension = key.rsplit(".", 1)[-1]
    return OpenedPhoto(handle, content_type, f"photo-{photo.pk}-{rendition}.{extension}")


def photo_export_for_marketing(*, photo: Photo, by: User) -> OpenedPhoto:
    """The screen-size rendition for the clinic's publicity, only if the patient's
    photograph consent in force allows marketing use (read now: a withdrawn consent or one
    without marketing refuses)."""
    consent = photo_consent_in_force(clinic_id=photo.clinic_id, patient_id=photo.patient_id)
    if consent is None or not consent.allows(PhotoUse.MARKETING):
        raise Conflict(
            "This photograph cannot be exported for marketing: the patient's photograph "
            "consent does not allow the clinic's publicity. Only a new, signed consent with "
            "marketing ticked would allow it.",
            extra={"reasons": [{"code": "photo-consent-no-marketing"}]},
        )
    handle = _open(photo.display_key)
    audit_record(
        clinic=photo.clinic,
        actor=by,
        event_type=AuditEventType.PHOTO_EXPORTED,
        subject_type="photo",
        subject_id=photo.pk,
        after={"patient": photo.patient_id, "use": "marketing", "consent": consent.consent.pk},
    )
    return OpenedPhoto(handle, "image/jpeg", f"photo-{photo.pk}-marketing.jpg")


#: How old a file no photograph names must be before the sweep removes it: an upload writes
#: its files a moment before its row commits.
SWEEP_GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class PhotoSweep:
    unnamed: int  # files older than the grace period that no photograph in use names
    removed: int


def photo_files_sweep(*, now: dt.datetime | None = None, dry_run: bool = False) -> PhotoSweep:
    """Remove photograph files that no photograph in use names (``pistor photos sweep``).

    An upload deletes its files if its own transaction fails, and a withdrawal once it has
    committed. A failure around them leaves files behind: an enclosing transaction rolled
    back after the upload, the process stopped between the files and the commit, a delete
    that failed. Such files hold a patient's images out of reach of every page, withdrawal
    and erasure. Files younger than ``SWEEP_GRACE`` are left, as an upload may be under way.
    """
    storage = photo_storage()
    cutoff = (now or clock.now()) - SWEEP_GRACE
    # Read before the files are listed: a file written after this is younger than the grace.
    named: set[str] = set()
    in_use = Photo.objects.filter(withdrawn_at__isnull=True)
    for keys in in_use.values_list("original_key", "display_key", "thumb_key").iterator():
        named.update(keys)
    unnamed = [
        name
        for name in _stored_files(storage, "")
        if name not in named and storage.get_modified_time(name) < cutoff
    ]
    if dry_run or not unnamed:
        return PhotoSweep(unnamed=len(unnamed), removed=0)
    removed: list[str] = []
    try:
        for name in unnamed:
            storage.delete(name)
            removed.append(name)
    finally:
        # A deleted file cannot be put back: what was removed is recorded even if a later
        # delete fails (the next sweep takes the rest).
        if removed:
            audit_record(
                clinic=None,
                actor=None,
                event_type=AuditEventType.PHOTO_FILES_SWEPT,
                subject_type="photo-files",
                after={"removed": len(removed), "files": sorted(removed)},
            )
    return PhotoSweep(unnamed=len(unnamed), removed=len(removed))


def _stored_files(storage: Storage, directory: str) -> list[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # no photograph stored yet: the directory is made by the first
        return []
    found = [f"{directory}{name}" for name in files]
    for name in directories:
        found += _stored_files(storage, f"{directory}{name}/")
    return found
