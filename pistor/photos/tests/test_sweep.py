"""Leftover photograph files: found, removed after a grace period, the removal audited."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from pistor.audit.models import AuditEvent
from pistor.cli import main
from pistor.core import clock
from pistor.photos import services
from pistor.photos.storage import photo_storage
from pistor.photos.tests.conftest import stored_files
from pistor.photos.tests.factories import photo_of

pytestmark = pytest.mark.django_db


def _aged(photo_dir: Path, name: str, *, hours: float) -> None:
    """Give a stored file a modification time ``hours`` ago."""
    when = (clock.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(photo_dir / name, (when, when))


def _all_aged(photo_dir: Path, *, hours: float) -> None:
    for path in stored_files(photo_dir):
        _aged(photo_dir, str(path.relative_to(photo_dir)), hours=hours)


def test_files_no_photograph_names_are_removed_once_old_and_the_rest_stay(
    clinic, practitioner, patient, photo_dir
):
    kept = photo_of(clinic=clinic, patient=patient, by=practitioner)
    withdrawn = photo_of(clinic=clinic, patient=patient, by=practitioner, view="face-front")
    # An upload inside a transaction that is then rolled back: its row goes, its files stay.
    with pytest.raises(RuntimeError), transaction.atomic():
        photo_of(clinic=clinic, patient=patient, by=practitioner, view="thighs-back")
        raise RuntimeError("the enclosing work failed")
    assert len(stored_files(photo_dir)) == 9
    # A withdrawal whose deletes did not happen leaves its files named only by a withdrawn row.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transaction, "on_commit", lambda *args, **kwargs: None)
        services.photo_withdraw(photo=withdrawn, by=practitioner, reason="Taken in error.")
    _all_aged(photo_dir, hours=2)
    storage = photo_storage()
    in_flight = storage.save(
        f"clinic-{clinic.pk}/patient-{patient.pk}/new-thumb.jpg", ContentFile(b"x")
    )

    counted = services.photo_files_sweep(dry_run=True)
    assert (counted.unnamed, counted.removed) == (6, 0)
    assert len(stored_files(photo_dir)) == 10  # a dry run removes nothing

    swept = services.photo_files_sweep()
    assert (swept.unnamed, swept.removed) == (6, 6)
    left = {str(path.relative_to(photo_dir)) for path in stored_files(photo_dir)}
    assert left == {kept.original_key, kept.display_key, kept.thumb_key, in_flight}
    event = AuditEvent.objects.get(event_type="photo.files_swept")
    assert event.after is not None and event.after["removed"] == 6
    assert set(event.after["files"]).isdisjoint(left)
    assert set(event.after["files"]) >= {withdrawn.original_key, withdrawn.thumb_key}

    # Nothing left to remove: nothing removed, nothing recorded.
    assert services.photo_files_sweep() == services.PhotoSweep(unnamed=0, removed=0)
    assert AuditEvent.objects.filter(event_type="photo.files_swept").count() == 1


def test_a_clinic_without_photographs_sweeps_nothing(photo_dir):
    assert not photo_dir.exists()
    assert services.photo_files_sweep() == services.PhotoSweep(unnamed=0, removed=0)


def test_the_command_counts_on_a_dry_run_and_says_what_it_removed(
    clinic, practitioner, patient, photo_dir, capsys
):
    photo_of(clinic=clinic, patient=patient, by=practitioner)
    leftover = photo_storage().save(f"clinic-{clinic.pk}/orphan-thumb.jpg", ContentFile(b"x"))
    _aged(photo_dir, leftover, hours=3)

    assert main(["photos", "sweep", "--dry-run"]) == 0
    assert "1 photograph file(s) older than 1 h" in capsys.readouterr().out
    assert (photo_dir / leftover).exists()

    assert main(["photos", "sweep"]) == 0
    assert "Removed 1 photograph file(s)" in capsys.readouterr().out
    assert not (photo_dir / leftover).exists()
    assert len(stored_files(photo_dir)) == 3


def test_a_sweep_stopped_by_a_failing_delete_records_what_it_removed(
    clinic, photo_dir, monkeypatch
):
    storage = photo_storage()
    names = [storage.save(f"clinic-{clinic.pk}/left-{n}.jpg", ContentFile(b"x")) for n in (1, 2)]
    for name in names:
        _aged(photo_dir, name, hours=2)
    delete = type(storage).delete
    calls: list[str] = []

    def failing_second(self, name):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk went away")
        delete(self, name)

    monkeypatch.setattr(type(storage), "delete", failing_second)
    with pytest.raises(OSError):
        services.photo_files_sweep()
    event = AuditEvent.objects.get(event_type="photo.files_swept")
    assert event.after == {"removed": 1, "files": [calls[0]]}
    assert not (photo_dir / calls[0]).exists() and (photo_dir / calls[1]).exists()


def test_the_worker_sweeps_when_it_starts_and_then_once_a_day(photo_dir):
    from pistor.messaging.worker import PHOTO_SWEEP_INTERVAL_SECONDS, WorkerState, worker_round

    storage = photo_storage()
    leftovers = []

    def leftover(name: str) -> str:
        saved = storage.save(name, ContentFile(b"x"))
        _aged(photo_dir, saved, hours=2)
        leftovers.append(saved)
        return saved

    state = WorkerState()
    first = leftover("clinic-1/patient-1/left-by-a-crash.jpg")
    worker_round(state, monotonic=1000.0)  # the tests' task backend runs tasks at once
    assert not (photo_dir / first).exists()

    second = leftover("clinic-1/patient-1/left-later.jpg")
    worker_round(state, monotonic=1000.0 + PHOTO_SWEEP_INTERVAL_SECONDS - 1)
    assert (photo_dir / second).exists()  # not a day yet
    worker_round(state, monotonic=1000.0 + PHOTO_SWEEP_INTERVAL_SECONDS)
    assert not (photo_dir / second).exists()
    swept = AuditEvent.objects.filter(event_type="photo.files_swept").order_by("pk")
    assert [(event.after or {}).get("files") for event in swept] == [[first], [second]]
