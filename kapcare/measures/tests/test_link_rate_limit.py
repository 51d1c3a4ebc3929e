"""An address that keeps opening questionnaire links that do not work must wait; a
patient's own link is not slowed by it."""

import re

import pytest
from django.core import mail
from django.urls import reverse


@pytest.fixture
def link_path(client, coordinator, patient, django_capture_on_commit_callbacks) -> str:
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("measures:send_link", args=[patient.external_id]), {"instrument": "phq9"}
        )
    client.logout()
    return re.search(r"https?://[^/]+(/questionnaires/[A-Za-z0-9_-]+/)", mail.outbox[-1].body)[1]


def guess(client, n, address="10.7.7.7"):
    return client.get(f"/questionnaires/not-a-real-token-{n}/", REMOTE_ADDR=address)


def test_guessing_links_from_one_address_is_stopped(client, db):
    statuses = [guess(client, n).status_code for n in range(25)]

    assert statuses[:20] == [404] * 20
    assert statuses[-1] == 429


def test_the_wait_is_explained_and_names_how_long(client, db):
    for n in range(22):
        guess(client, n)

    response = guess(client, 99)

    assert response.status_code == 429
    assert "Too many questionnaire links that do not work" in response.text
    assert int(response["Retry-After"]) > 0


def test_a_stopped_address_cannot_open_a_real_link_either(client, link_path):
    """Otherwise the one answer that is not 429 would tell a guesser they found one."""
    for n in range(22):
        guess(client, n)

    assert client.get(link_path, REMOTE_ADDR="10.7.7.7").status_code == 429


def test_the_patient_answering_their_link_is_not_slowed(client, link_path):
    for _ in range(30):
        assert client.get(link_path, REMOTE_ADDR="10.8.8.8").status_code == 200


def test_guesses_from_another_address_do_not_stop_the_patient(client, link_path):
    for n in range(25):
        guess(client, n, address="10.7.7.7")

    assert client.get(link_path, REMOTE_ADDR="10.8.8.8").status_code == 200
