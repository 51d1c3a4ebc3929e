"""The chart's "Course of care" shows the patient's latest sessions (and each episode's
next one), however long the record: the rest are on each episode's page."""

import datetime as dt

from django.test import RequestFactory

from kapcare.episodes import chart
from kapcare.episodes.models import CareSession, SessionStatus
from tests.factories import open_episode, plan_session

FIRST = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)


def section_for(user, patient):
    request = RequestFactory().get("/")
    request.user = user
    return chart.chart_context(request, patient)


def test_a_long_course_shows_its_latest_sessions_and_the_next_one(patient, clinician):
    episode = open_episode(patient, clinician)
    weeks = range(chart.SESSIONS_SHOWN + 3)
    sessions = [
        plan_session(
            episode, clinician, kind="integration", starts_at=FIRST + dt.timedelta(weeks=n)
        )
        for n in weeks
    ]
    CareSession.objects.filter(pk__in=[s.pk for s in sessions[:-1]]).update(
        status=SessionStatus.DONE
    )
    CareSession.objects.filter(pk=sessions[-1].pk).update(
        planned_start=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
        planned_end=dt.datetime.now(dt.UTC) + dt.timedelta(days=2, hours=1),
    )

    section = section_for(clinician, patient)

    (shown,) = section["episodes"]
    assert [s.pk for s in shown.timeline] == [s.pk for s in sessions[-chart.SESSIONS_SHOWN :]]
    assert shown.next_session.pk == sessions[-1].pk
    assert section["has_earlier_sessions"]


def test_a_short_course_shows_every_session(patient, clinician):
    episode = open_episode(patient, clinician)
    plan_session(episode, clinician, kind="integration", starts_at=FIRST)

    section = section_for(clinician, patient)

    assert len(section["episodes"][0].timeline) == 1
    assert not section["has_earlier_sessions"]
