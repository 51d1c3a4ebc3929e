"""Settings for the test suite: production settings (DEBUG off) with a fixed secret,
plain-HTTP cookies for the live test server, and a fast password hasher."""

import os

os.environ.setdefault("SECRET_KEY", "kapcare-tests-only-8fQ2vL0xZr7TnW4yKc1HbM6sPd9JgE3uAo5Vi")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DEBUG"] = "0"
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("SITE_URL", "http://testserver")

from kapcare.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Serve static files from the apps' folders, as in development; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A replica alias that mirrors the test database (the root conftest points it there), for
# the router's tests; reads go to it only in a test that sets READ_REPLICA (and allows the
# alias), whatever DATABASE_REPLICA_URL the shell has.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
READ_REPLICA = ""

# Rate-limit counts in memory; the root conftest empties the cache before each test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Uploads land in a throw-away folder, not the working tree.
import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kapcare-media-"))  # noqa: F405

# Tasks run at once, in the test's thread (an email queued on commit is in mail.outbox when
# the block that captured the commit ends); the tests of the worker itself use the database
# backend (tests/test_background_worker.py).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
