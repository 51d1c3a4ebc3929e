"""Overdue integration: a KAP dose with no integration session done within the clinic's
window, listed on the coordinator's home page, in a fixed number of queries."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.episodes.queries import OverdueIntegration, overdue_integrations
from tests.factories import PatientFactory, RoomFactory, open_episode, plan_session

NOW = dt.datetime(2026, 12, 10, 18, 0, tzinfo=dt.UTC)
DOSING_MINUTES = 115  # check-in 15 + infusion 40 + recovery 60, the clinic's defaults


def ended_hours_ago(hours: float) -> dt.datetime:
    """The start of a dose whose block ended `hours` before NOW."""
    return NOW - dt.timedelta(hours=hours, minutes=DOSING_MINUTES)


def done(session: CareSession, started_at: dt.datetime | None = None) -> CareSession:
    """Recorded as done (the dosing pages' start-and-discharge flow is tested elsewhere)."""
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DONE, started_at=started_at
    )
    session.refresh_from_db()
    return session


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic)


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


def dose(episode, clinician, room, starts_at, started_at=None):
    return done(plan_session(episode, clinician, starts_at=starts_at, room=room), started_at)


def integration(episode, clinician, starts_at, status=SessionStatus.DONE, confirmation="Email"):
    """An integration session; one done by clinic staff carries the therapist's
    `confirmation` (pass "" for one recorded without it)."""
    session = plan_session(episode, clinician, kind="integration", starts_at=starts_at)
    CareSession.objects.filter(pk=session.pk).update(
        status=status, status_changed_by=clinician, therapist_confirmation=confirmation
    )
    return session


@pytest.mark.parametrize(
    ("hours_since_dose_ended", "is_overdue"),
    [(2, False), (71, False), (72, False), (73, True), (200, True)],
)
def test_dose_is_overdue_once_the_window_has_passed(
    episode, clinician, room, clinic, hours_since_dose_ended, is_overdue
):
    dose(episode, clinician, room, ended_hours_ago(hours_since_dose_ended))

    assert bool(overdue_integrations(clinic.pk, NOW)) is is_overdue


def test_overdue_item_says_how_long_and_names_the_therapist(
    episode, clinician, room, clinic, therapist
):
    given = dose(episode, clinician, room, ended_hours_ago(80))

    (item,) = overdue_integrations(clinic.pk, NOW)

    assert item.episode.pk == episode.pk
    assert item.dose_given_at == given.planned_start
    assert item.hours_overdue == 8
    assert item.therapist.pk == therapist.pk


def test_integration_done_after_the_dose_settles_it(episode, clinician, room, clinic):
    given = dose(episode, clinician, room, ended_hours_ago(100))
    integration(episode, clinician, given.planned_start + dt.timedelta(days=1))

    assert overdue_integrations(clinic.pk, NOW) == []


def test_integration_recorded_by_staff_without_the_therapists_confirmation_does_not_settle_it(
    episode, clinician, room, clinic
):
    given = dose(episode, clinician, room, ended_hours_ago(100))
    integration(episode, clinician, given.planned_start + dt.timedelta(days=1), confirmation="")

    assert [item.episode for item in overdue_integrations(clinic.pk, NOW)] == [episode]


def test_integration_recorded_by_the_episodes_therapist_settles_it(
    episode, clinician, therapist, room, clinic
):
    given = dose(episode, clinician, room, ended_hours_ago(100))
    session = integration(
        episode, clinician, given.planned_start + dt.timedelta(days=1), confirmation=""
    )
    CareSession.objects.filter(pk=session.pk).update(run_by=therapist, status_changed_by=therapist)

    assert overdue_integrations(clinic.pk, NOW) == []


def test_integration_only_planned_does_not_settle_it(episode, clinician, room, clinic):
    given = dose(episode, clinician, room, ended_hours_ago(100))
    integration(
        episode, clinician, given.planned_start + dt.timedelta(days=1), SessionStatus.PLANNED
    )

    assert len(overdue_integrations(clinic.pk, NOW)) == 1


def test_integration_before_the_last_dose_does_not_count_for_it(episode, clinician, room, clinic):
    first = dose(episode, clinician, room, ended_hours_ago(200))
    integration(episode, clinician, first.planned_start + dt.timedelta(days=1))
    dose(episode, clinician, room, ended_hours_ago(100))

    assert len(overdue_integrations(clinic.pk, NOW)) == 1


def test_dose_started_late_counts_the_window_from_its_real_end(episode, clinician, room, clinic):
    planned = ended_hours_ago(74)
    dose(episode, clinician, room, planned, started_at=planned + dt.timedelta(hours=3))

    assert overdue_integrations(clinic.pk, NOW) == []


def test_standalone_infusion_has_no_integration_to_miss(clinic, clinician, room):
    standalone = open_episode(PatientFactory(clinic=clinic), clinician, model="standalone")
    dose(standalone, clinician, room, ended_hours_ago(100))

    assert overdue_integrations(clinic.pk, NOW) == []


def test_closed_episode_is_not_listed(episode, clinician, room, clinic):
    dose(episode, clinician, room, ended_hours_ago(100))
    episode.state = "discontinued"
    episode.save(update_fields=["state"])

    assert overdue_integrations(clinic.pk, NOW) == []


def test_other_clinics_doses_are_not_listed(episode, clinician, room, other_clinic):
    dose(episode, clinician, room, ended_hours_ago(100))

    assert overdue_integrations(other_clinic.pk, NOW) == []


def test_window_is_the_clinics_setting(episode, clinician, room, clinic):
    clinic.integration_window_hours = 24
    clinic.save(update_fields=["integration_window_hours"])
    dose(episode, clinician, room, ended_hours_ago(30))

    assert len(overdue_integrations(clinic.pk, NOW)) == 1


def make_overdue(clinic, clinician, room, count, first=0):
    for n in range(first, first + count):
        episode = open_episode(PatientFactory(clinic=clinic), clinician)
        dose(episode, clinician, room, ended_hours_ago(100 + 3 * n))


def test_query_count_does_not_grow_with_episodes(
    clinic, clinician, room, django_assert_num_queries
):
    make_overdue(clinic, clinician, room, 5)

    with django_assert_num_queries(2):
        assert len(overdue_integrations(clinic.pk, NOW)) == 5


# --- The coordinator's home page ---------------------------------------------------------------


def test_coordinator_home_lists_overdue_integration_with_a_link_to_the_episode(
    client, coordinator, episode, clinician, room, time_machine
):
    time_machine.move_to(NOW, tick=False)
    dose(episode, clinician, room, ended_hours_ago(80))
    client.force_login(coordinator)

    page = client.get(reverse("coordinator_home")).content.decode()

    assert "Integration overdue" in page
    assert reverse("episodes:detail", kwargs={"episode_id": episode.external_id}) in page
    assert "8 hours" in page
    assert "Theo Therapist" in page


def test_listing_overdue_integration_is_logged(
    client, coordinator, episode, clinician, room, time_machine
):
    time_machine.move_to(NOW, tick=False)
    dose(episode, clinician, room, ended_hours_ago(80))
    client.force_login(coordinator)

    client.get(reverse("coordinator_home"))

    assert AccessLogEntry.objects.filter(
        actor=coordinator, patient=episode.patient, action=AccessAction.LIST
    ).exists()


def test_coordinator_home_query_count_does_not_grow_with_overdue_episodes(
    client, coordinator, clinic, clinician, room, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(NOW, tick=False)
    make_overdue(clinic, clinician, room, 1)
    client.force_login(coordinator)
    client.get(reverse("coordinator_home"))
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("coordinator_home"))
    make_overdue(clinic, clinician, room, 4, first=1)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("coordinator_home"))

    assert len(response.context["integration_overdue"]) == 5


@pytest.mark.parametrize(
    ("hours_late", "words"),
    [(1, "1 hour"), (5, "5 hours"), (47, "47 hours"), (48, "2 days"), (229, "9 days")],
)
def test_how_late_is_said_in_hours_then_days(hours_late, words):
    now = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    due_by = now - dt.timedelta(hours=hours_late, minutes=10)

    assert OverdueIntegration(None, None, None, due_by, now).overdue_in_words == words
