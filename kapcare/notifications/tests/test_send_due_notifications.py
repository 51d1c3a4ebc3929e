"""`manage.py send_due_notifications`: appointment reminders to the patient (and, for a
dose, to the therapist the patient shares their schedule with), overdue integrations
flagged to the clinic and the therapist, each once however often the job runs, in a
fixed number of queries."""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.consents import services as consents
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.notifications import services
from kapcare.notifications.models import Notification
from kapcare.notifications.scheduled import queue_due_notifications
from kapcare.scopes import Scope
from tests.clock import spoken_day, today, wall_clock, zone_abbreviation
from tests.factories import (
    PatientFactory,
    RoomFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
)

SITE = "https://kap.example.org"
START = wall_clock(days=7, hour=9)  # a week ahead, 9:00 AM in Chicago
DAY_BEFORE = START - dt.timedelta(hours=24)
REMINDER = "Your appointment at Music City Ketamine"
THERAPIST_REMINDER = "An appointment at Music City Ketamine"
OVERDUE = "kapcare: an integration session is overdue at Music City Ketamine"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def run(at: dt.datetime, *args) -> str:
    out = io.StringIO()
    with time_machine.travel(at, tick=False):
        call_command("send_due_notifications", *args, stdout=out)
    return out.getvalue().strip()


def sent(subject: str) -> list[str]:
    """Who was emailed with this subject, in order."""
    return [message.to[0] for message in mail.outbox if message.subject == subject]


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


def dose(episode, clinician, starts_at=START, room=None):
    return plan_session(episode, clinician, starts_at=starts_at, room=room)


# --- Appointment reminders -------------------------------------------------------------------


def test_the_patient_is_reminded_once_the_session_is_within_24_hours(
    episode, clinician, patient_user
):
    dose(episode, clinician)

    run(DAY_BEFORE - dt.timedelta(minutes=1))
    assert sent(REMINDER) == []

    run(DAY_BEFORE)
    assert sent(REMINDER) == [patient_user.email]
    (message,) = [m for m in mail.outbox if m.subject == REMINDER]
    assert (
        f"You have an appointment at Music City Ketamine on {spoken_day(START)} "
        f"at 9:00 AM {zone_abbreviation(START)}." in message.body
    )
    assert f"{SITE}/accounts/login/" in message.body


def test_running_the_job_twice_sends_one_reminder(episode, clinician):
    dose(episode, clinician)

    first = run(DAY_BEFORE)
    second = run(DAY_BEFORE + dt.timedelta(minutes=1))

    assert len(sent(REMINDER)) == 1
    assert first == "queued 1, sent 1, failed 0"
    assert second == "queued 0, sent 0, failed 0"


def test_a_patient_without_a_portal_account_is_reminded_at_the_address_on_their_record(
    other_patient, clinician
):
    plan_session(
        open_episode(other_patient, clinician),
        clinician,
        kind="preparation",
        starts_at=START,
        room=RoomFactory(clinic=other_patient.clinic),
    )

    run(DAY_BEFORE)

    assert sent(REMINDER) == [other_patient.email]


def test_a_session_at_the_therapists_own_practice_is_left_to_the_practice(
    episode, clinician, patient
):
    # No appointment at the clinic: "your appointment at <clinic>" would send the patient
    # to the wrong place.
    plan_session(episode, clinician, kind="integration", starts_at=START)

    run(DAY_BEFORE)

    assert sent(REMINDER) == []


def test_a_patient_with_no_address_at_all_is_skipped(clinic, clinician):
    nobody = PatientFactory(clinic=clinic, email="")
    plan_session(open_episode(nobody, clinician), clinician, kind="preparation", starts_at=START)

    assert run(DAY_BEFORE) == "queued 0, sent 0, failed 0"


def test_a_session_moved_to_another_time_is_reminded_again(episode, clinician):
    session = dose(episode, clinician)
    run(DAY_BEFORE)

    CareSession.objects.filter(pk=session.pk).update(
        planned_start=START + dt.timedelta(hours=2), planned_end=START + dt.timedelta(hours=4)
    )
    run(DAY_BEFORE + dt.timedelta(hours=2))

    assert len(sent(REMINDER)) == 2


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.IN_PROGRESS])
def test_a_cancelled_or_started_session_is_not_reminded(episode, clinician, status):
    session = dose(episode, clinician)
    CareSession.objects.filter(pk=session.pk).update(status=status)

    run(DAY_BEFORE)

    assert sent(REMINDER) == []


def test_the_reminder_is_a_clinic_setting(clinic, episode, clinician):
    clinic.appointment_reminder_hours = 48
    clinic.save(update_fields=["appointment_reminder_hours"])
    dose(episode, clinician)

    run(START - dt.timedelta(hours=48))

    assert len(sent(REMINDER)) == 1


def test_the_therapist_sharing_the_schedule_is_reminded_of_a_dose(
    episode, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    dose(episode, clinician)

    run(DAY_BEFORE)
    run(DAY_BEFORE + dt.timedelta(minutes=1))

    assert sent(THERAPIST_REMINDER) == [therapist.email]
    (message,) = [m for m in mail.outbox if m.subject == THERAPIST_REMINDER]
    assert f"{SITE}/shared/patients/{patient.external_id}/" in message.body


def test_the_therapist_is_not_reminded_of_a_session_other_than_a_dose(
    episode, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    plan_session(
        episode,
        clinician,
        kind="integration",
        starts_at=START,
        room=RoomFactory(clinic=patient.clinic),
    )

    run(DAY_BEFORE)

    assert sent(REMINDER) == [patient.user.email]
    assert sent(THERAPIST_REMINDER) == []


def test_a_therapist_without_the_schedule_scope_is_not_reminded(
    episode, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.MEASURES, Scope.SESSION_SUMMARIES])
    dose(episode, clinician)

    run(DAY_BEFORE)

    assert sent(THERAPIST_REMINDER) == []


def test_a_therapist_whose_authorisation_was_revoked_is_not_reminded(
    episode, clinician, patient, therapist
):
    authorization = authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    consents.revoke_authorization(
        actor=Actor(user=patient.user, ip_address="127.0.0.1"), authorization=authorization
    )
    dose(episode, clinician)

    run(DAY_BEFORE)

    assert sent(THERAPIST_REMINDER) == []


def test_a_therapist_whose_authorisation_expired_is_not_reminded(
    episode, clinician, patient, therapist
):
    authorize(
        patient, therapist, scopes=[Scope.SCHEDULE], expires_on=today() + dt.timedelta(days=1)
    )
    dose(episode, clinician)

    run(DAY_BEFORE)

    assert sent(THERAPIST_REMINDER) == []


def test_a_reminder_queued_before_a_revocation_is_cancelled_and_discloses_nothing(
    episode, clinician, patient, therapist
):
    authorization = authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    dose(episode, clinician)
    with time_machine.travel(DAY_BEFORE, tick=False):
        assert queue_due_notifications(DAY_BEFORE, SITE) == 2
    with time_machine.travel(DAY_BEFORE + dt.timedelta(seconds=30), tick=False):
        consents.revoke_authorization(
            actor=Actor(user=patient.user, ip_address="127.0.0.1"), authorization=authorization
        )

    run(DAY_BEFORE + dt.timedelta(minutes=1))

    assert sent(THERAPIST_REMINDER) == []
    assert sent(REMINDER) == [patient.user.email]
    row = Notification.objects.get(to_email=therapist.email, subject=THERAPIST_REMINDER)
    assert row.cancelled_at is not None
    assert "revoked" in row.cancel_reason
    assert not AccessLogEntry.objects.filter(patient=patient, channel=Channel.SYSTEM).exists()


def test_a_therapist_authorised_but_not_on_the_episode_is_not_reminded(episode, clinician, patient):
    another = UserFactory(email="ann@example.org", role=Role.THERAPIST, clinic=None)
    authorize(patient, another, scopes=[Scope.SCHEDULE])
    dose(episode, clinician)

    run(DAY_BEFORE)

    assert sent(THERAPIST_REMINDER) == []


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def test_reminders_are_queued_in_a_fixed_number_of_queries(clinic, clinician, therapist):
    def patients_with_a_dose(count, day):
        for n in range(count):
            patient = PatientFactory(clinic=clinic)
            episode = open_episode(patient, clinician, therapist=therapist)
            authorize(patient, therapist, scopes=[Scope.SCHEDULE], by=clinician)
            dose(episode, clinician, starts_at=START + dt.timedelta(days=day, hours=3 * n))

    patients_with_a_dose(1, day=0)
    patients_with_a_dose(4, day=7)

    one = count_queries(lambda: queue_due_notifications(DAY_BEFORE, SITE))
    many = count_queries(
        lambda: queue_due_notifications(START + dt.timedelta(days=6, hours=10), SITE)
    )

    assert Notification.objects.filter(key__startswith="reminder:").count() == 2 + 8
    assert one == many


# --- Overdue integrations --------------------------------------------------------------------

OVERDUE_AT = wall_clock(days=10, hour=12)
DOSING_MINUTES = 115


def overdue_dose(episode, clinician, hours=80, room=None):
    """A dose done whose block ended `hours` before OVERDUE_AT, no integration since."""
    starts_at = OVERDUE_AT - dt.timedelta(hours=hours, minutes=DOSING_MINUTES)
    session = dose(episode, clinician, starts_at=starts_at, room=room)
    CareSession.objects.filter(pk=session.pk).update(status=SessionStatus.DONE)
    return session


def test_an_overdue_integration_is_flagged_to_the_clinic_and_the_therapist_once(
    clinic, episode, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    given = overdue_dose(episode, clinician)

    run(OVERDUE_AT)
    run(OVERDUE_AT + dt.timedelta(minutes=1))

    assert sorted(sent(OVERDUE)) == sorted([clinic.clinical_inbox, therapist.email])
    assert set(
        Notification.objects.filter(kind="integration_overdue").values_list("key", flat=True)
    ) == {
        f"integration-overdue:{given.external_id}:{clinic.clinical_inbox}",
        f"integration-overdue:{given.external_id}:{therapist.email}",
    }
    (to_clinic,) = [m for m in mail.outbox if m.to == [clinic.clinical_inbox]]
    assert f"{SITE}/episodes/{episode.external_id}/" in to_clinic.body


def test_a_therapist_who_does_not_see_the_schedule_is_not_flagged(
    clinic, episode, clinician, patient, therapist
):
    # When the dose was is schedule information.
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    overdue_dose(episode, clinician)

    run(OVERDUE_AT)

    assert sent(OVERDUE) == [clinic.clinical_inbox]


def test_the_email_to_the_therapist_is_a_disclosure_in_the_patients_access_log(
    clinic, episode, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    given = overdue_dose(episode, clinician)

    run(OVERDUE_AT)
    run(OVERDUE_AT + dt.timedelta(minutes=1))

    (entry,) = AccessLogEntry.objects.filter(patient=patient, channel=Channel.SYSTEM)
    assert entry.action == AccessAction.DISCLOSE
    assert entry.object_id == str(given.external_id)


def test_a_therapist_without_a_live_authorisation_is_not_flagged(clinic, episode, clinician):
    overdue_dose(episode, clinician)

    run(OVERDUE_AT)

    assert sent(OVERDUE) == [clinic.clinical_inbox]


def test_a_clinic_without_a_clinical_inbox_is_flagged_at_its_address(clinic, episode, clinician):
    clinic.clinical_inbox = ""
    clinic.save(update_fields=["clinical_inbox"])
    overdue_dose(episode, clinician)

    run(OVERDUE_AT)

    assert sent(OVERDUE) == [clinic.email]


def test_a_dose_within_the_window_is_not_flagged(episode, clinician):
    overdue_dose(episode, clinician, hours=70)

    run(OVERDUE_AT)

    assert sent(OVERDUE) == []


def test_overdue_integrations_are_queued_in_a_fixed_number_of_queries(clinic, clinician, therapist):
    room = RoomFactory(clinic=clinic)

    def overdue_patients(count, hours):
        for n in range(count):
            patient = PatientFactory(clinic=clinic)
            episode = open_episode(patient, clinician, therapist=therapist)
            authorize(patient, therapist, scopes=[Scope.SCHEDULE], by=clinician)
            overdue_dose(episode, clinician, hours=hours + 3 * n, room=room)

    overdue_patients(1, hours=80)
    one = count_queries(lambda: queue_due_notifications(OVERDUE_AT, SITE))
    overdue_patients(4, hours=200)
    many = count_queries(lambda: queue_due_notifications(OVERDUE_AT, SITE))

    assert Notification.objects.filter(kind="integration_overdue").count() == 2 * 5
    assert one == many


# --- The command -----------------------------------------------------------------------------


def test_the_job_refuses_to_run_without_the_address_its_links_use(settings, db):
    settings.SITE_URL = ""

    with pytest.raises(CommandError, match="SITE_URL"):
        run(DAY_BEFORE)


def test_the_address_may_be_given_on_the_command_line(settings, episode, clinician):
    settings.SITE_URL = ""
    dose(episode, clinician)

    run(DAY_BEFORE, "--site-url", "https://other.example.org/")

    (message,) = [m for m in mail.outbox if m.subject == REMINDER]
    assert "https://other.example.org/accounts/login/" in message.body


def test_the_job_reports_failures_and_what_it_gave_up_on(episode, clinician, settings):
    dose(episode, clinician)
    settings.EMAIL_BACKEND = "tests.mail_backends.DownBackend"
    assert run(DAY_BEFORE) == "queued 1, sent 0, failed 1"

    Notification.objects.update(attempts=services.MAX_ATTEMPTS - 1, due_at=DAY_BEFORE)
    err = io.StringIO()
    with time_machine.travel(DAY_BEFORE + dt.timedelta(minutes=1), tick=False):
        call_command("send_due_notifications", stdout=io.StringIO(), stderr=err)

    assert "after 10 attempts: SMTPServerDisconnected: Connection unexpectedly closed" in (
        err.getvalue()
    )
    assert run(DAY_BEFORE + dt.timedelta(hours=1)) == "queued 0, sent 0, failed 0"
    assert mail.outbox == []


def test_the_summary_can_be_silenced_for_cron(episode, clinician):
    dose(episode, clinician)

    assert run(DAY_BEFORE, "--verbosity", "0") == ""
    assert len(sent(REMINDER)) == 1
