"""The clinic's figures from its records: who counts, response and remission, durability."""

import datetime as dt

import pytest

from kapcare.outcomes import figures
from kapcare.outcomes.figures import GroupBy, Period
from kapcare.outcomes.tests.factories import course
from tests.clock import today

pytestmark = pytest.mark.django_db


def rows_by_group(clinic, group_by=GroupBy.MODEL, **kwargs):
    return {row.group: row for row in figures.rates(clinic, group_by, Period(), **kwargs)}


def test_rates_count_baselines_above_nine_responders_and_remitters(clinic):
    course(clinic, model="bracketed", baseline=20, after=4)  # response and remission
    course(clinic, model="bracketed", baseline=10, after=5)  # exactly 50 %: response
    course(clinic, model="bracketed", baseline=20, after=15)  # neither
    course(clinic, model="bracketed", baseline=9, after=0)  # baseline 9: not counted
    course(clinic, model="standalone", baseline=18, after=None)  # no outcome score
    rows = rows_by_group(clinic)
    bracketed = rows["bracketed"]
    assert (bracketed.episodes, bracketed.with_baseline) == (4, 3)
    assert (bracketed.responders, bracketed.remitters) == (2, 1)
    assert bracketed.response_rate == pytest.approx(0.6667, abs=1e-4)
    # Wilson (1927) 95 % score interval for 2 of 3, worked by hand: 0.2077–0.9385.
    assert bracketed.response_ci == pytest.approx([0.2077, 0.9385], abs=1e-4)
    standalone = rows["standalone"]
    assert (standalone.with_baseline, standalone.responders) == (1, 0)
    assert standalone.response_ci == pytest.approx([0.0, 0.7935], abs=1e-4)


def test_a_group_without_a_baseline_has_no_rate(clinic):
    course(clinic, baseline=None, after=4)
    row = rows_by_group(clinic)["bracketed"]
    assert row.with_baseline == 0
    assert row.response_rate is None
    assert row.response_ci is None


def test_rates_by_diagnosis_and_route(clinic):
    course(clinic, diagnosis="F33.2", route="iv", after=4)
    course(clinic, diagnosis="F43.10", route="im", after=19)
    by_diagnosis = rows_by_group(clinic, GroupBy.DIAGNOSIS)
    assert by_diagnosis["F33.2"].responders == 1
    assert by_diagnosis["F43.10"].responders == 0
    assert list(rows_by_group(clinic, GroupBy.ROUTE)) == ["iv", "im"]


def test_other_clinics_and_unfinished_episodes_are_not_counted(clinic, other_clinic):
    course(other_clinic, after=4)
    course(clinic, doses=0, after=4)
    assert rows_by_group(clinic) == {}


def test_the_period_is_of_first_doses(clinic):
    course(clinic, model="bracketed", after=4, first_dose_days_ago=200)
    course(clinic, model="standalone", after=4, first_dose_days_ago=20)
    recent = Period(start=today() - dt.timedelta(days=100), end=today())
    assert [row.group for row in figures.rates(clinic, GroupBy.MODEL, recent)] == ["standalone"]
    earlier = Period(end=today() - dt.timedelta(days=100))
    assert [row.group for row in figures.rates(clinic, GroupBy.MODEL, earlier)] == ["bracketed"]


def test_model_filter_keeps_one_model(clinic):
    course(clinic, model="bracketed", after=4)
    course(clinic, model="standalone", after=4)
    assert list(rows_by_group(clinic, model="standalone")) == ["standalone"]


def test_durability_follows_responders_to_relapse_or_last_contact(clinic):
    # Relapse 90 days after the end of induction; another censored at 200.
    course(clinic, model="bracketed", after=4, later=[(60, 6), (90, 14)])
    course(clinic, model="bracketed", after=3, later=[(200, 5)], first_dose_days_ago=400)
    course(clinic, model="standalone", after=4, later=[(30, 12)])
    course(clinic, model="standalone", after=20, later=[(30, 22)])  # not a responder
    figure = figures.durability(clinic, Period())
    groups = {group.group: group for group in figure.groups}
    assert groups["bracketed"].durations == pytest.approx([90.0, 200.0])
    assert groups["bracketed"].observed == [True, False]
    assert groups["bracketed"].steps[0]["survival"] == pytest.approx(0.5)
    assert groups["standalone"].responders == 1
    assert groups["standalone"].median == pytest.approx(30.0)
    assert figure.logrank is not None
    assert 0 < figure.logrank["p_value"] <= 1


def test_no_logrank_without_standalone_responders(clinic):
    course(clinic, model="bracketed", after=4, later=[(90, 14)])
    assert figures.durability(clinic, Period()).logrank is None


def test_starting_the_site_does_not_import_scipy():
    """scipy costs seconds to import: it is loaded by the first figure, not by the URLs."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, django; django.setup(); import kapcare.urls; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'numpy', 'lifelines'}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kapcare.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
