"""Pistor's one settings module, configured by environment variables.

The embedded default is a single clinic on one machine: SQLite in ``PISTOR_DATA_DIR`` and
local media files. ``DATABASE_URL`` selects PostgreSQL. Outside debug, a missing
``SECRET_KEY`` or ``ALLOWED_HOSTS`` stops start-up with a message saying what to set.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not '{value}'.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not '{value}'.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("PISTOR_DEBUG", False)
# pytest is never imported by a running clinic, so its presence means a test run.
TESTING = env_bool("PISTOR_TESTING", "pytest" in sys.modules)

DATA_DIR = Path(os.environ.get("PISTOR_DATA_DIR", BASE_DIR / "var")).resolve()

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-not-for-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'),"
            " or run 'pistor demo', which creates one for the demo clinic."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    if DEBUG or TESTING:
        ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    else:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. Set it to the host names this clinic is served on, "
            "separated by commas, e.g. ALLOWED_HOSTS=pistor.example-clinic.org"
        )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The audit trail's key signs its seals and checkpoints; it must never be in the database.
# In order: PISTOR_AUDIT_KEY; the demo's key file in the data directory (`pistor demo` writes
# it, so every `pistor ...` command run on that data directory verifies with the same key);
# else derived from SECRET_KEY, which is also never in the database, so existing
# installations keep working. Set PISTOR_AUDIT_KEY before you ever rotate SECRET_KEY, or
# the trail sealed so far no longer verifies (README, "The audit trail").
_AUDIT_KEY_FILE = DATA_DIR / "audit_key"
AUDIT_KEY = (
    os.environ.get("PISTOR_AUDIT_KEY", "")
    or (_AUDIT_KEY_FILE.read_text(encoding="utf-8").strip() if _AUDIT_KEY_FILE.is_file() else "")
    or hashlib.sha256(f"pistor-audit-key|{SECRET_KEY}".encode()).hexdigest()
)
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("PISTOR_AUDIT_CHECKPOINT_FILE")
    or (
        Path(tempfile.gettempdir()) / f"pistor-test-{os.getpid()}" / "audit-checkpoints.jsonl"
        if TESTING
        else DATA_DIR / "audit-checkpoints.jsonl"
    )
)
# A seal after each commit is asked for at most this often per process; `pistor worker`
# seals every AUDIT_SEAL_INTERVAL_SECONDS whatever happens.
AUDIT_SEAL_COALESCE_SECONDS = float(
    os.environ.get("PISTOR_AUDIT_SEAL_COALESCE_SECONDS", "0" if TESTING else "1")
)
AUDIT_SEAL_INTERVAL_SECONDS = float(os.environ.get("PISTOR_AUDIT_SEAL_INTERVAL_SECONDS", "2"))
AUDIT_SEAL_GRACE_SECONDS = float(os.environ.get("PISTOR_AUDIT_SEAL_GRACE_SECONDS", "300"))
# PostgreSQL: an event that records only a read commits without waiting for the WAL flush
# unless this is on (pistor.audit.services.audit_waits_for_flush says why).
AUDIT_READS_WAIT_FOR_FLUSH = env_bool("PISTOR_AUDIT_READS_WAIT_FOR_FLUSH", False)
# django-tasks with django-tasks-db's database backend: tasks are rows that `pistor worker`
# (started by `pistor demo`, run beside `pistor serve`) picks up, so a send survives a
# restart. Tests run each task at once (ImmediateBackend), as PISTOR_TASKS_BACKEND may too.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "PISTOR_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # For the Swagger UI files Ninja ships: the API docs are served without a CDN.
    "ninja",
    "pistor.core",
    "pistor.accounts",
    "pistor.clinics",
    "pistor.audit",
    "pistor.patients",
    "pistor.catalog",
    "pistor.records",
    "pistor.consents",
    "pistor.plans",
    "pistor.scheduling",
    "pistor.onlinebooking",
    "pistor.tools",
    "pistor.intake",
    "pistor.consultations",
    "pistor.allergytests",
    "pistor.inventory",
    "pistor.treatments",
    "pistor.photos",
    "pistor.outcomes",
    "pistor.api",
    "pistor.web",
    "django_tasks",
    "django_tasks_db",
    "pistor.messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pistor.core.middleware.RequestIdMiddleware",
    "pistor.core.middleware.ContentSecurityPolicyMiddleware",
    "pistor.core.middleware.RequestSizeLimitMiddleware",
    "pistor.core.middleware.NoStoreMiddleware",
    "pistor.core.middleware.MethodNotAllowedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the user with the staff context below in one statement (issue 7).
    "pistor.accounts.middleware.AuthenticationMiddleware",
    "pistor.accounts.middleware.InactivityTimeoutMiddleware",
    # django-otp's device state and the clinic membership, from one query (issue 7).
    "pistor.accounts.middleware.StaffContextMiddleware",
    "pistor.accounts.access.DenyByDefaultMiddleware",
    # Text holding NUL refused before any view reads a form (core.middleware).
    "pistor.core.middleware.UnstorableTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pistor.urls"
WSGI_APPLICATION = "pistor.wsgi.application"
ASGI_APPLICATION = "pistor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pistor.clinics.context_processors.current_clinic",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    # The statements every request runs are prepared on the server, so PostgreSQL stops
    # planning them afresh (pistor.core.postgresql). Behind a pooler in transaction mode
    # that cannot carry prepared statements (PgBouncer before 1.21), turn it off.
    _on_postgresql = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if _on_postgresql and env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["ENGINE"] = "pistor.core.postgresql"
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PISTOR_SQLITE_PATH", str(DATA_DIR / "pistor.sqlite3")),
            # Kept open between requests, as on PostgreSQL: opening a SQLite connection runs
            # the PRAGMAs below, and closing the last one checkpoints the WAL file, which
            # together cost a signed-in page about 4 ms (issue 7, benchmarks/README.md).
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so concurrent
                # writers queue on busy_timeout instead of failing with "database is locked"
                # when a read transaction tries to upgrade to a write.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "pistor.accounts.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is slow by design; tests hash hundreds of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in failures: axes locks an account after this many failures; the atomic limiter
# in pistor.accounts.limiter holds the line under concurrent floods.
AXES_FAILURE_LIMIT = env_int("PISTOR_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PISTOR_LOGIN_COOLOFF_MINUTES", 15))
# Lock the (account, address) pair so a flood from one place does not lock the real user
# out from another.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # an attempt log is audit-worthy, not log-worthy
# Behind the TLS proxy the client's address comes from the proxy's X-Forwarded-For entry
# only (see pistor.accounts.limiter); axes and the limiter count the same address.
AXES_CLIENT_IP_CALLABLE = "pistor.accounts.limiter.client_address"
# Password checks per account per hour from all addresses together; a browser that has
# signed in to the account before is held only to its own (account, address) limit.
PISTOR_LOGIN_ACCOUNT_HOURLY_LIMIT = env_int("PISTOR_LOGIN_ACCOUNT_HOURLY_LIMIT", 30)

OTP_TOTP_ISSUER = "Pistor"

# --- Email (staff invitations and password resets) -------------------------------------
# The console by default: a single practitioner's laptop prints the link instead of
# sending it. PISTOR_EMAIL_HOST switches to SMTP; tests replace the backend with locmem.
EMAIL_HOST = os.environ.get("PISTOR_EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "PISTOR_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("PISTOR_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("PISTOR_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PISTOR_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PISTOR_EMAIL_USE_TLS", EMAIL_PORT != 465)
EMAIL_USE_SSL = env_bool("PISTOR_EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("PISTOR_EMAIL_TIMEOUT_SECONDS", 10)
EMAIL_FILE_PATH = DATA_DIR / "mail"  # for the file-based backend
DEFAULT_FROM_EMAIL = os.environ.get("PISTOR_EMAIL_FROM", "Pistor <pistor@localhost>")
# Text messages (pistor.messaging.sms): console by default, a file per message with
# PISTOR_SMS_BACKEND=pistor.messaging.sms.FileSmsBackend, an outbox in memory in tests.
SMS_BACKEND = os.environ.get(
    "PISTOR_SMS_BACKEND",
    "pistor.messaging.sms.MemorySmsBackend"
    if TESTING
    else "pistor.messaging.sms.ConsoleSmsBackend",
)
SMS_FILE_PATH = Path(os.environ.get("PISTOR_SMS_FILE_PATH", DATA_DIR / "sms"))
# How long an emailed password-reset link works (Django's setting), and an invitation.
PASSWORD_RESET_TIMEOUT = env_int("PISTOR_PASSWORD_RESET_SECONDS", 3600)
PISTOR_INVITATION_DAYS = env_int("PISTOR_INVITATION_DAYS", 7)

# --- Sessions and security ------------------------------------------------------------
# Django's database sessions, their per-request read written as SQL (issue 7).
SESSION_ENGINE = "pistor.accounts.sessions"
SESSION_COOKIE_AGE = env_int("PISTOR_SESSION_MAX_SECONDS", 12 * 3600)
SESSION_INACTIVITY_SECONDS = env_int("PISTOR_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS proxy in production; the demo runs plain HTTP on 127.0.0.1.
HTTPS = env_bool("PISTOR_HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("PISTOR_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("PISTOR_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
PISTOR_BEHIND_PROXY = env_bool("PISTOR_BEHIND_PROXY", False)
# How many proxies append to X-Forwarded-For in front of Pistor (1: just the TLS proxy).
PISTOR_PROXY_HOPS = env_int("PISTOR_PROXY_HOPS", 1)
if PISTOR_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("PISTOR_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Caches ---------------------------------------------------------------------------
# In each process's memory only: nothing cached reaches a disk or another server. The
# record page's rendered panels, and the whole page for each person who opened it, hold
# patient data, so they get their own bounded cache, keyed by the versions of the rows
# they were drawn from (pistor.patients.record).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "record_panels": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pistor-record-panels",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 500},  # 20-45 kB each: at most about 20 MB a worker
    },
}

# --- Files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Patient photographs: never under MEDIA_URL or STATIC, only streamed by an audited view
# (pistor.photos). Local files in a private directory by default; S3-compatible object
# storage when PISTOR_PHOTOS_S3_BUCKET is set (django-storages, which needs boto3).
PISTOR_PHOTOS_S3_BUCKET = os.environ.get("PISTOR_PHOTOS_S3_BUCKET", "")
if PISTOR_PHOTOS_S3_BUCKET:
    STORAGES["photos"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PISTOR_PHOTOS_S3_BUCKET,
            "endpoint_url": os.environ.get("PISTOR_PHOTOS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("PISTOR_PHOTOS_S3_REGION") or None,
            "location": os.environ.get("PISTOR_PHOTOS_S3_PREFIX", "photos"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["photos"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get(
                "PISTOR_PHOTOS_DIR",
                # Tests write into a scratch directory, never into the clinic's data.
                str(Path(tempfile.gettempdir()) / f"pistor-test-photos-{os.getpid()}")
                if TESTING
                else str(DATA_DIR / "private" / "photos"),
            ),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }

# --- Logging: no patient data. Request ids and event types only; never bodies or names.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact": {"()": "pistor.core.logging.RedactExceptionMessages"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("PISTOR_LOG_LEVEL", "INFO")},
    "loggers": {
        # django.request logs the URL of failed requests, and URLs may carry search terms.
        "django.request": {"level": "ERROR", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}

# --- Pistor ---------------------------------------------------------------------------
PISTOR_API_TOKEN_BYTES = 32
# Bodies over these sizes answer 413 before anything reads them (RequestSizeLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PISTOR_MAX_BODY_BYTES", 2_621_440)
PISTOR_MAX_UPLOAD_BYTES = env_int("PISTOR_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
PISTOR_ALLERGY_TEST_MIN_READ_HOURS = 24
# Photographs: the largest file accepted and the most pixels decoded (a decompression bomb
# is refused from its header, before its pixels are read).
PISTOR_PHOTO_MAX_BYTES = env_int("PISTOR_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PISTOR_PHOTO_MAX_PIXELS = env_int("PISTOR_PHOTO_MAX_PIXELS", 50_000_000)
NINJA_PAGINATION_PER_PAGE = 50
