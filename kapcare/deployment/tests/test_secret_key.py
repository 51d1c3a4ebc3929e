"""Production refuses a SECRET_KEY that is short, published, or repeats itself."""

import re
import secrets
from pathlib import Path

import pytest
from django.core.management.utils import get_random_secret_key

from kapcare.deployment.secret_key import EXAMPLE_SECRET_KEY, secret_key_problem
from tests.test_settings_security import import_settings

ENV_EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "kapcare.env.example"


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(50),
        get_random_secret_key(),
        secrets.token_hex(32),
        "correct horse battery staple, lantern quartz 1987 Nashville!",
    ],
    # Named, not by value: each xdist worker draws its own random keys.
    ids=["token_urlsafe", "django", "token_hex", "passphrase"],
)
def test_a_random_key_of_fifty_characters_is_accepted(key):
    assert secret_key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("short", "5 characters"),
        (secrets.token_urlsafe(50)[:49], "49 characters"),
        ("a" * 60, "different characters"),
        ("ab12" * 15, "different characters"),
        ("my clinic secret my clinic secret my clinic secret 2026", "repeats itself"),
        ("abcdefghijklmnop" * 4, "repeats itself"),
        (EXAMPLE_SECRET_KEY, "example"),
        ("django-insecure-" + secrets.token_urlsafe(50), "example"),
    ],
    ids=[
        "short",
        "49-characters",
        "one-character",
        "four-characters",
        "repeated-phrase",
        "repeated-block",
        "documented-example",
        "django-insecure",
    ],
)
def test_a_weak_key_is_refused_with_the_reason(key, reason):
    assert reason in secret_key_problem(key)


def test_the_documented_example_key_is_the_one_refused():
    documented = re.search(r"^SECRET_KEY=(.*)$", ENV_EXAMPLE.read_text(), re.MULTILINE)

    assert documented.group(1) == EXAMPLE_SECRET_KEY
    assert secret_key_problem(documented.group(1)) is not None


@pytest.mark.parametrize("key", ["short", "x" * 64, EXAMPLE_SECRET_KEY])
def test_production_settings_refuse_to_load_with_a_weak_key(key):
    result = import_settings(DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="kap.example")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_development_accepts_any_key():
    result = import_settings(DEBUG="1", SECRET_KEY="short")

    assert result.returncode == 0, result.stderr
