"""What sharing adds to other pages: the chart's "Sharing with therapists" section, the
portal's card, and the shared record's sections (measures and safety alerts), each within
its scope and showing the minimum necessary."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.consents import services
from kapcare.measures import services as measures_services
from kapcare.measures.models import Source
from kapcare.measures.shared import shared_measures, shared_safety_alerts
from kapcare.patients import shared
from kapcare.scopes import Scope
from tests.factories import authorize, raise_alert


def shared_url(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


def record_phq9(clinician, patient, answers):
    return measures_services.record_assessment(
        actor=Actor(user=clinician, ip_address=None),
        patient=patient,
        instrument="phq9",
        answers=answers,
        source=Source.STAFF,
    )


# --- The chart ----------------------------------------------------------------------------


def test_chart_lists_the_authorisations_in_force_with_scopes_and_expiry(
    client, coordinator, patient, patient_user, therapist
):
    live = authorize(patient, therapist, scopes=[Scope.MEASURES, Scope.SAFETY_ALERTS])
    ended = authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    services.revoke_authorization(
        actor=Actor(user=patient_user, ip_address=None), authorization=ended
    )
    client.force_login(coordinator)

    response = client.get(reverse("patients:chart", args=[patient.external_id]))

    content = response.content.decode()
    assert "Sharing with therapists" in content
    assert f"{Scope.MEASURES.label}; {Scope.SAFETY_ALERTS.label}" in content
    assert Scope.SCHEDULE.label not in content
    expires = live.expires_on
    assert f"until {expires:%b} {expires.day}, {expires.year}" in content
    assert reverse("sharing:staff_list", args=[patient.external_id]) in content


def test_chart_says_when_no_therapist_may_see_the_record(client, clinician, patient):
    client.force_login(clinician)

    response = client.get(reverse("patients:chart", args=[patient.external_id]))

    assert "No therapist may see this patient's record." in response.content.decode()


# --- The portal card ----------------------------------------------------------------------


def test_portal_card_counts_the_authorisations_in_force(client, patient, patient_user, therapist):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    ended = authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    services.revoke_authorization(
        actor=Actor(user=patient_user, ip_address=None), authorization=ended
    )
    client.force_login(patient_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert "Sharing with your therapist" in content
    assert "1 active" in content
    assert reverse("sharing:portal_list") in content


def test_portal_card_invites_to_authorise_when_nothing_is_shared(client, patient, patient_user):
    client.force_login(patient_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert "Nothing is shared with a therapist outside the clinic." in content


# --- The shared record's sections ---------------------------------------------------------


def test_every_scope_has_a_section():
    # Session summaries come with the dosing record; the therapist's own sessions,
    # messages and shared journal entries need only a live authorisation; the outcome
    # trajectory asks for the measures scope itself (kapcare/outcomes/trajectory.py).
    assert shared.registered_scopes() == {
        *Scope.values,
        "therapy_sessions",
        "messages",
        "journal",
        "trajectory",
    }


def test_a_scope_without_data_is_listed_from_the_registry_not_hard_coded(
    client, therapist, patient, monkeypatch
):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    client.force_login(therapist)
    before = client.get(shared_url(patient)).content.decode()
    monkeypatch.delitem(shared._registry._sections, Scope.SESSION_SUMMARIES.value)

    after = client.get(shared_url(patient)).content.decode()

    assert "Nothing to show yet" not in before
    assert "Nothing to show yet" in after


def test_header_shows_name_pronouns_birth_date_and_the_authorisation(client, therapist, patient):
    patient.pronouns = "they/them"
    patient.save(update_fields=["pronouns"])
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert "they/them" in content
    born = patient.birth_date
    assert f"{born:%b} {born.day}, {born.year}" in content
    assert services.DEFAULT_PURPOSE in content
    assert patient.email not in content
    assert patient.phone not in content


def test_measures_section_shows_totals_bands_and_the_outcome(client, therapist, clinician, patient):
    record_phq9(clinician, patient, [2, 2, 2, 2, 2, 2, 2, 1, 0])  # 15, moderately severe
    record_phq9(clinician, patient, [1, 1, 0, 0, 0, 1, 0, 0, 0])  # 3, minimal
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert "moderately severe" in content
    assert "Response and remission" in content
    # Charted once, by the trajectory beside the tables.
    assert 'id="trajectory-heading"' in content
    assert 'id="measures-chart-data"' not in content
    # No way into the clinic's pages from here.
    assert "/measures/" not in content.split('id="shared-measures-heading"')[1].split("</main>")[0]


def test_measures_section_hides_item_flags_unless_alerts_are_shared(
    rf, therapist, clinician, patient
):
    raise_alert(clinician, patient)  # PHQ-9 with item 9 above 0
    request = rf.get("/")
    request.user = therapist
    authorization = authorize(patient, therapist, scopes=[Scope.MEASURES])

    without_alerts = shared_measures(request, patient)
    services.revoke_authorization(
        actor=Actor(user=patient.user, ip_address=None), authorization=authorization
    )
    authorize(patient, therapist, scopes=[Scope.MEASURES, Scope.SAFETY_ALERTS])
    with_alerts = shared_measures(request, patient)

    assert without_alerts["shows_flags"] is False
    assert with_alerts["shows_flags"] is True


def test_flags_do_not_reach_the_page_without_the_alerts_scope(
    client, therapist, clinician, patient
):
    raise_alert(clinician, patient)
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert "Suicidal thoughts" not in content
    assert "item 9" not in content


def test_sections_answer_none_outside_their_scope(rf, therapist, patient):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    request = rf.get("/")
    request.user = therapist

    assert shared_measures(request, patient) is None
    assert shared_safety_alerts(request, patient) is None


def test_alerts_section_shows_the_review_date_but_not_the_clinicians_note(
    client, therapist, clinician, patient
):
    alert = raise_alert(clinician, patient)
    measures_services.review_alert(
        actor=Actor(user=clinician, ip_address=None),
        alert=alert,
        note="Called her; safety plan agreed with her sister Jane Doe.",
    )
    raise_alert(clinician, patient)
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert "✓ Reviewed" in content
    assert "⚠ Not yet reviewed" in content
    assert "PHQ-9 item 9 answered above 0" in content
    assert "Jane Doe" not in content
    assert "safety plan agreed" not in content
    assert clinician.full_name not in content


def test_shared_times_are_in_the_patients_clinic_time_zone(client, therapist, clinician, patient):
    """The therapist belongs to no clinic; the page shows the patient's clinic's time."""
    alert = raise_alert(clinician, patient)
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    local = alert.raised_at.astimezone(patient.clinic.zone)
    assert local.isoformat()[:19] in content
    assert local.utcoffset() != dt.timedelta(0)


@pytest.mark.parametrize("count", [1, 6])
def test_section_queries_do_not_grow_with_the_record(
    rf, therapist, clinician, patient, count, django_assert_num_queries
):
    for _ in range(count):
        raise_alert(clinician, patient)
    authorize(patient, therapist, scopes=[Scope.MEASURES, Scope.SAFETY_ALERTS])
    request = rf.get("/")
    request.user = therapist

    with django_assert_num_queries(4):  # the policy's check, assessments, scales, the policy
        shared_measures(request, patient)
    with django_assert_num_queries(2):  # the policy's check, the alerts
        shared_safety_alerts(request, patient)
