import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures import alert_views, services
from kapcare.measures.models import Source
from tests.factories import PatientFactory

PHQ9_ITEM9 = [2, 2, 1, 1, 2, 1, 2, 1, 1]
HEADING = "Safety alerts needing review"
HOMES = [("clinician", "clinician_home"), ("coordinator", "coordinator_home")]


def raise_alert(patient, user=None):
    completion = services.record_assessment(
        actor=Actor(user=user, ip_address=None),
        patient=patient,
        instrument="phq9",
        answers=PHQ9_ITEM9,
        source=Source.STAFF,
    )
    return completion.alerts[0]


@pytest.mark.parametrize(("persona", "home"), HOMES)
def test_open_alert_is_on_the_home_page_until_a_clinician_reviews_it(
    client, request, clinician, patient, persona, home
):
    alert = raise_alert(patient)
    client.force_login(request.getfixturevalue(persona))

    html = client.get(reverse(home)).content.decode()
    assert HEADING in html
    assert "1 safety alert needs a clinician's review" in html
    assert reverse("measures:alert", args=[alert.external_id]) in html
    assert "Pat Patient" in html
    assert "PHQ-9 item 9 answered above 0" in html

    services.review_alert(
        actor=Actor(user=clinician, ip_address=None), alert=alert, note="Phoned her."
    )

    assert HEADING not in client.get(reverse(home)).content.decode()


@pytest.mark.parametrize(("persona", "home"), HOMES)
def test_banner_lists_alerts_oldest_first_with_the_count(
    client, request, patient, other_patient, persona, home
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), tick=False):
        older = raise_alert(other_patient)
    with time_machine.travel(dt.datetime(2026, 3, 3, 15, 30, tzinfo=dt.UTC), tick=False):
        newer = raise_alert(patient)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(home))

    assert [a.pk for a in response.context["safety_alerts"]] == [older.pk, newer.pk]
    html = response.content.decode()
    assert "2 safety alerts need a clinician" in html
    assert html.index("Olive Other") < html.index("Pat Patient")
    assert 'role="alert"' in html


def test_banner_shows_when_raised_in_the_clinics_time_zone(client, clinician, patient):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), tick=False):
        raise_alert(patient)
    client.force_login(clinician)

    html = client.get(reverse("clinician_home")).content.decode()

    assert "Mar 2, 9:30 AM CST" in html


def test_banner_leaves_out_other_clinics_alerts(client, outsider, clinician, patient):
    raise_alert(patient)
    client.force_login(outsider)  # a coordinator of another clinic

    response = client.get(reverse("coordinator_home"))

    assert response.context["safety_alerts"] == []
    assert HEADING not in response.content.decode()


def test_no_banner_without_open_alerts(client, clinician, patient):
    client.force_login(clinician)

    assert HEADING not in client.get(reverse("clinician_home")).content.decode()


def test_banner_logs_the_patients_it_shows(client, coordinator, clinic, other_patient):
    raise_alert(other_patient)
    # Enough newer patients that `other_patient` is not among the recently updated ones.
    PatientFactory.create_batch(8, clinic=clinic)
    client.force_login(coordinator)

    response = client.get(reverse("coordinator_home"))

    assert other_patient not in response.context["recent_patients"]
    entry = AccessLogEntry.objects.filter(patient=other_patient).latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.LIST, coordinator.pk)


@pytest.mark.parametrize(("persona", "home"), HOMES)
def test_home_query_count_does_not_grow_with_alerts(
    client, request, clinic, django_assert_max_num_queries, persona, home
):
    client.force_login(request.getfixturevalue(persona))
    raise_alert(PatientFactory(clinic=clinic))
    with CaptureQueriesContext(connection) as one_alert:
        client.get(reverse(home))
    for _ in range(9):
        raise_alert(PatientFactory(clinic=clinic))

    with django_assert_max_num_queries(len(one_alert.captured_queries)):
        response = client.get(reverse(home))

    assert len(response.context["safety_alerts"]) == 10


@pytest.mark.parametrize(("persona", "home"), HOMES)
def test_the_banner_names_the_oldest_alerts_and_says_there_are_more(
    client, request, clinic, monkeypatch, django_assert_max_num_queries, persona, home
):
    monkeypatch.setattr(alert_views, "HOME_ALERTS_SHOWN", 2)
    client.force_login(request.getfixturevalue(persona))
    oldest = [raise_alert(PatientFactory(clinic=clinic)) for _ in range(2)]
    with CaptureQueriesContext(connection) as at_the_cap:
        client.get(reverse(home))
    for _ in range(3):
        raise_alert(PatientFactory(clinic=clinic))

    with django_assert_max_num_queries(len(at_the_cap.captured_queries)):
        response = client.get(reverse(home))

    assert [a.pk for a in response.context["safety_alerts"]] == [a.pk for a in oldest]
    assert response.context["more_safety_alerts"] is True
    assert "More than 2 safety alerts need a clinician's review." in (response.content.decode())
