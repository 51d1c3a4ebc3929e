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


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "kapcare-development-only-not-secret"

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
    "kapcare.dosing",
    "kapcare.therapists",
    "kapcare.messaging",
    "kapcare.journal",
    "kapcare.notifications",
    "kapcare.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kapcare.accounts.middleware.IdleTimeoutMiddleware",
    "kapcare.clinics.middleware.ClinicTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "kapcare.accounts.second_factor_middleware.SecondFactorMiddleware",
]

ROOT_URLCONF = "kapcare.urls"
WSGI_APPLICATION = "kapcare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kapcare" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kapcare.context_processors.navigation",
                "kapcare.messaging.context_processors.unread_messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'kapcare.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing at once; IMMEDIATE takes the write lock
    # at BEGIN so a check-then-write inside a transaction cannot race another writer.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
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
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failed logins (django-axes): 5 failures lock the account for
# 15 minutes, counted per account (an attacker cannot rotate addresses) and per
# address (nor rotate accounts).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
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
STATIC_ROOT = BASE_DIR / "staticfiles"
# The project-wide stylesheet and vendored front-end libraries (see README for versions).
STATICFILES_DIRS = [BASE_DIR / "kapcare" / "static"]
# Uploaded files (a therapist's training certificate) are never served as static files:
# there is no MEDIA_URL; a view checks the policy and streams the file.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# An upload above 5 MB is refused at the field (a scanned certificate is well under).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

globals().update(email_settings(os.environ.get("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kapcare <no-reply@kapcare.invalid>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")  # job's links

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
    if envbool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every PDF at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
