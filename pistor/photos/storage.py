"""Where photograph files live: the ``photos`` storage of ``settings.STORAGES``.

A private directory on the local disk by default, S3-compatible object storage when
configured; never under MEDIA_URL or STATIC. Looked up at each use (not once at import) so
a test can point it at a scratch directory.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def photo_storage() -> Storage:
    return storages["photos"]
