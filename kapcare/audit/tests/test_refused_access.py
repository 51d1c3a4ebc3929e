"""A 403 or 404 answered for a record that exists is in the access log as a refused attempt
(who, which record and patient, when, which address), for pages and API operations alike:
all of them refuse through the access helpers (`patients.access.refused`)."""

import pytest
from django.urls import reverse

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.consents import services as consents
from kapcare.consents.tests.test_documents_fixtures import sign
from tests.factories import authorize, open_episode, plan_session


def refusals():
    return list(AccessLogEntry.objects.filter(action=AccessAction.REFUSED))


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_another_clinics_coordinator_is_refused_the_chart_and_it_is_logged(
    client, outsider, patient
):
    client.force_login(outsider)
    url = reverse("patients:chart", args=[patient.external_id])

    assert client.get(url).status_code == 404

    [entry] = refusals()
    assert (entry.actor_id, entry.actor_role) == (outsider.pk, "coordinator")
    assert (entry.patient_id, entry.clinic_id) == (patient.pk, patient.clinic_id)
    assert (entry.object_type, entry.object_id) == ("patient", str(patient.external_id))
    assert entry.path == url
    assert entry.channel == Channel.WEB
    assert entry.occurred_at is not None


def test_a_patient_asking_for_another_patients_record_is_logged(
    client, patient_user, patient, other_patient
):
    client.force_login(patient_user)

    response = client.get(reverse("patients:chart", args=[other_patient.external_id]))

    assert response.status_code in {403, 404}
    [entry] = refusals()
    assert (entry.actor_id, entry.patient_id) == (patient_user.pk, other_patient.pk)


def test_a_revoked_therapist_is_refused_the_shared_record_and_it_is_logged(
    client, therapist, patient, patient_user
):
    authorization = authorize(patient, therapist)
    consents.revoke_authorization(
        actor=Actor(user=patient_user, ip_address=None), authorization=authorization
    )
    client.force_login(therapist)
    url = reverse("sharing:shared_record", args=[patient.external_id])

    assert client.get(url).status_code == 404

    [entry] = refusals()
    assert (entry.actor_id, entry.actor_role, entry.patient_id) == (
        therapist.pk,
        "therapist",
        patient.pk,
    )
    assert entry.action == AccessAction.REFUSED  # not turned into a disclosure


def test_another_clinics_session_is_refused_through_the_api_and_it_is_logged(
    client, outsider, patient, clinician
):
    session = plan_session(open_episode(patient, clinician), clinician)
    url = f"/api/v1/dosing-sessions/{session.external_id}"

    response = client.get(url, headers=bearer(outsider))

    assert response.status_code == 404
    [entry] = refusals()
    assert (entry.actor_id, entry.patient_id) == (outsider.pk, patient.pk)
    assert (entry.object_type, entry.object_id) == ("caresession", str(session.external_id))
    assert (entry.channel, entry.path) == (Channel.API, url)


def test_another_clinics_patient_is_refused_through_the_api_and_it_is_logged(
    client, outsider, patient
):
    response = client.get(f"/api/v1/patients/{patient.external_id}", headers=bearer(outsider))

    assert response.status_code == 404
    [entry] = refusals()
    assert (entry.actor_id, entry.patient_id, entry.channel) == (
        outsider.pk,
        patient.pk,
        Channel.API,
    )


@pytest.mark.parametrize("record_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_an_unknown_id_names_no_record_and_is_not_logged(client, outsider, record_id):
    client.force_login(outsider)

    assert client.get(f"/patients/{record_id}/").status_code == 404
    assert refusals() == []


def test_the_patient_does_not_see_who_was_refused_their_record(
    client, outsider, patient, patient_user
):
    client.force_login(outsider)
    client.get(reverse("patients:chart", args=[patient.external_id]))
    client.force_login(patient_user)

    response = client.get(reverse("audit:my_access_log"))

    assert outsider.full_name not in response.content.decode()
    assert len(refusals()) == 1


def test_another_clinics_signature_pdf_is_refused_and_logged(
    client, outsider, patient, patient_user
):
    signature = sign(patient, by=patient_user)
    client.force_login(outsider)
    url = reverse("consents:signature_pdf", args=[signature.external_id])

    assert client.get(url).status_code == 404

    [entry] = refusals()
    assert (entry.actor_id, entry.patient_id, entry.object_type) == (
        outsider.pk,
        patient.pk,
        "signature",
    )
