"""Email backends for tests: a mail server that is down, and (for the worker test) a file
backend that can be held in the middle of a send."""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class DownBackend(BaseEmailBackend):
    """Every send fails as a mail server that hung up would."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class HeldFileBackend(FileBackend):
    """Writes each email to a file in EMAIL_FILE_PATH, like Django's file backend; while
    the file named by KAPCARE_HOLD_SENDING exists it first says so (a "sending" file) and
    waits, which lets a test kill the worker before the mail server has the email."""

    def send_messages(self, email_messages):
        hold = os.environ.get("KAPCARE_HOLD_SENDING")
        if hold and Path(hold).exists():
            Path(hold + ".sending").write_text(str(os.getpid()))
            while Path(hold).exists():
                time.sleep(0.05)
        return super().send_messages(email_messages)

    def _get_filename(self):
        # One file per email (Django's names one per connection by the clock).
        self._fname = str(Path(self.file_path) / f"{time.time_ns()}-{os.getpid()}.eml")
        return self._fname
