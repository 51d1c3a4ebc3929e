"""Settings for a real worker process started by tests/test_background_worker.py: the
test settings with the database task backend, emails written to files (and held in the
middle of a send while a flag file exists), and short lease and job periods so the test
takes seconds. The database is the file named by DATABASE_URL."""

import os
from datetime import timedelta

from kapcare.test_settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = "tests.mail_backends.HeldFileBackend"
EMAIL_FILE_PATH = os.environ["KAPCARE_MAIL_DIR"]
NOTIFICATION_LEASE = timedelta(seconds=3)
SCHEDULED_JOBS_EVERY = timedelta(seconds=1)
SITE_URL = "https://kap.example.org"
