"""`/healthz`: for a load balancer or monitor, no sign-in, no patient data."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError, connection

from kapcare.deployment import health


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(client, db, caplog):
    broken = OperationalError('connection to server at "127.0.0.1", port 5432 failed')
    with mock.patch.object(connection, "cursor", side_effect=broken):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}
    # The reason is for the operator's log, not for whoever asked.
    assert "port 5432" not in response.content.decode()
    assert any(
        record.levelno == logging.ERROR and "'database'" in record.getMessage()
        for record in caplog.records
    )


def test_each_check_is_one_entry_of_the_answer(client, db):
    def queue() -> None:
        raise ConnectionError("no worker")

    with mock.patch.object(health, "CHECKS", [*health.CHECKS, ("queue", queue)]):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "queue": "error"}


def test_healthz_needs_no_sign_in_and_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_only_answers_reads(client, db, method):
    assert getattr(client, method)("/healthz").status_code == 405
