"""The patient's portal home: its own details plus the cards other apps register
(questionnaires, health history), in a number of queries that does not grow."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from tests.factories import raise_alert


def test_portal_home_shows_the_cards_of_other_apps(client, patient_user, patient):
    client.force_login(patient_user)

    page = client.get(reverse("portal:home")).content.decode()

    assert reverse("measures:portal_questionnaires") in page
    assert reverse("screening:health_history") in page
    assert page.index("Questionnaires") < page.index("Your health history")
    assert AccessLogEntry.objects.filter(
        patient=patient, actor=patient_user, action=AccessAction.VIEW
    ).exists()


def test_portal_home_query_count_does_not_grow(client, patient_user, patient, clinician):
    client.force_login(patient_user)
    with CaptureQueriesContext(connection) as empty:
        client.get(reverse("portal:home"))
    for _ in range(3):
        raise_alert(clinician, patient)

    with CaptureQueriesContext(connection) as busy:
        response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert len(busy) <= len(empty)
