"""The single-purpose link service: sending, and resolving a token."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures import links
from kapcare.measures.models import AssessmentLink


@pytest.fixture
def actor(coordinator):
    return Actor(user=coordinator, ip_address="127.0.0.1")


def send(actor, patient, instrument="phq9", capture=None):
    with capture(execute=True):
        return links.send_questionnaire_link(actor=actor, patient=patient, instrument=instrument)


def token_from(message) -> str:
    return re.search(r"/questionnaires/([A-Za-z0-9_-]+)/", message.body).group(1)


def test_sending_emails_the_patient_a_link_without_health_information(
    actor, patient, django_capture_on_commit_callbacks
):
    send(actor, patient, "phq9", django_capture_on_commit_callbacks)

    message = mail.outbox[-1]
    assert message.to == [patient.email]
    assert message.subject == f"A questionnaire from {patient.clinic.name}"
    # The random token is left out: it may spell anything, "PHQ" included.
    text = (message.subject + message.body).replace(token_from(message), "")
    for private in (patient.given_name, patient.family_name, "PHQ", "Patient Health", "depress"):
        assert private not in text
    assert f"{settings.SITE_URL}/questionnaires/" in message.body
    assert "works once" in message.body


def test_only_the_tokens_hash_is_stored(actor, patient, django_capture_on_commit_callbacks):
    link = send(actor, patient, "gad7", django_capture_on_commit_callbacks)

    token = token_from(mail.outbox[-1])
    assert len(token) >= 43
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(AssessmentLink.objects.values_list())


def test_link_expires_after_the_clinics_setting(
    actor, patient, clinic, django_capture_on_commit_callbacks
):
    clinic.questionnaire_link_valid_days = 3
    clinic.save(update_fields=["questionnaire_link_valid_days"])
    patient.refresh_from_db()
    before = timezone.now()

    link = send(actor, patient, "phq9", django_capture_on_commit_callbacks)

    assert before + dt.timedelta(days=3) <= link.expires_at <= timezone.now() + dt.timedelta(days=3)
    local = timezone.localtime(link.expires_at, clinic.zone)
    assert f"{local:%B} {local.day}, {local.year}" in mail.outbox[-1].body


def test_sending_is_logged_against_the_patient(actor, patient, django_capture_on_commit_callbacks):
    link = send(actor, patient, "phq9", django_capture_on_commit_callbacks)

    entry = AccessLogEntry.objects.get(object_type="assessmentlink")
    assert (entry.patient_id, entry.action, entry.actor_id, entry.object_id) == (
        patient.pk,
        AccessAction.CREATE,
        actor.user.pk,
        str(link.external_id),
    )


def test_a_patient_without_email_gets_a_clear_error_and_nothing_is_sent(actor, patient):
    patient.email = ""
    patient.save(update_fields=["email"])

    with pytest.raises(links.LinkError, match="no email address"):
        links.send_questionnaire_link(actor=actor, patient=patient, instrument="phq9")

    assert not AssessmentLink.objects.exists()
    assert mail.outbox == []


def test_unknown_instrument_is_refused(actor, patient):
    with pytest.raises(links.LinkError, match="Unknown questionnaire"):
        links.send_questionnaire_link(actor=actor, patient=patient, instrument="bdi2")


def test_a_new_link_replaces_an_unused_one_for_the_same_questionnaire(
    actor, patient, django_capture_on_commit_callbacks
):
    send(actor, patient, "phq9", django_capture_on_commit_callbacks)
    first_token = token_from(mail.outbox[-1])
    send(actor, patient, "gad7", django_capture_on_commit_callbacks)
    other_token = token_from(mail.outbox[-1])
    send(actor, patient, "phq9", django_capture_on_commit_callbacks)
    second_token = token_from(mail.outbox[-1])

    with pytest.raises(links.LinkExpired):
        links.resolve_link(first_token)
    assert links.resolve_link(second_token).instrument == "phq9"
    assert links.resolve_link(other_token).instrument == "gad7"


def test_resolve_refuses_unknown_tokens(db):
    with pytest.raises(links.LinkUnknown):
        links.resolve_link("not-a-token")
    with pytest.raises(links.LinkUnknown):
        links.resolve_link("")


def test_resolve_refuses_expired_links(actor, patient, django_capture_on_commit_callbacks):
    link = send(actor, patient, "phq9", django_capture_on_commit_callbacks)
    token = token_from(mail.outbox[-1])

    with (
        time_machine.travel(link.expires_at + dt.timedelta(seconds=1)),
        pytest.raises(links.LinkExpired) as raised,
    ):
        links.resolve_link(token)

    assert raised.value.link.pk == link.pk


def test_resolve_refuses_used_links(actor, patient, django_capture_on_commit_callbacks):
    link = send(actor, patient, "phq9", django_capture_on_commit_callbacks)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])

    with pytest.raises(links.LinkUsed):
        links.resolve_link(token_from(mail.outbox[-1]))
