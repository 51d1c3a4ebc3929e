"""kapcare settings, read from the environment.

Development needs nothing: with DEBUG on, an SQLite file and a throwaway secret are used.
Production (DEBUG off) fails loudly on a missing SECRET_KEY or ALLOWED_HOSTS and turns on
secure cookies, HSTS and HTTPS redirects.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from kapcare.deployment.secret_key import DEVELOPMENT_SECRET_KEY, secret_key_problem

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


def email_settings(url: str) -> dict[str, object]:
    """Django's email settings from one EMAIL_URL.

    `console://` prints mail to the terminal (development), `smtp://user:pass@host:587`
    uses STARTTLS, `smtps://…:465` implicit TLS, `locmem://` keeps mail in memory (tests).
    """
    parsed = urlparse(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parsed.scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {sorted(backends)}")
    result: dict[str, object] = {"EMAIL_BACKEND": backends[parsed.scheme]}
    if parsed.scheme in {"smtp", "smtps"}:
        query = parse_qs(parsed.query)
        result.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or (465 if parsed.scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=parsed.scheme == "smtps",
            EMAIL_USE_TLS=parsed.scheme == "smtp" and query.get("tls", ["1"])[0] != "0",
        )
    return result


def media_storage(url: str) -> dict[str, object]:
    """Where uploaded files (training certificates) are kept, from one MEDIA_STORAGE_URL:
    empty, on this machine's disk under MEDIA_ROOT (development, one server);
    `s3://bucket/folder` in an S3-compatible bucket every app server shares
    (django-storages; credentials, region and endpoint from the AWS_* variables boto3
    reads, AWS_S3_ENDPOINT_URL for a store other than Amazon's). Files are private: the
    certificate view checks the policy and streams them, no public URL is ever made."""
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.hostname:
        raise ImproperlyConfigured("MEDIA_STORAGE_URL must be empty or s3://bucket/folder")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": parsed.hostname,
            "location": parsed.path.strip("/"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and (problem := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(problem)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # Django's widget templates, for the form renderer below
    "csp",
    "axes",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "kapcare.clinics",
    "kapcare.accounts",
    "kapcare.audit",
    "kapcare.patients",
    "kapcare.intake",
    "kapcare.measures",
    "kapcare.screening",
    "kapcare.consents",
    "kapcare.scheduling",
    "kapcare.episodes",
    "kapcare.pricing",
    "kapcare.billing",
    "kapcare.dosing",
    "kapcare.therapists",
    "kapcare.messaging",
    "kapcare.journal",
    "kapcare.outcomes",
    "kapcare.follow_up",
    "kapcare.conformance",
    "kapcare.research",
    "kapcare.referrals",
    "kapcare.education",
    "kapcare.notifications",
    "kapcare.demo",
    "kapcare.synthetic",
    "kapcare.deployment",
    "kapcare.bench",
    "kapcare.fhir",
    "kapcare.fhir.bulk",
    # After the kapcare apps: kapcare.notifications' `db_worker` (which also keeps the
    # minute job scheduled) takes the place of the library's.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their long caching and skip these.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "kapcare.response_headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Above CommonMiddleware, whose slash redirect would otherwise show the admin exists.
    "kapcare.developer_tools.AdminSiteGateMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Sessions signed in under a sign-in backend's former name stay signed in.
    "kapcare.accounts.middleware.RenamedBackendMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kapcare.accounts.middleware.IdleTimeoutMiddleware",
    "kapcare.clinics.middleware.ClinicTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "kapcare.api_middleware.JsonApiErrorsMiddleware",
    "kapcare.accounts.second_factor_middleware.SecondFactorMiddleware",
]

# A server the load harness measures (`manage.py bench`) also answers its bare view
# (kapcare/bench/urls.py); every other server, production included, has only the site's.
BENCH_BARE_VIEW = envbool("BENCH_BARE_VIEW", False)
ROOT_URLCONF = "kapcare.bench.urls" if BENCH_BARE_VIEW else "kapcare.urls"
WSGI_APPLICATION = "kapcare.wsgi.application"

# Templates are compiled once per process and kept (the cached loader, named here rather
# than left to Django's default); in development, runserver's reloader empties the cache
# when a template file changes.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kapcare" / "templates"],
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kapcare.context_processors.navigation",
                "kapcare.messaging.context_processors.unread_messages",
            ],
            # The clinic's time format in every template: |clock, |moment, |duration.
            "builtins": ["kapcare.templatetags_times"],
        },
    },
]

# One set of form templates for every form (kapcare/forms_renderer.py).
FORM_RENDERER = "kapcare.forms_renderer.KapcareFormRenderer"

# Connections are kept open between requests for DB_CONN_MAX_AGE seconds (a new connection
# per request costs more than many a page's queries), checked before reuse so one the
# server closed is replaced instead of failing a request. Development opens one per request.
DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE") or ("0" if DEBUG else "60"))


def database(url: str) -> dict:
    return dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)


DATABASES = {
    "default": database(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'kapcare.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing at once; IMMEDIATE takes the write lock
    # at BEGIN so a check-then-write inside a transaction cannot race another writer.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
# A read replica of the primary (PostgreSQL streaming replication, docs/deploying.md): the
# reports that only read (the access-log export, the clinic admin's home) read from it
# (kapcare/replica.py); every write, and every other page, uses the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
READ_REPLICA = "replica" if DATABASE_REPLICA_URL else ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database(DATABASE_REPLICA_URL)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kapcare.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "kapcare.accounts.hashers.ClinicArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Argon2id: 3 passes over 12 MiB, one lane — one of OWASP's equivalent minimum
# configurations (docs/security.md#password-hashing). About 60–120 ms per check on the
# 2-core machine, so a sign-in stays within 300 ms of server time; Django's defaults (100 MiB,
# 8 lanes) took over a second. A stored hash with other parameters is redone at sign-in.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 12 * 1024
ARGON2_PARALLELISM = 1
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the user read with their clinic (one query per request).
    "kapcare.accounts.backends.UserWithClinicBackend",
]
# API lists answer pages (kapcare/api_pages.py): this many items when the caller names no
# `limit`; a `limit` above the maximum is refused with 422 (a client learns the bound
# instead of silently getting fewer items than it asked for).
API_PAGE_SIZE = int(os.environ.get("API_PAGE_SIZE", "50"))
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "200"))
if not 1 <= API_PAGE_SIZE <= API_MAX_PAGE_SIZE:
    raise ImproperlyConfigured("API_PAGE_SIZE must be between 1 and API_MAX_PAGE_SIZE.")
# API tokens stop working this many days after they are made; their owner makes a new one
# on the profile page. A password change, a reset or deactivation revokes them at once.
API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "90"))
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in protection (docs/security.md, "Sign-in protection"). django-axes counts wrong
# passwords by the email the form posts (kapcare.accounts.lockout): within the cool-off,
# AXES_FAILURE_LIMIT failures lock that email from that network address, and
# SIGN_IN_ACCOUNT_FAILURE_LIMIT failures from any addresses lock the email everywhere. An
# address is not locked as a whole, so a clinic behind one NAT is not locked out by one
# person's typos; it is slowed to SIGN_IN_ATTEMPTS_PER_ADDRESS instead.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
SIGN_IN_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_ACCOUNT_FAILURE_LIMIT", "15"))
SIGN_IN_FAILURE_LIMITS = [AXES_FAILURE_LIMIT, SIGN_IN_ACCOUNT_FAILURE_LIMIT]
SIGN_IN_ATTEMPTS_PER_ADDRESS = os.environ.get("SIGN_IN_ATTEMPTS_PER_ADDRESS", "30/m")
AXES_HANDLER = "kapcare.accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "kapcare.accounts.lockout.posted_email"
AXES_LOCKOUT_CALLABLE = "kapcare.accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor sign-in (django-otp): staff and outside therapists always, patients when their
# clinic asks. After this many wrong codes in a row the session is signed out (django-otp
# also makes each next try wait twice as long). A step-up re-authentication (the code
# re-entered to sign a record) counts for this many seconds, i.e. the request that does it.
SECOND_FACTOR_MAX_WRONG_CODES = int(os.environ.get("SECOND_FACTOR_MAX_WRONG_CODES", "5"))
STEP_UP_VALID_SECONDS = 120
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "kapcare")

# Idle logout: staff and outside therapists are signed out after 15 minutes without a
# request (HIPAA §164.312(a)(2)(iii) automatic logoff); patients after 60.
IDLE_TIMEOUT_STAFF = timedelta(minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "15")))
IDLE_TIMEOUT_PATIENT = timedelta(minutes=60)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `collectstatic` writes here; with DEBUG off the files are served from here by WhiteNoise.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# The project-wide stylesheet and vendored front-end libraries (see README for versions).
STATICFILES_DIRS = [BASE_DIR / "kapcare" / "static"]
# Uploaded files (a therapist's training certificate) are never served as static files:
# there is no MEDIA_URL; a view checks the policy and streams the file.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# An upload above 5 MB is refused at the field (a scanned certificate is well under).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

STORAGES = {
    "default": media_storage(os.environ.get("MEDIA_STORAGE_URL", "")),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

globals().update(email_settings(os.environ.get("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kapcare <no-reply@kapcare.invalid>")
# Every link in an email is built from it (kapcare.links); `make run` sets it from PORT.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")

# The cache holds the rate-limit counts (kapcare.ratelimits), so every worker and machine
# must share it: a table in the database by default (made by a migration), or Redis with
# CACHE_URL=redis://host:6379/0.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// or rediss:// address, or unset.")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kapcare_cache",
            # Culling at Django's default 300 entries would forget counts on a busy day.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# Sessions are rows in the database, which every app server reads, never in a process's
# memory or a file on one machine (docs/deploying.md). With Redis as the cache, a session
# is read from Redis and written to both (cached_db).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else "django.contrib.sessions.backends.db"
)
# Redis counts atomically; the database cache reads then writes, so requests arriving in
# the same instant may be counted once and a limit let a few more through under a burst
# (docs/security.md).

# Password reset: emails to one address, and requests from one network address.
PASSWORD_RESETS_PER_EMAIL = os.environ.get("PASSWORD_RESETS_PER_EMAIL", "3/h")
PASSWORD_RESETS_PER_ADDRESS = os.environ.get("PASSWORD_RESETS_PER_ADDRESS", "10/h")
# Questionnaire links: tries with a link that does not work (unknown, used or expired),
# per network address, before the address must wait.
QUESTIONNAIRE_LINK_MISSES_PER_ADDRESS = os.environ.get(
    "QUESTIONNAIRE_LINK_MISSES_PER_ADDRESS", "20/h"
)

# Background jobs (docs/background-jobs.md): emails, reminders and the minute job run as
# tasks stored in the database and run by `manage.py db_worker`, on one machine or many.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A worker holds an email it is sending for this long; a worker that dies meanwhile leaves
# it to the next one once the lease ends. Longer than any send can take (EMAIL_TIMEOUT).
NOTIFICATION_LEASE = timedelta(seconds=int(os.environ.get("NOTIFICATION_LEASE_SECONDS", "300")))
# How often the minute job runs (reminders, overdue flags, retries of failed emails).
SCHEDULED_JOBS_EVERY = timedelta(seconds=int(os.environ.get("SCHEDULED_JOBS_SECONDS", "60")))
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# /healthz reports the queue as failed when a task has waited longer than this to start.
# A FHIR bulk export's files are kept this long after it completes, then removed (the
# job's row stays); the client fetches them within it.
FHIR_EXPORT_KEEP = timedelta(hours=int(os.environ.get("FHIR_EXPORT_KEEP_HOURS", "24")))
# A research dataset export's zip is kept this long after it is built, then removed (the
# row stays as the trace); the admin downloads it within it.
RESEARCH_EXPORT_KEEP = timedelta(hours=int(os.environ.get("RESEARCH_EXPORT_KEEP_HOURS", "24")))
QUEUE_MAX_WAIT = timedelta(minutes=int(os.environ.get("QUEUE_MAX_WAIT_MINUTES", "10")))

# Consultation requests: at most this many from one network address per hour.
CONSULTATION_REQUESTS_PER_HOUR = int(os.environ.get("CONSULTATION_REQUESTS_PER_HOUR", "5"))

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Lets the domain be submitted to the browsers' preload list (docs/deploying.md).
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    # The health check is asked over plain HTTP on the loopback by the monitor.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if envbool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Secret-token addresses (calendar feeds, single-use links) are cut from every logged
    # path: kapcare/deployment/log_redaction.py.
    "filters": {"redact_tokens": {"()": "kapcare.deployment.log_redaction.RedactSecretTokens"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's request lines, as Django logs them by default, token redacted.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.request": {"filters": ["redact_tokens"]},
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site
# only; no inline script, no style attribute or <style> block, no plugin, no framing, forms
# post only here. A page's own behaviour lives in kapcare/static.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Permissions-Policy (django-permissions-policy): no page uses the camera, microphone,
# location, payments or attached devices, so no page (nor anything injected into one) may.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
