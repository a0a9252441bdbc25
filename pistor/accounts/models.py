"""Staff accounts. Patients are not users (yet)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from pistor.clinics.models import Role
from pistor.core.models import ClinicScopedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A staff account needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A member of staff who signs in with an email address and a password (plus TOTP)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.full_name or self.email


class LoginAttemptWindow(models.Model):
    """Recent sign-in attempts for one account name from one network address.

    Not clinical data: it is the guard in front of the password check. Each attempt claims
    a slot with a single conditional UPDATE, so a burst of simultaneous guesses cannot get
    more than the failure limit through before anyone has counted them. The account name
    and address are stored only as a keyed hash: the table never lists who tried what.
    """

    key = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key[:12]}… ({self.attempts})"


class StaffInvitation(ClinicScopedModel):
    """A manager's invitation for a person to join the clinic's staff with a role.

    The emailed link carries a random secret; only its SHA-256 is stored, so the table does
    not hand out working links. The link works once (``accepted_at``) and until
    ``expires_at``; inviting the same address again withdraws the earlier link.
    """

    email = models.EmailField("email address")
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account that accepted the invitation.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "email"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]),
                name="staffinvitation_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.role})"
