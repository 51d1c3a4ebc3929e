"""What makes a SECRET_KEY strong enough for production.

Django signs sessions, password-reset links and CSRF tokens with SECRET_KEY; a guessable
key lets anyone forge a signed-in session. Django's own deploy check (security.W009) asks
for 50 characters and 5 distinct ones, and only warns; kapcare refuses to start instead,
and also refuses the example value from `docs/kapcare.env.example` and keys that repeat
themselves (a phrase typed twice has far less entropy than its length suggests).

Pure: imported by `kapcare/settings.py` before Django is set up.
"""

import zlib

MIN_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 10
# A random key does not compress (zlib adds a few bytes to it); a repeated pattern does.
# Hexadecimal keys land near 0.9 of their length, a phrase written twice near 0.6.
MIN_COMPRESSED_RATIO = 0.8

# The placeholder in docs/kapcare.env.example: copied as it is, it is known to everyone.
EXAMPLE_SECRET_KEY = (
    "replace-this-with-the-output-of-python3-c-import-secrets-print-secrets-token-urlsafe-50"
)
DEVELOPMENT_SECRET_KEY = "kapcare-development-only-not-secret"

HOW_TO_MAKE_ONE = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(50))"'


def secret_key_problem(key: str) -> str | None:
    """Why `key` may not sign production sessions, or None when it may."""
    if key in {EXAMPLE_SECRET_KEY, DEVELOPMENT_SECRET_KEY} or key.startswith("django-insecure-"):
        return f"SECRET_KEY is a published example value; {HOW_TO_MAKE_ONE}"
    if len(key) < MIN_LENGTH:
        return (
            f"SECRET_KEY has {len(key)} characters; at least {MIN_LENGTH} are needed; "
            f"{HOW_TO_MAKE_ONE}"
        )
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return (
            f"SECRET_KEY uses only {len(set(key))} different characters "
            f"(at least {MIN_DISTINCT_CHARACTERS}); {HOW_TO_MAKE_ONE}"
        )
    if len(zlib.compress(key.encode(), 9)) < MIN_COMPRESSED_RATIO * len(key.encode()):
        return f"SECRET_KEY repeats itself, so it is easy to guess; {HOW_TO_MAKE_ONE}"
    return None
