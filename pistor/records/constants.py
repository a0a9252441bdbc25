"""Fixed values of the signed-record lifecycle."""

from django.db import models


class RecordStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


# The word the database triggers look for: a row whose status is this is frozen.
SIGNED = RecordStatus.SIGNED.value
