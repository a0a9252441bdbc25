"""The photograph file sweep as a django-tasks task, enqueued daily by ``pistor worker``."""

from __future__ import annotations

from django_tasks import task


@task()
def photo_files_sweep_daily() -> int:
    """Remove leftover photograph files (``photos.services.photo_files_sweep``); returns
    how many were removed."""
    from pistor.photos.services import photo_files_sweep

    return photo_files_sweep().removed
