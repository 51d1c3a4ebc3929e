"""`Idempotency-Key` on `POST /dosing-sessions/{id}/vitals`: a device that retries gets the
first answer back and the reading is recorded once; the same key with another body is
refused at the key; keys are per user and per session."""

from contextlib import contextmanager
from unittest import mock

import pytest
import time_machine
from django.db.models import QuerySet

from kapcare.dosing.models import Observation, VitalSource, VitalsRequestKey
from kapcare.dosing.tests.test_api import bearer, vitals_url
from kapcare.dosing.tests.test_vitals_service import NOW, actor, dosing_record
from kapcare.dosing.vitals import services as vitals_services
from kapcare.refusals import Refused
from tests.factories import PatientFactory, UserFactory

KEY = "5b7f7a8e-0d7e-4a43-9a51-2f1f6f9c1d11"
READING = {"hr": 72, "sbp": 128, "dbp": 80, "spo2": 98}


@pytest.fixture(autouse=True)
def at_twenty_past_nine():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def record(patient, clinician):
    return dosing_record(patient, clinician)


def send(client, record, user, body, key=KEY):
    headers = {**bearer(user), **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(vitals_url(record), body, content_type="application/json", headers=headers)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_records_nothing(
    client, clinician, record
):
    first = send(client, record, clinician, READING)
    with time_machine.travel(NOW.replace(minute=21), tick=False):
        retry = send(client, record, clinician, {"spo2": 98, "dbp": 80, "sbp": 128, "hr": 72})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert Observation.objects.filter(record=record).count() == 4
    assert VitalsRequestKey.objects.count() == 1


def test_the_same_key_with_another_reading_answers_422_at_the_key(client, clinician, record):
    send(client, record, clinician, READING)

    response = send(client, record, clinician, {**READING, "hr": 140})

    assert response.status_code == 422
    assert "idempotency_key" in response.json()["errors"]
    assert not Observation.objects.filter(record=record, value=140).exists()


def test_without_a_key_each_post_records_a_reading(client, clinician, record):
    send(client, record, clinician, READING, key=None)
    send(client, record, clinician, READING, key=None)

    assert Observation.objects.filter(record=record).count() == 8


def test_a_key_belongs_to_one_user_and_one_session(client, clinician, clinic, record):
    colleague = UserFactory(role="clinician", clinic=clinic)
    other_record = dosing_record(PatientFactory(clinic=clinic), colleague)

    send(client, record, clinician, READING)
    send(client, record, colleague, READING)
    send(client, other_record, clinician, READING)

    assert Observation.objects.filter(record=record).count() == 8
    assert Observation.objects.filter(record=other_record).count() == 4


def test_a_refused_reading_stores_no_key_so_the_corrected_one_may_use_it(client, clinician, record):
    refused = send(client, record, clinician, {"hr": 900})
    accepted = send(client, record, clinician, READING)

    assert (refused.status_code, accepted.status_code) == (422, 201)


@pytest.mark.parametrize("key", ["", "x" * 256, "two words"])
def test_a_key_that_cannot_be_one_answers_422(client, clinician, record, key):
    response = send(client, record, clinician, READING, key=key)

    assert response.status_code == 422
    assert "idempotency_key" in response.json()["errors"]
    assert not Observation.objects.exists()


def their_key(user, record, fingerprint, response):
    """The other request's answer, committed."""
    VitalsRequestKey.objects.create(
        user=user,
        record=record,
        key=KEY,
        fingerprint=fingerprint,
        status_code=201,
        response=response,
    )


@contextmanager
def checked_before_theirs_committed():
    """Our look for a stored answer ran before the other request committed: it saw none."""
    real_first = QuerySet.first

    def first(queryset):
        return None if queryset.model is VitalsRequestKey else real_first(queryset)

    with mock.patch.object(QuerySet, "first", first):
        yield


def test_when_two_requests_cross_the_second_is_undone_and_answered_with_the_first(
    clinician, record
):
    """The other request stores its answer between our check and our insert: the unique
    constraint refuses ours, our reading is rolled back, and we answer with theirs."""
    theirs = {"reading_id": "theirs"}
    their_key(clinician, record, "same", theirs)

    with checked_before_theirs_committed():
        status, body = vitals_services.record_vitals_once(
            actor=actor(clinician),
            record=record,
            key=KEY,
            fingerprint="same",
            answer=lambda result: {"reading_id": str(result.reading_id)},
            taken_at=NOW,
            values=READING,
            source=VitalSource.DEVICE,
        )

    assert (status, body) == (201, theirs)
    assert not Observation.objects.filter(record=record).exists()
    assert VitalsRequestKey.objects.count() == 1


def test_a_crossing_request_with_another_body_is_refused(clinician, record):
    their_key(clinician, record, "other", {})

    with checked_before_theirs_committed(), pytest.raises(Refused) as refusal:
        vitals_services.record_vitals_once(
            actor=actor(clinician),
            record=record,
            key=KEY,
            fingerprint="mine",
            answer=lambda result: {},
            taken_at=NOW,
            values=READING,
            source=VitalSource.DEVICE,
        )

    assert "idempotency_key" in refusal.value.problems
    assert not Observation.objects.filter(record=record).exists()
