"""The notice of the right to a Good Faith Estimate (45 CFR 149.610; PHS Act 2799B-6) where
a patient meets the clinic: the public consultation page and the portal, each correct and
the portal's linking the patient's own estimates; and no page promising what is not built
(claim documents: a patient asks the clinic for a superbill)."""

from django.urls import reverse

from tests.factories import open_episode

RIGHT = "you have the right to a written Good Faith Estimate"
DISPUTE_THRESHOLD = "$400 or more"


def test_the_public_consultation_page_states_the_right(client, clinic):
    html = client.get(reverse("intake:request", args=[clinic.slug])).content.decode()

    assert "Your right to a Good Faith Estimate" in html
    assert RIGHT in html
    assert DISPUTE_THRESHOLD in html
    assert "www.cms.gov/nosurprises/consumers" in html


def test_the_portal_states_the_right_and_links_the_patients_estimates(
    client, patient_user, patient, clinician
):
    open_episode(patient, clinician, model="standalone")  # the course and its cost card
    client.force_login(patient_user)

    html = client.get(reverse("portal:home")).content.decode()

    assert "you have the right to a written Good Faith Estimate" in html
    assert html.count(reverse("billing:portal_estimates")) >= 2  # both money cards link it
    assert "ask the clinic for a superbill" in html
    assert "documents to claim" not in html
    assert 'ask the clinic" for' not in html


def test_the_portals_estimates_page_states_the_right(client, patient_user, patient):
    client.force_login(patient_user)

    html = client.get(reverse("billing:portal_estimates")).content.decode()

    assert RIGHT in html
    assert DISPUTE_THRESHOLD in html
