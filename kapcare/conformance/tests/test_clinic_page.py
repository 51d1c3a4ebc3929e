"""The clinic's conformance page: shares over a period from the stored results, and the
failing episodes of one element, a page at a time."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.conformance import rules
from kapcare.conformance.models import ConformanceResult
from kapcare.conformance.report import ELEMENTS, MONITORING
from tests.factories import PatientFactory, open_episode


def stored(episode, *, failing=(), days_ago=10):
    now = timezone.now()
    for element in ELEMENTS:
        ConformanceResult.objects.create(
            episode=episode,
            clinic_id=episode.clinic_id,
            patient_id=episode.patient_id,
            element=element,
            status=rules.NOT_MET if element in failing else rules.MET,
            detail="Dose 1: readings missed." if element in failing else "ok",
            url="/fix/",
            first_dose_at=now - dt.timedelta(days=days_ago),
            computed_at=now,
        )


def episodes(clinic, clinician, count, **stored_kwargs):
    made = []
    for _ in range(count):
        episode = open_episode(PatientFactory(clinic=clinic), clinician)
        stored(episode, **stored_kwargs)
        made.append(episode)
    return made


def test_the_share_meeting_each_element_is_shown(client, clinic, clinician):
    episodes(clinic, clinician, 3)
    episodes(clinic, clinician, 1, failing=(MONITORING,))
    client.force_login(clinician)

    response = client.get(reverse("conformance:clinic"))

    monitoring = next(row for row in response.context["rows"] if row["element"] == MONITORING)
    assert monitoring["share"] == 75
    assert monitoring["counts"][rules.NOT_MET] == 1


def test_a_failing_element_lists_its_episodes_linking_to_their_reports(client, clinic, clinician):
    [failing] = episodes(clinic, clinician, 1, failing=(MONITORING,))
    client.force_login(clinician)

    response = client.get(reverse("conformance:clinic"), {"element": MONITORING})

    url = reverse("conformance:episode", args=[failing.external_id])
    assert url in response.content.decode()
    assert AccessLogEntry.objects.filter(patient=failing.patient, action=AccessAction.LIST).exists()


def test_the_period_filters_by_first_dose(client, clinic, clinician):
    episodes(clinic, clinician, 1, failing=(MONITORING,), days_ago=100)
    client.force_login(clinician)
    start = (timezone.localdate() - dt.timedelta(days=30)).isoformat()

    response = client.get(reverse("conformance:clinic"), {"start": start})

    monitoring = next(row for row in response.context["rows"] if row["element"] == MONITORING)
    assert monitoring["applicable"] == 0


def test_a_period_ending_before_it_starts_is_named_at_the_field(client, clinician):
    client.force_login(clinician)
    today = timezone.localdate()

    response = client.get(
        reverse("conformance:clinic"),
        {"start": today.isoformat(), "end": (today - dt.timedelta(days=1)).isoformat()},
    )

    assert response.status_code == 200
    assert "The period ends after it starts." in response.content.decode()


def test_another_clinics_episodes_are_not_counted(client, clinic, clinician, other_clinic):
    from kapcare.accounts.models import Role
    from tests.factories import UserFactory

    episodes(clinic, clinician, 2, failing=(MONITORING,))
    outsider = UserFactory(role=Role.CLINICIAN, clinic=other_clinic)
    client.force_login(outsider)

    response = client.get(reverse("conformance:clinic"), {"element": MONITORING})

    assert all(row["applicable"] == 0 for row in response.context["rows"])
    assert response.context["failing"] == []


@pytest.mark.parametrize("count", [1, 30])
def test_the_query_count_does_not_grow_with_the_episodes(
    client, clinic, clinician, count, django_assert_max_num_queries
):
    episodes(clinic, clinician, count, failing=(MONITORING,))
    client.force_login(clinician)
    client.get(reverse("conformance:clinic"))  # the session and the user are cached

    with django_assert_max_num_queries(12):
        response = client.get(reverse("conformance:clinic"), {"element": MONITORING})

    assert len(response.context["failing"]) == min(count, 25)
    assert bool(response.context["older"]) == (count > 25)
