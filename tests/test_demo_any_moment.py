"""`manage.py demo` on an empty database: it refuses to run with DEBUG off, and it loads
whatever the day and hour. Apart from tests/test_demo.py, whose tests share one loaded demo."""

import pytest
import time_machine
from django.core.management import CommandError

from kapcare.accounts.models import User
from kapcare.clinics.models import Clinic
from kapcare.episodes.models import CareSession, Episode, EpisodeState
from kapcare.notifications.models import Notification
from kapcare.patients.models import Patient
from tests.clock import demo_moment
from tests.test_demo import assert_story_in_order, run_demo


@pytest.mark.django_db
def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        run_demo()

    assert not Clinic.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("weekday", "hour", "minute", "under_way"),
    [(6, 8, 0, 0), (4, 22, 30, 1), (2, 10, 40, 1), (3, 8, 30, 0)],
    ids=["sunday-morning", "friday-night", "weekday-morning", "weekday-before-the-first-dose"],
)
def test_demo_loads_whatever_the_day_and_hour(db, settings, weekday, hour, minute, under_way):
    """Sessions are placed relative to the moment the demo is loaded: past doses are
    given at their own time, today's is under way since its booked start (on a working
    day, once its block has begun), and every date is in story order."""
    settings.DEBUG = True
    with time_machine.travel(demo_moment(weekday, hour, minute), tick=False):
        run_demo()
        assert_story_in_order()

    # A dose is under way on a working day once the first block has begun; none at weekends.
    assert CareSession.objects.filter(status="in_progress").count() == under_way

    states = set(Episode.objects.values_list("state", flat=True))
    assert states == set(EpisodeState.values)


def test_demo_sends_its_emails_on_loading_without_health_information(
    db, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Every email the demo asks for goes out when it commits (printed by the console
    backend in development): nothing is left for `send_due_notifications` to send later
    to the demo's addresses, and none names a patient."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        run_demo()
    names = set(Patient.objects.values_list("given_name", "family_name"))

    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert len(mailoutbox) == Notification.objects.count()
    for email in mailoutbox:
        text = email.subject + email.body
        assert not any(f"{given} {family}" in text for given, family in names), email.subject
    assert {email.to[0] for email in mailoutbox} <= {
        "therapist@demo.kapcare.org",
        "patient@demo.kapcare.org",
        "sam.ortega@example.com",
        "hello@demo.kapcare.org",
        "clinical@demo.kapcare.org",
    }
