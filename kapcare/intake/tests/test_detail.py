"""One consultation request: everything the person wrote, its history, and who may see it."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.intake.models import RequestStatus, StatusChange


def detail_url(consultation_request):
    return reverse("intake:detail", args=[consultation_request.external_id])


def test_coordinator_sees_everything_the_person_wrote(client, coordinator, consultation_request):
    client.force_login(coordinator)

    response = client.get(detail_url(consultation_request))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Rosa Parks" in html
    assert "rosa@example.org" in html
    assert "615-555-0150" in html
    assert "Phone call" in html
    assert "After 5pm" in html
    assert "whether KAP could help" in html


def test_opening_a_request_is_logged_as_a_view(client, coordinator, consultation_request):
    client.force_login(coordinator)

    client.get(detail_url(consultation_request))

    entry = AccessLogEntry.objects.get()
    assert entry.action == AccessAction.VIEW
    assert entry.actor_id == coordinator.pk
    assert entry.object_type == "consultationrequest"
    assert entry.object_id == str(consultation_request.external_id)
    assert entry.clinic_id == consultation_request.clinic_id
    assert entry.patient_id is None


def test_status_history_shows_from_to_who_when_and_note(client, coordinator, consultation_request):
    StatusChange.objects.create(
        request=consultation_request,
        from_status=RequestStatus.NEW,
        to_status=RequestStatus.CONTACTED,
        note="Left a voicemail",
        changed_by=coordinator,
    )
    client.force_login(coordinator)

    html = client.get(detail_url(consultation_request)).content.decode()

    assert "Left a voicemail" in html
    assert "Cora Coordinator" in html
    assert '<span class="badge badge-warn">Contacted</span>' in html


def test_status_form_offers_only_the_moves_allowed_by_hand(
    client, coordinator, consultation_request
):
    client.force_login(coordinator)

    response = client.get(detail_url(consultation_request))

    choices = [value for value, _ in response.context["form"].fields["to_status"].choices]
    assert choices == ["contacted", "scheduled", "declined"]
    assert 'hx-post="' in response.content.decode()


def test_outsider_gets_404_on_another_clinics_request(client, outsider, consultation_request):
    client.force_login(outsider)

    response = client.get(detail_url(consultation_request))

    assert response.status_code == 404
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("persona", ["clinician", "therapist", "patient_user"])
def test_roles_outside_the_front_desk_are_refused_a_request(
    client, request, consultation_request, persona
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(detail_url(consultation_request)).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, consultation_request):
    response = client.get(detail_url(consultation_request))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_request_id_answers_404(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("intake:detail", args=["0" * 8 + "-0000-0000-0000-" + "0" * 12]))

    assert response.status_code == 404
