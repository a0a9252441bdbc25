"""Staff accounts. Patients are not users (yet)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


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
