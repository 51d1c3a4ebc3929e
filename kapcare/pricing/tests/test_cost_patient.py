"""The patient sees the whole course's cost before consenting: on the portal home, and in
the treatment consent they read and sign ({{ course_cost_estimate }})."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kapcare.clinics.models import PriceListItem
from kapcare.consents import placeholders, rules, services
from kapcare.consents.models import DocumentKind, Signature, sha256_hex
from kapcare.consents.tests.test_documents_fixtures import actor, sign, treatment_document
from kapcare.episodes.models import EpisodeState
from kapcare.pricing import cost
from tests.factories import open_episode
from tests.second_factor import reauthenticated

PORTAL = reverse("portal:home")
PORTAL_SIGN = reverse("consents:portal_sign")
SEED_ESTIMATE = (
    "Estimated cost of the planned course: $3,900.00 (6 dosing sessions × $475.00 = "
    "$2,850.00, paid to the clinic; 7 therapy sessions × $150.00 = $1,050.00, paid to your "
    "therapist). This is an estimate, not a bill."
)


@pytest.fixture
def episode(patient, clinician):
    """The seed clinic's blended course: 6 IV doses, 1 preparation and 6 integration
    sessions with a therapist at $150."""
    return open_episode(patient, clinician, therapist_fee=Decimal("150.00"))


@pytest.fixture
def portal(client, patient_user):
    client.force_login(patient_user)
    return client


def text_to_sign(patient) -> str:
    version = services.current_version(patient.clinic, DocumentKind.TREATMENT)
    return services.text_to_sign(version, patient)


# --- The portal card --------------------------------------------------------------------------


def test_the_portal_shows_the_estimate_of_the_open_course(portal, episode):
    html = portal.get(PORTAL).content.decode()

    assert "Your course and its cost" in html
    assert "6 dosing sessions × $475.00 = $2,850.00" in html
    assert "7 therapy sessions × $150.00 = $1,050.00" in html
    assert "$3,900.00" in html


def test_the_portal_estimate_carries_the_not_insured_and_good_faith_notices(portal, episode):
    html = portal.get(PORTAL).content.decode()

    assert "off-label" in html
    assert "generally not covered by insurance" in html
    assert "not a bill" in html
    assert "Good Faith Estimate" in html


def test_a_fee_not_entered_tells_the_patient_to_ask_their_therapist(portal, patient, clinician):
    open_episode(patient, clinician)

    html = portal.get(PORTAL).content.decode()

    assert "Not included" in html
    assert "ask your therapist" in html
    assert "$2,850.00" in html


def test_a_patient_without_an_open_course_sees_no_cost_card(portal, episode):
    episode.state = EpisodeState.DISCONTINUED  # set directly: only the card's filter matters
    episode.save(update_fields=["state"])

    html = portal.get(PORTAL).content.decode()

    assert "Your course and its cost" not in html


def test_the_portal_shows_the_clinics_current_price(portal, clinic, episode):
    cost.ensure_default_price_list(clinic)
    PriceListItem.objects.filter(clinic=clinic, route="iv").update(amount="500.00")

    html = portal.get(PORTAL).content.decode()

    assert "6 dosing sessions × $500.00 = $3,000.00" in html


# --- The treatment consent --------------------------------------------------------------------


def test_the_default_treatment_consent_contains_the_estimate(episode, patient):
    assert SEED_ESTIMATE in text_to_sign(patient)


def test_the_sign_page_shows_the_estimate(portal, episode):
    html = portal.get(PORTAL_SIGN).content.decode()

    assert "Estimated cost of the planned course: $3,900.00" in html


def test_a_patient_without_a_planned_course_is_told_the_estimate_will_follow(patient):
    assert cost.NO_PLANNED_COURSE in text_to_sign(patient)


def test_the_signed_text_keeps_the_estimate_it_was_signed_with(
    episode, patient, patient_user, clinic
):
    signature = sign(patient, by=patient_user)
    cost.ensure_default_price_list(clinic)
    PriceListItem.objects.filter(clinic=clinic, route="iv").update(amount="600.00")

    signature.refresh_from_db()
    assert SEED_ESTIMATE in signature.signed_text
    assert signature.text_sha256 == sha256_hex(signature.signed_text)


def test_a_price_changed_while_the_patient_reads_is_not_signed(portal, episode, patient, clinic):
    data = {
        "typed_name": patient.full_name,
        "agreed": "on",
        "text_sha256": sha256_hex(text_to_sign(patient)),
    }
    cost.ensure_default_price_list(clinic)
    PriceListItem.objects.filter(clinic=clinic, route="iv").update(amount="500.00")

    response = portal.post(PORTAL_SIGN, data)

    assert response.status_code == 200
    assert (
        "The consent changed while you were reading it."
        in (response.context["form"].non_field_errors()[0])
    )
    assert "6 dosing sessions × $500.00" in response.content.decode()
    assert not Signature.objects.exists()


def test_an_admin_may_publish_a_consent_naming_the_estimate(clinic, clinic_admin):
    document = treatment_document(clinic)

    version = services.publish_version(
        actor=actor(clinic_admin),
        document=document,
        body_markdown="# Cost\n\n{{ course_cost_estimate }}\n",
        requires_reconsent=True,
        change_summary="The estimate only.",
        reauthentication=reauthenticated(clinic_admin),
    )

    assert version.number == 2


def test_the_estimate_is_offered_to_the_admin_as_a_placeholder():
    assert "course_cost_estimate" in rules.PLACEHOLDERS
    assert rules.unknown_placeholders("{{ course_cost_estimate }} {{ nonsense }}") == ["nonsense"]


def test_a_sharing_authorisation_does_not_compute_the_estimate(patient, monkeypatch):
    def must_not_run(patient):
        raise AssertionError("the estimate was computed for a text that does not name it")

    monkeypatch.setitem(
        placeholders._registry,
        "course_cost_estimate",
        placeholders.Placeholder("course_cost_estimate", "", must_not_run),
    )

    values = services.particulars(patient, {"patient_name"})

    assert "course_cost_estimate" not in values


def test_a_placeholder_name_cannot_be_given_a_second_meaning():
    with pytest.raises(ValueError, match="already means something else"):
        rules.add_placeholder("patient_name", "Something else")
