"""The episode's conformance report, page and API, on the demo clinic's records."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import ApiToken, User
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.conformance import rules
from kapcare.conformance.report import ELEMENTS
from kapcare.episodes.models import CareSession


@pytest.fixture
def dosed_episode(demo):
    session = (
        CareSession.objects.filter(kind="dosing", status="done", dosing_record__isnull=False)
        .select_related("episode")
        .first()
    )
    return session.episode


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def staff(role):
    return User.objects.get(email=f"{role}@demo.kapcare.org")


def test_the_api_answers_every_element_with_a_status_a_detail_and_a_fix(client, dosed_episode):
    response = client.get(
        f"/api/v1/episodes/{dosed_episode.external_id}/conformance",
        headers=bearer(staff("clinician")),
    )

    assert response.status_code == 200
    body = response.json()
    assert [row["element"] for row in body] == list(ELEMENTS)
    assert {row["status"] for row in body} <= set(rules.STATUS_WORDS)
    assert all(row["detail"] for row in body)
    assert all(row["url"] for row in body if row["status"] == rules.NOT_MET)
    assert AccessLogEntry.objects.filter(
        patient=dosed_episode.patient, object_type="episode"
    ).exists()


def test_the_page_shows_each_element(client, dosed_episode):
    client.force_login(staff("admin"))
    response = client.get(reverse("conformance:episode", args=[dosed_episode.external_id]))

    assert response.status_code == 200
    assert "Vital signs monitored during and after each dose" in response.content.decode()


@pytest.mark.parametrize("role", ["therapist", "patient"])
def test_a_therapist_or_a_patient_gets_404_and_the_attempt_is_logged(client, dosed_episode, role):
    user = User.objects.get(email=f"{role}@demo.kapcare.org")
    client.force_login(user)

    response = client.get(
        f"/api/v1/episodes/{dosed_episode.external_id}/conformance", headers=bearer(user)
    )
    assert response.status_code == 404
    for name in ("conformance:episode", "conformance:episode_pdf"):
        page = client.get(reverse(name, args=[dosed_episode.external_id]))
        assert page.status_code == 404
    assert client.get(reverse("conformance:clinic")).status_code == 404
    assert AccessLogEntry.objects.filter(
        actor_id=user.pk, action=AccessAction.REFUSED, patient=dosed_episode.patient
    ).exists()


def test_the_episodes_therapist_revoked_a_second_ago_gets_404(client, dosed_episode):
    """Even the therapist named on the episode, under a live authorisation a moment ago:
    the report is the clinic's, never a therapist's."""
    from kapcare.consents.models import SharingAuthorization
    from kapcare.episodes.models import Episode

    episode = Episode.objects.filter(
        therapist__isnull=False, sessions__kind="dosing", sessions__status="done"
    ).first()
    therapist = episode.therapist
    SharingAuthorization.objects.filter(patient=episode.patient, therapist=therapist).update(
        revoked_at=timezone.now() - dt.timedelta(seconds=1)
    )
    client.force_login(therapist)

    response = client.get(reverse("conformance:episode", args=[episode.external_id]))

    assert response.status_code == 404


def test_staff_of_another_clinic_get_404(client, dosed_episode):
    from tests.factories import ClinicFactory, UserFactory

    other = UserFactory(role="clinician", clinic=ClinicFactory())

    response = client.get(
        f"/api/v1/episodes/{dosed_episode.external_id}/conformance", headers=bearer(other)
    )
    assert response.status_code == 404


def test_the_report_prints_as_pdf_and_the_print_is_logged_as_an_export(client, dosed_episode):
    from kapcare.audit.models import AccessAction

    client.force_login(staff("clinician"))

    response = client.get(reverse("conformance:episode_pdf", args=[dosed_episode.external_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"%PDF")
    assert str(dosed_episode.external_id) in response["Content-Disposition"]
    assert AccessLogEntry.objects.filter(
        patient=dosed_episode.patient, action=AccessAction.EXPORT, object_type="episode"
    ).exists()
