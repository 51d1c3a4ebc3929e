"""Moving a request through the queue, by a plain form post and by htmx."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.intake.models import RequestStatus, StatusChange
from tests.factories import ConsultationRequestFactory


def status_url(consultation_request):
    return reverse("intake:change_status", args=[consultation_request.external_id])


def test_coordinator_moves_a_request_and_is_sent_back_to_it(
    client, coordinator, consultation_request
):
    client.force_login(coordinator)

    response = client.post(
        status_url(consultation_request), {"to_status": "contacted", "note": "Left a voicemail"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:detail", args=[consultation_request.external_id])
    consultation_request.refresh_from_db()
    assert consultation_request.status == RequestStatus.CONTACTED
    change = StatusChange.objects.get()
    assert (change.from_status, change.to_status) == ("new", "contacted")
    assert change.note == "Left a voicemail"
    assert change.changed_by_id == coordinator.pk


def test_a_status_change_is_logged_as_an_update(client, coordinator, consultation_request):
    client.force_login(coordinator)

    client.post(status_url(consultation_request), {"to_status": "declined"})

    entry = AccessLogEntry.objects.get()
    assert entry.action == AccessAction.UPDATE
    assert entry.actor_id == coordinator.pk
    assert entry.object_id == str(consultation_request.external_id)


def test_a_move_the_rules_forbid_is_refused_and_nothing_changes(client, coordinator, clinic):
    declined = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)
    client.force_login(coordinator)

    response = client.post(status_url(declined), {"to_status": "scheduled"})

    assert response.status_code == 200
    assert "to_status" in response.context["form"].errors
    declined.refresh_from_db()
    assert declined.status == RequestStatus.DECLINED
    assert not StatusChange.objects.exists()


def test_converted_cannot_be_picked_by_hand(client, coordinator, consultation_request):
    client.force_login(coordinator)

    response = client.post(status_url(consultation_request), {"to_status": "converted"})

    assert response.status_code == 200
    consultation_request.refresh_from_db()
    assert consultation_request.status == RequestStatus.NEW


def test_a_declined_request_can_be_reopened(client, coordinator, clinic):
    declined = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)
    client.force_login(coordinator)

    client.post(status_url(declined), {"to_status": "new", "note": "Called back in spring"})

    declined.refresh_from_db()
    assert declined.status == RequestStatus.NEW


def test_htmx_status_change_answers_only_the_status_panel(
    client, coordinator, consultation_request
):
    client.force_login(coordinator)

    response = client.post(
        status_url(consultation_request), {"to_status": "scheduled"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "intake/_status_changed.html"
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="status-panel"')
    assert '<span class="badge badge-ok">Call scheduled</span>' in html
    assert 'hx-swap-oob="true">Status changed to Call scheduled.' in html
    choices = [value for value, _ in response.context["form"].fields["to_status"].choices]
    assert choices == ["contacted", "declined"]


def test_htmx_refusal_answers_the_panel_with_the_reason(client, coordinator, clinic):
    declined = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)
    client.force_login(coordinator)

    response = client.post(
        status_url(declined), {"to_status": "contacted"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "not possible from where the request is now" in response.content.decode()


def test_status_change_is_post_only(client, coordinator, consultation_request):
    client.force_login(coordinator)

    assert client.get(status_url(consultation_request)).status_code == 405


@pytest.mark.parametrize("persona", ["clinician", "therapist", "patient_user"])
def test_roles_outside_the_front_desk_cannot_change_a_status(
    client, request, consultation_request, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(status_url(consultation_request), {"to_status": "contacted"})

    assert response.status_code == 403
    consultation_request.refresh_from_db()
    assert consultation_request.status == RequestStatus.NEW


def test_outsider_cannot_change_another_clinics_request(client, outsider, consultation_request):
    client.force_login(outsider)

    response = client.post(status_url(consultation_request), {"to_status": "declined"})

    assert response.status_code == 404
    consultation_request.refresh_from_db()
    assert consultation_request.status == RequestStatus.NEW
