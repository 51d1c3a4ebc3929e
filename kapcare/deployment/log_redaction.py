"""Secret tokens cut out of the paths that server logs record.

A calendar application fetches its feed at `/calendar/<token>.ics` and the token is the
only credential it sends, so a log line with the full path would let whoever reads the
logs (an operator, a log shipper, a support ticket) subscribe to a patient's sessions.
The same holds for the single-use links in emails: questionnaires, therapist invitations
and password resets. Django's request loggers and gunicorn's access log both go through
`redact`.
"""

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"

SECRET_PATH_SEGMENTS = [
    re.compile(r"(/calendar/)[^/?#\s\"']+(\.ics)"),
    re.compile(r"(/questionnaires/)(?!thank-you/)[^/?#\s\"']+(/)"),
    re.compile(r"(/invitations/)[^/?#\s\"']+(/)"),
    re.compile(r"(/password-reset/[^/?#\s\"']+/)[^/?#\s\"']+(/)"),
]


def redact(text: str) -> str:
    """`text` with the secret segment of every token-bearing path replaced."""
    for pattern in SECRET_PATH_SEGMENTS:
        text = pattern.sub(rf"\g<1>{REDACTED}\g<2>", text)
    return text


class RedactSecretTokens(logging.Filter):
    """A logging filter: formats the record's message once, redacted, so no handler or
    formatter after it sees the token (Django's `django.server` and `django.request`
    loggers put the path in the message's arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger with every access-log field (request line, path, query, referer)
    redacted: gunicorn writes its access log itself, outside Django's logging, so the
    filter above never sees it."""

    def atoms(self, resp, req, environ, request_time):
        fields = super().atoms(resp, req, environ, request_time)
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in fields.items()
        }
