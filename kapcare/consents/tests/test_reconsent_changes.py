from django.urls import reverse

from kapcare.consents.tests.test_documents_fixtures import publish, sign


def test_the_reconsent_page_says_what_changed_since_the_signed_version(
    client, clinic, clinic_admin, patient, patient_user
):
    sign(patient, by=patient_user)
    publish(clinic, clinic_admin, summary="We reviewed the text.")
    client.force_login(patient_user)

    html = client.get(reverse("consents:portal_sign")).content.decode()

    assert "What changed since you signed version 1" in html
    assert "In short: We reviewed the text." in html
    assert '<ins><span class="visually-hidden">[added: </span>We reviewed this text again.' in html


def test_a_first_signature_shows_no_changes(client, clinic, patient, patient_user, clinician):
    from tests.factories import open_episode

    open_episode(patient, clinician)
    client.force_login(patient_user)

    html = client.get(reverse("consents:portal_sign")).content.decode()

    assert "What changed since" not in html
