"""Secret tokens in paths never reach a log line: Django's request loggers, runserver's
request lines and gunicorn's access log (the last, end to end, in test_serving.py)."""

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils.log import ServerFormatter

from kapcare.deployment.log_redaction import RedactingGunicornLogger, redact

TOKEN = "q7Vx2secretFEEDtoken_AbC-9"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /calendar/{TOKEN}.ics HTTP/1.1", "GET /calendar/[redacted].ics HTTP/1.1"),
        (f"/calendar/{TOKEN}.ics?x=1", "/calendar/[redacted].ics?x=1"),
        (f"/questionnaires/{TOKEN}/", "/questionnaires/[redacted]/"),
        ("/questionnaires/thank-you/", "/questionnaires/thank-you/"),
        (f"/invitations/{TOKEN}/", "/invitations/[redacted]/"),
        (f"/accounts/password-reset/MQ/{TOKEN}/", "/accounts/password-reset/MQ/[redacted]/"),
        ("/accounts/password-reset/sent/", "/accounts/password-reset/sent/"),
        ("/calendar/", "/calendar/"),
        ("/patients/3f2b/", "/patients/3f2b/"),
    ],
)
def test_redact_cuts_the_secret_segment_only(text, expected):
    assert redact(text) == expected


def test_a_feed_not_found_is_logged_by_django_request_without_its_token(db, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().get(f"/calendar/{TOKEN}.ics")

    assert response.status_code == 404
    messages = [record.getMessage() for record in caplog.records]
    assert "Not Found: /calendar/[redacted].ics" in messages
    assert not any(TOKEN in message for message in messages)


def test_runserver_request_lines_are_logged_without_the_token():
    """The `django.server` handler, as configured in settings, given the record runserver
    logs for each request (the request line is an argument of the message)."""
    handler = next(
        handler
        for handler in logging.getLogger("django.server").handlers
        if isinstance(handler.formatter, ServerFormatter)
    )
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        (f"GET /calendar/{TOKEN}.ics HTTP/1.1", "200", "512"), None,
    )  # fmt: skip
    record.status_code = 200

    assert handler.filter(record)
    logged = handler.format(record)

    assert logged.endswith('"GET /calendar/[redacted].ics HTTP/1.1" 200 512')
    assert TOKEN not in logged


def test_gunicorns_access_log_fields_are_redacted():
    logger = RedactingGunicornLogger.__new__(RedactingGunicornLogger)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/{TOKEN}.ics",
        "PATH_INFO": f"/calendar/{TOKEN}.ics",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": f"https://kap.example.org/calendar/{TOKEN}.ics",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.cfg = SimpleNamespace(access_log_format="")

    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=12))

    assert atoms["r"] == "GET /calendar/[redacted].ics HTTP/1.1"
    assert atoms["U"] == "/calendar/[redacted].ics"
    assert atoms["f"] == "https://kap.example.org/calendar/[redacted].ics"
    assert atoms["h"] == "203.0.113.7"
    assert not any(TOKEN in str(value) for value in atoms.values())
