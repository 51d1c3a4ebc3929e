"""The kept per-episode outcome summaries: written from the definitions, refreshed when a
patient's PHQ-9, doses or episodes change and the change commits, rebuilt by a command,
and read by each figure in one query."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment, AssessmentStatus, Source
from kapcare.outcomes import figures
from kapcare.outcomes.figures import GroupBy, Period
from kapcare.outcomes.models import OutcomeSummary
from kapcare.outcomes.tests.factories import course

pytestmark = pytest.mark.django_db


def test_a_responder_is_kept_with_its_baseline_latest_and_time_to_relapse(clinic):
    episode = course(clinic, baseline=20, after=4, later=[(60, 5), (120, 14)])

    kept = OutcomeSummary.objects.get(episode=episode)

    assert (kept.baseline_total, kept.latest_total) == (20, 14)
    assert (kept.has_baseline, kept.is_responder, kept.is_remitter) == (True, True, True)
    assert kept.relapsed is True
    assert kept.relapse_days == pytest.approx(120)


def test_a_phq9_saved_refreshes_the_summary_when_it_commits(
    clinic, django_capture_on_commit_callbacks
):
    episode = course(clinic, baseline=20, after=4)
    assert OutcomeSummary.objects.get(episode=episode).relapsed is False

    with django_capture_on_commit_callbacks(execute=True):
        Assessment.objects.create(
            patient=episode.patient,
            instrument=PHQ9.id,
            status=AssessmentStatus.COMPLETED,
            answers=[],
            total=16,
            source=Source.PORTAL,
            completed_at=timezone.now() - dt.timedelta(days=1),
        )

    kept = OutcomeSummary.objects.get(episode=episode)
    assert (kept.latest_total, kept.relapsed) == (16, True)


def test_the_rebuild_writes_what_bulk_writes_left_out(clinic, other_clinic):
    course(clinic, after=4)
    course(other_clinic, after=4)
    OutcomeSummary.objects.all().delete()

    call_command("rebuild_outcome_summaries", "--clinic", clinic.slug, stdout=StringIO())
    assert list(OutcomeSummary.objects.values_list("clinic_id", flat=True)) == [clinic.pk]

    call_command("rebuild_outcome_summaries", stdout=StringIO())
    assert OutcomeSummary.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("rebuild_outcome_summaries", "--clinic", "no-such-clinic")


@pytest.mark.parametrize("episodes", [1, 15])
def test_each_figure_is_one_query_whatever_the_number_of_episodes(clinic, episodes):
    for n in range(episodes):
        course(clinic, model=("bracketed", "standalone")[n % 2], after=4, later=[(90, 12)])

    with CaptureQueriesContext(connection) as rates:
        rows = figures.rates(clinic, GroupBy.MODEL, Period())
    with CaptureQueriesContext(connection) as durability:
        figure = figures.durability(clinic, Period())

    assert (len(rates), len(durability)) == (1, 1)
    assert sum(row.episodes for row in rows) == episodes
    assert sum(group.responders for group in figure.groups) == episodes


def test_a_change_of_the_clinics_outcome_settings_rebuilds_its_summaries(
    clinic, clinic_admin, django_capture_on_commit_callbacks
):
    from kapcare.clinics.services import change_settings

    episode = course(clinic, baseline=20, after=9)  # a 55 % fall: a response at 50 %
    assert OutcomeSummary.objects.get(episode=episode).is_responder is True

    with django_capture_on_commit_callbacks(execute=True):
        change_settings(
            acting_user=clinic_admin, clinic=clinic, values={"response_fall_percent": 60}
        )

    assert OutcomeSummary.objects.get(episode=episode).is_responder is False
