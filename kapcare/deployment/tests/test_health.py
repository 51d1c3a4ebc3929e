"""`/healthz`: for a load balancer or monitor, no sign-in, no patient data."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError, connection

from kapcare.deployment import health
from kapcare.queue import QueueHealth


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(client, db, caplog):
    broken = OperationalError('connection to server at "127.0.0.1", port 5432 failed')
    with mock.patch.object(connection, "cursor", side_effect=broken):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"
    # The reason is for the operator's log, not for whoever asked.
    assert "port 5432" not in response.content.decode()
    assert any(
        record.levelno == logging.ERROR and "'database'" in record.getMessage()
        for record in caplog.records
    )


def test_healthz_answers_503_when_no_worker_does_the_background_work(client, db, caplog):
    stalled = QueueHealth("failed", "a task has waited 14 minutes to start")
    with mock.patch.object(health, "queue_health", return_value=stalled):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "queue": "error"}
    assert "14 minutes" not in response.content.decode()
    assert any(
        record.exc_info is not None and "14 minutes" in str(record.exc_info[1])
        for record in caplog.records
    )


def test_healthz_needs_no_sign_in_and_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_only_answers_reads(client, db, method):
    assert getattr(client, method)("/healthz").status_code == 405
