"""Production settings fail loudly without a secret or hosts, and are secure when given them.

Settings are read once per process, so each case imports `kapcare.settings` in a fresh
Python with a controlled environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kapcare.settings import email_settings, media_storage

REPO = Path(__file__).resolve().parent.parent
STRONG_KEY = "Yq3v-8NwZk1pTfR0sLx7GmB2hJc9UeA4oDi6WnKrE5tHyP_aQz"
SETTINGS_NAMES = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
    "ALLOWED_HOSTS",
    "SECURE_PROXY_SSL_HEADER",
]
READ_SETTINGS = (
    "import json, kapcare.settings as s; "
    f"print(json.dumps({{n: getattr(s, n, None) for n in {SETTINGS_NAMES!r}}}))"
)
CONTROLLED = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_TLS_PROXY", "SECURE_SSL_REDIRECT",
              "SECURE_HSTS_SECONDS", "DJANGO_SETTINGS_MODULE"}  # fmt: skip


def import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if name not in CONTROLLED}
    return subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        env={**clean, "DJANGO_SETTINGS_MODULE": "kapcare.settings", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_settings(**env: str) -> dict:
    result = import_settings(DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="kap.example", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_without_secret_key_refuses_to_start():
    result = import_settings(DEBUG="0", ALLOWED_HOSTS="kap.example")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = import_settings(DEBUG="0", SECRET_KEY=STRONG_KEY)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ALLOWED_HOSTS" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = import_settings(SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="kap.example")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["DEBUG"] is False


def test_production_uses_secure_cookies_hsts_and_https_redirect():
    values = production_settings()

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["ALLOWED_HOSTS"] == ["kap.example"]
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_behind_a_tls_proxy_trusts_its_forwarded_proto_header():
    values = production_settings(BEHIND_TLS_PROXY="1")

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_development_runs_without_a_secret_or_hosts():
    result = import_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is True
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("locmem://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
        (
            "smtp://u:p@host:587",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "host",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "u",
                "EMAIL_HOST_PASSWORD": "p",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        (
            "smtp://mail.example.org",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "mail.example.org",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "",
                "EMAIL_HOST_PASSWORD": "",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        (
            "smtp://relay.local:25?tls=0",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "relay.local",
                "EMAIL_PORT": 25,
                "EMAIL_HOST_USER": "",
                "EMAIL_HOST_PASSWORD": "",
                "EMAIL_USE_TLS": False,
                "EMAIL_USE_SSL": False,
            },
        ),
        (
            "smtps://apikey:s%2Fcr%40t@smtp.example.com",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "smtp.example.com",
                "EMAIL_PORT": 465,
                "EMAIL_HOST_USER": "apikey",
                "EMAIL_HOST_PASSWORD": "s/cr@t",
                "EMAIL_USE_TLS": False,
                "EMAIL_USE_SSL": True,
            },
        ),
    ],
)
def test_email_url_sets_the_email_backend(url, expected):
    assert email_settings(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "sendmail://", "", "mail.example.org"])
def test_email_url_with_an_unknown_scheme_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings(url)


def test_uploaded_files_stay_on_local_disk_without_a_media_storage_url():
    assert media_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_media_storage_url_puts_uploaded_files_in_a_shared_private_bucket(monkeypatch):
    from django.utils.module_loading import import_string

    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://objects.example.org")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")

    storage = media_storage("s3://kapcare-media/certificates/")
    backend = import_string(storage["BACKEND"])(**storage["OPTIONS"])

    assert storage["OPTIONS"]["bucket_name"] == "kapcare-media"
    assert backend.location == "certificates"
    assert backend.default_acl == "private"
    assert backend.endpoint_url == "https://objects.example.org"
    assert not backend.file_overwrite


@pytest.mark.parametrize("url", ["file:///var/media", "s3://", "kapcare-media"])
def test_a_media_storage_url_that_is_not_a_bucket_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_URL"):
        media_storage(url)
