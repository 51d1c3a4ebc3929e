"""Durations in words and the clinic's one time format (kapcare/words.py and the template
filters in kapcare/templatetags_times.py)."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone

from kapcare.consents import rules as consent_rules
from kapcare.words import duration_in_words


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(0), "0 minutes"),
        (dt.timedelta(seconds=59), "0 minutes"),
        (dt.timedelta(minutes=1), "1 minute"),
        (dt.timedelta(minutes=45), "45 minutes"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(hours=1, minutes=5), "1 hour 5 minutes"),
        (dt.timedelta(hours=47, minutes=59), "47 hours 59 minutes"),
        (dt.timedelta(hours=48), "2 days"),
        (dt.timedelta(hours=51, minutes=30), "2 days 3 hours"),
        (dt.timedelta(days=6, hours=23, minutes=59), "6 days 23 hours"),
        (dt.timedelta(days=7, hours=5), "7 days"),
        (dt.timedelta(hours=335, minutes=45), "13 days"),
        (dt.timedelta(days=14), "14 days"),
        (dt.timedelta(minutes=-5), "0 minutes"),
    ],
)
def test_a_duration_is_said_in_words_rounded_down(delta, words):
    assert duration_in_words(delta) == words


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


CHICAGO_MORNING = dt.datetime(2026, 3, 2, 15, 5, tzinfo=dt.UTC)  # 9:05 AM CST, a Monday


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("{{ t|clock }}", "9:05 AM"),
        ('{{ t|clock:"T" }}', "9:05 AM CST"),
        ("{{ t|moment }}", "Mar 2, 2026, 9:05 AM"),
        ('{{ t|moment:"D M j" }}', "Mon Mar 2, 9:05 AM"),
        ('{{ t|moment:"M j T" }}', "Mar 2, 9:05 AM CST"),
        ('{{ t|moment:"T" }}', "Mar 2, 2026, 9:05 AM CST"),
        ("{{ t|clock }}.", "9:05 AM."),  # no "a.m.." where a sentence ends
        ("{{ nothing|clock }}{{ nothing|moment }}", ""),
    ],
)
def test_times_are_shown_in_the_clinic_zone_and_one_format(source, shown):
    with timezone.override("America/Chicago"):
        assert render(source, t=CHICAGO_MORNING, nothing=None) == shown


def test_a_time_of_day_takes_the_same_format():
    assert render("{{ t|clock }}", t=dt.time(16, 30)) == "4:30 PM"


@override_settings(LANGUAGE_CODE="en-gb")
def test_the_format_follows_the_locale():
    with timezone.override("Europe/London"):
        assert render("{{ t|clock }}", t=CHICAGO_MORNING) == "15:05"


def test_a_duration_filter_speaks_in_words():
    assert render("{{ d|duration }}", d=dt.timedelta(hours=335, minutes=45)) == "13 days"


def test_the_consent_preview_names_a_sample_patient_and_the_clinic():
    values = consent_rules.sample_particulars("Music City Ketamine", "")
    text = consent_rules.fill_placeholders(
        "{{ patient_name }} at {{ clinic_name }} ({{ clinic_phone }}); {{ nonsense }}", values
    )

    assert text == "Alex Sample at Music City Ketamine (the clinic); {{ nonsense }}"
    assert set(consent_rules.PLACEHOLDERS) <= set(values)
