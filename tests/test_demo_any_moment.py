"""`manage.py demo` on an empty database: it refuses to run with DEBUG off, and it loads
whatever the day and hour. Apart from tests/test_demo.py, whose tests share one loaded demo."""

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError
from django.utils import timezone

from kapcare.accounts.models import User
from kapcare.clinics.models import Clinic
from kapcare.episodes.models import Episode, EpisodeState
from kapcare.notifications.models import Notification
from kapcare.patients.models import Patient
from tests.test_demo import run_demo


def _last(weekday: int, hour: int, minute: int = 0) -> dt.datetime:
    """The latest past `weekday` (Monday = 0) at `hour`:`minute` UTC, a week back at most."""
    today = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=7)
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


@pytest.mark.django_db
def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        run_demo()

    assert not Clinic.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("weekday", "hour", "minute"),
    [
        pytest.param(6, 14, 0, id="a Sunday morning in Nashville"),
        pytest.param(1, 4, 30, id="10:30 PM the evening before"),
        pytest.param(4, 23, 45, id="a Friday, after closing"),
    ],
)
def test_demo_loads_whatever_the_day_and_hour(db, settings, weekday, hour, minute):
    """Sessions are placed relative to the moment the demo is loaded: past doses are
    given at their own time, today's is under way however late it is."""
    settings.DEBUG = True
    with time_machine.travel(_last(weekday, hour, minute), tick=False):
        run_demo()

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
