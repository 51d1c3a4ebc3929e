"""Sending the long-term follow-up questionnaires, with the frozen clock."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from kapcare.audit.log import Actor
from kapcare.episodes.models import Episode, EpisodeTransition
from kapcare.follow_up import services
from kapcare.follow_up.models import FollowUpSend
from kapcare.measures.models import AssessmentLink
from tests.clock import wall_clock
from tests.factories import open_episode

START = wall_clock(days=-400, hour=10)


@pytest.fixture
def episode(patient, clinician):
    """An episode that moved to follow-up at START (the earlier states skipped: only the
    move to follow-up matters here)."""
    with time_machine.travel(START - dt.timedelta(days=60), tick=False):
        episode = open_episode(patient, clinician, model="blended")
    move(episode, "follow_up", START, clinician)
    return episode


def move(episode, to_state, at, by):
    EpisodeTransition.objects.create(
        episode=episode, from_state=episode.state, to_state=to_state, changed_by=by, changed_at=at
    )
    Episode.objects.filter(pk=episode.pk).update(state=to_state, state_changed_at=at)
    episode.state = to_state


def run(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.send_due_follow_ups()


def points(episode):
    return sorted(FollowUpSend.objects.filter(episode=episode).values_list("months", "instrument"))


def test_nothing_is_sent_before_the_first_point(episode, django_capture_on_commit_callbacks):
    assert run(START + dt.timedelta(days=27), django_capture_on_commit_callbacks) == 0
    assert points(episode) == []


def test_a_phq9_and_a_gad7_link_are_emailed_at_one_month(
    episode, patient, django_capture_on_commit_callbacks
):
    sent = run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks)

    assert sent == 2
    assert points(episode) == [(1, "gad7"), (1, "phq9")]
    links = AssessmentLink.objects.filter(patient=patient)
    assert sorted(links.values_list("instrument", flat=True)) == ["gad7", "phq9"]
    assert all(link.sent_by_id is None for link in links)
    assert [message.to for message in mail.outbox] == [[patient.email], [patient.email]]


def test_running_again_sends_nothing_twice(episode, django_capture_on_commit_callbacks):
    at = START + dt.timedelta(days=32)
    run(at, django_capture_on_commit_callbacks)
    outbox = len(mail.outbox)

    assert run(at + dt.timedelta(hours=1), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == outbox
    assert len(points(episode)) == 2


def test_each_point_is_sent_when_it_comes(episode, django_capture_on_commit_callbacks):
    run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks)
    run(START + dt.timedelta(days=95), django_capture_on_commit_callbacks)

    assert [months for months, _ in points(episode)] == [1, 1, 3, 3]


def test_a_missed_point_is_not_sent_late(episode, django_capture_on_commit_callbacks):
    run(START + dt.timedelta(days=200), django_capture_on_commit_callbacks)

    assert [months for months, _ in points(episode)] == [6, 6]


def test_a_completed_episode_still_gets_its_yearly_follow_up(
    episode, clinician, django_capture_on_commit_callbacks
):
    move(episode, "completed", START + dt.timedelta(days=100), clinician)

    run(START + dt.timedelta(days=370), django_capture_on_commit_callbacks)

    assert [months for months, _ in points(episode)] == [12, 12]


def test_a_patient_who_opted_out_is_sent_nothing(
    episode, patient, patient_user, django_capture_on_commit_callbacks
):
    services.record_preference(
        actor=Actor(user=patient_user, ip_address=None), patient=patient, opted_out=True
    )

    assert run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_opting_back_in_sends_the_current_point(
    episode, patient, coordinator, django_capture_on_commit_callbacks
):
    actor = Actor(user=coordinator, ip_address=None)
    with time_machine.travel(START, tick=False):
        services.record_preference(actor=actor, patient=patient, opted_out=True)
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        services.record_preference(actor=actor, patient=patient, opted_out=False)

    assert run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks) == 2


@pytest.mark.parametrize("state", ["discontinued", "in_treatment"])
def test_a_discontinued_episode_or_one_back_in_treatment_is_sent_nothing(
    episode, clinician, state, django_capture_on_commit_callbacks
):
    move(episode, state, START + dt.timedelta(days=10), clinician)

    assert run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks) == 0


def test_a_patient_without_an_email_address_is_sent_nothing(
    episode, patient, django_capture_on_commit_callbacks
):
    type(patient).objects.filter(pk=patient.pk).update(email="")

    assert run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks) == 0


def test_the_clinics_schedule_is_used(episode, clinic, django_capture_on_commit_callbacks):
    clinic.follow_up_months = "2, 4"
    clinic.save(update_fields=["follow_up_months"])

    assert run(START + dt.timedelta(days=32), django_capture_on_commit_callbacks) == 0
    run(START + dt.timedelta(days=62), django_capture_on_commit_callbacks)
    assert [months for months, _ in points(episode)] == [2, 2]


def test_an_answered_follow_up_link_is_an_ordinary_assessment(
    episode, patient, django_capture_on_commit_callbacks
):
    from kapcare.measures import links
    from kapcare.measures.instruments import INSTRUMENTS
    from kapcare.measures.models import Assessment, AssessmentStatus

    at = START + dt.timedelta(days=32)
    run(at, django_capture_on_commit_callbacks)
    sent = FollowUpSend.objects.get(episode=episode, instrument="gad7")
    tokens = [m.body.split("/questionnaires/")[1].split("/")[0] for m in mail.outbox]
    actor = Actor(user=None, ip_address=None)
    with time_machine.travel(at + dt.timedelta(hours=2), tick=False):
        token = next(t for t in tokens if links.resolve_link(t).pk == sent.link_id)
        answers = [1] * len(INSTRUMENTS["gad7"].items)
        links.complete_link(actor=actor, token=token, answers=answers)

    assessment = Assessment.objects.get(patient=patient, instrument="gad7")
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.total == len(answers)


def test_the_minute_job_sends_follow_ups_on_the_hour(
    episode, settings, django_capture_on_commit_callbacks
):
    from kapcare.notifications.tasks import minute_job

    settings.SITE_URL = "https://kap.example.org"
    on_the_hour = (START + dt.timedelta(days=32)).replace(minute=0, second=5)
    with (
        time_machine.travel(on_the_hour, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        minute_job.call()

    assert len(points(episode)) == 2
