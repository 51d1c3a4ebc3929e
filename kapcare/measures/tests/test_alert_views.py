import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures import alert_views, services
from kapcare.measures.models import SafetyAlert, Source
from tests.factories import UserFactory

PHQ9_ITEM9_SEVERAL_DAYS = [2, 2, 1, 1, 2, 1, 2, 1, 1]
CSSRS_INTENT = [True, True, True, True, False, False, None]


def raise_alert(patient, answers=PHQ9_ITEM9_SEVERAL_DAYS, instrument="phq9", by=None):
    actor = Actor(user=by, ip_address=None)
    completion = services.record_assessment(
        actor=actor, patient=patient, instrument=instrument, answers=answers, source=Source.STAFF
    )
    return completion.alerts[0]


@pytest.fixture
def alert(patient, clinician):
    return raise_alert(patient, by=clinician)


def alert_url(alert):
    return reverse("measures:alert", args=[alert.external_id])


def test_clinician_sees_what_raised_the_alert_and_the_review_form(client, clinician, alert):
    client.force_login(clinician)

    html = client.get(alert_url(alert)).content.decode()

    assert "Pat Patient" in html
    assert "PHQ-9 item 9 answered above 0" in html
    assert "Thoughts that you would be better off dead" in html
    assert "Several days (1)" in html
    assert "What was done" in html
    assert "Record safety review" in html


def test_alert_page_shows_when_it_was_raised_in_the_clinics_time_zone(client, clinician, patient):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), tick=False):
        alert = raise_alert(patient, by=clinician)
    client.force_login(clinician)

    html = client.get(alert_url(alert)).content.decode()

    assert "Mar 2, 2026, 9:30 AM CST" in html


def test_cssrs_alert_marks_the_answers_that_made_it_high_risk(client, clinician, patient):
    alert = raise_alert(patient, answers=CSSRS_INTENT, instrument="cssrs_screen", by=clinician)
    client.force_login(clinician)

    html = client.get(alert_url(alert)).content.decode()

    assert "C-SSRS screen: high risk" in html
    assert "some intention of acting on them" in html
    assert html.count("raised the alert") == 1
    assert "Not asked" in html  # 6b is skipped after a "no" to 6


@pytest.mark.parametrize("persona", ["coordinator", "clinic_admin"])
def test_non_clinical_staff_see_the_alert_but_no_form(client, request, alert, persona):
    client.force_login(request.getfixturevalue(persona))

    html = client.get(alert_url(alert)).content.decode()

    assert "A clinician must review this alert" in html
    assert "Record safety review" not in html


@pytest.mark.parametrize("persona", ["coordinator", "clinic_admin"])
def test_non_clinical_staff_cannot_record_a_review(client, request, alert, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(alert_url(alert), {"note": "Called her back."})

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.is_open


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_therapist_and_patient_are_refused_the_alert_page(client, request, alert, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(alert_url(alert)).status_code == 403
    assert client.get(reverse("measures:alerts")).status_code == 403


def test_staff_of_another_clinic_get_404(client, outsider, alert):
    client.force_login(outsider)

    assert client.get(alert_url(alert)).status_code == 404


def test_clinician_of_another_clinic_gets_404_and_cannot_review(client, other_clinic, alert):
    stranger = UserFactory(role=Role.CLINICIAN, clinic=other_clinic)
    client.force_login(stranger)

    assert client.get(alert_url(alert)).status_code == 404
    assert client.post(alert_url(alert), {"note": "Called."}).status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


def test_unknown_alert_is_404(client, clinician):
    client.force_login(clinician)

    response = client.get(reverse("measures:alert", args=["0" * 8 + "-0000-0000-0000-" + "0" * 12]))

    assert response.status_code == 404


def test_viewing_the_alert_logs_a_read_of_the_patient(client, clinician, patient, alert):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.get(alert_url(alert))

    entry = AccessLogEntry.objects.order_by("id")[before:].get()
    assert (entry.patient_id, entry.action, entry.object_type, entry.actor_id) == (
        patient.pk,
        AccessAction.VIEW,
        "safetyalert",
        clinician.pk,
    )
    assert entry.object_id == str(alert.external_id)


def test_clinician_records_the_review_and_the_alert_closes(client, clinician, alert):
    client.force_login(clinician)

    response = client.post(
        alert_url(alert), {"note": "Phoned the patient; safety plan reviewed."}, follow=True
    )

    alert.refresh_from_db()
    assert not alert.is_open
    assert alert.reviewed_by_id == clinician.pk
    assert alert.review_note == "Phoned the patient; safety plan reviewed."
    html = response.content.decode()
    assert "Safety review recorded" in html
    assert "Cal Clinician, CRNA" in html
    assert "Phoned the patient; safety plan reviewed." in html
    assert "Record safety review" not in html


def test_the_review_is_written_to_the_access_log(client, clinician, patient, alert):
    client.force_login(clinician)

    client.post(alert_url(alert), {"note": "Phoned the patient."})

    entry = AccessLogEntry.objects.filter(patient=patient, object_type="safetyalert").latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.UPDATE, clinician.pk)


@pytest.mark.parametrize("note", ["", "   \n  "])
def test_an_empty_note_is_refused_at_the_field(client, clinician, alert, note):
    client.force_login(clinician)

    response = client.post(alert_url(alert), {"note": note})

    assert response.status_code == 200
    assert response.context["form"].errors["note"] == [
        "Say what was done before recording the review: contact made, safety plan, referral."
    ]
    alert.refresh_from_db()
    assert alert.is_open


def test_a_refused_review_is_logged_as_a_read(client, clinician, patient, alert):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.post(alert_url(alert), {"note": ""})

    entry = AccessLogEntry.objects.order_by("id")[before:].get()
    assert (entry.patient_id, entry.action) == (patient.pk, AccessAction.VIEW)


def test_a_second_review_is_refused_and_the_first_kept(client, clinician, alert):
    client.force_login(clinician)
    client.post(alert_url(alert), {"note": "Phoned the patient."})

    response = client.post(alert_url(alert), {"note": "Something else."}, follow=True)

    alert.refresh_from_db()
    assert alert.review_note == "Phoned the patient."
    assert "already reviewed" in response.content.decode()


def test_no_way_to_close_an_alert_without_a_note(client, clinician, alert):
    client.force_login(clinician)

    client.post(alert_url(alert), {})
    client.post(alert_url(alert), {"dismiss": "1"})

    alert.refresh_from_db()
    assert alert.is_open


def test_alert_list_shows_open_and_recently_reviewed_alerts(
    client, clinician, patient, other_patient, outsider_patient
):
    open_alert = raise_alert(patient, by=clinician)
    reviewed = raise_alert(other_patient, by=clinician)
    services.review_alert(
        actor=Actor(user=clinician, ip_address=None), alert=reviewed, note="Phoned."
    )
    raise_alert(outsider_patient, by=clinician)
    client.force_login(clinician)

    response = client.get(reverse("measures:alerts"))

    assert [a.pk for a in response.context["open_alerts"]] == [open_alert.pk]
    assert [a.pk for a in response.context["reviewed_alerts"]] == [reviewed.pk]
    assert "Ursula" not in response.content.decode()


def test_alert_list_logs_each_patient_shown(client, coordinator, patient, alert):
    client.force_login(coordinator)

    client.get(reverse("measures:alerts"))

    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.LIST, coordinator.pk)


def test_alert_list_leaves_out_reviews_older_than_the_window(client, clinician, patient):
    with time_machine.travel(dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC), tick=False):
        old = raise_alert(patient, by=clinician)
        services.review_alert(actor=Actor(user=clinician, ip_address=None), alert=old, note="Ok.")
    client.force_login(clinician)

    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("measures:alerts"))

    assert response.context["reviewed_alerts"] == []
    assert SafetyAlert.objects.filter(pk=old.pk).exists()


def test_alert_list_shows_the_oldest_open_alerts_when_more_are_open(
    client, clinician, patient, monkeypatch
):
    monkeypatch.setattr(alert_views, "OPEN_ALERTS_SHOWN", 2)
    oldest = [raise_alert(patient, by=clinician) for _ in range(3)]
    client.force_login(clinician)

    response = client.get(reverse("measures:alerts"))

    assert [a.pk for a in response.context["open_alerts"]] == [a.pk for a in oldest[:2]]
    assert "2+ open" in response.content.decode()
    assert "More than 2 alerts are open" in response.content.decode()


def test_alert_list_runs_a_fixed_number_of_queries_whatever_is_open(
    client, clinician, patient, other_patient
):
    raise_alert(patient, by=clinician)
    client.force_login(clinician)
    client.get(reverse("measures:alerts"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("measures:alerts"))
    for _ in range(3):
        raise_alert(other_patient, by=clinician)

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("measures:alerts"))

    assert len(many) == len(few)
