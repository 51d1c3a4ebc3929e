"""The patient's own account of a dosing session, in the portal: after the session is
done, once, never changed; the portal card that asks for it; and the page's refusals."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import PatientExperience
from kapcare.dosing.signing import services as signing_services
from kapcare.dosing.tests.test_signing_fixtures import (
    START,
    actor,
    dosing_session,
    finished_record,
    signed_record,
)
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.refusals import Refused
from tests.factories import open_episode, plan_session

ACCOUNT = {
    "experience": "Like floating above a lake.",
    "dissociation": "7",
    "bring_to_integration": "The feeling of forgiveness.",
}
CARD = "Tell us about your session"


def experience_url(session) -> str:
    return reverse("signing:experience", args=[session.external_id])


def record_account(record, user, **fields):
    values = {
        "experience": "Calm.",
        "dissociation": 4,
        "bring_to_integration": "My mother.",
    } | fields
    return signing_services.record_experience(actor=actor(user), record=record, **values)


def problems(call) -> dict:
    with pytest.raises(Refused) as refusal:
        call()
    return refusal.value.problems


# --- The service ----------------------------------------------------------------------------


def test_the_patient_records_their_account_of_a_done_session(patient, patient_user, clinician):
    record = finished_record(patient, clinician)

    account = record_account(record, patient_user, bring_to_integration="  My mother. ")

    assert (account.dissociation, account.bring_to_integration, account.patient_id) == (
        4,
        "My mother.",
        patient.pk,
    )


def test_the_account_is_logged_as_the_patients_own_write(patient, patient_user, clinician):
    record_account(finished_record(patient, clinician), patient_user)

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.actor_id, entry.patient_id, entry.action, entry.object_type) == (
        patient_user.pk,
        patient.pk,
        AccessAction.CREATE,
        "patientexperience",
    )


def test_the_account_may_come_after_the_record_is_signed(patient, patient_user, clinician):
    record = signed_record(patient, clinician)

    record_account(record, patient_user)

    assert PatientExperience.objects.filter(record=record).exists()


def test_an_account_before_the_session_is_done_is_refused(patient, patient_user, clinician):
    record = finished_record(patient, clinician)
    CareSession.objects.filter(pk=record.session_id).update(status=SessionStatus.IN_PROGRESS)
    record.session.refresh_from_db()

    assert problems(lambda: record_account(record, patient_user)) == {
        "__all__": "You can tell us about this session once it is over."
    }


def test_a_second_account_is_refused_and_the_first_stands(patient, patient_user, clinician):
    record = finished_record(patient, clinician)
    record_account(record, patient_user, experience="First.")

    refused = problems(lambda: record_account(record, patient_user, experience="Second."))

    assert "already told us" in refused["__all__"]
    assert PatientExperience.objects.get(record=record).experience == "First."


@pytest.mark.parametrize("dissociation", [-1, 11, None])
def test_a_dissociation_outside_0_to_10_is_refused_at_its_field(
    patient, patient_user, clinician, dissociation
):
    record = finished_record(patient, clinician)

    refused = problems(lambda: record_account(record, patient_user, dissociation=dissociation))

    assert refused == {"dissociation": "Choose a number from 0 to 10."}


@pytest.mark.parametrize("dissociation", [0, 10])
def test_0_and_10_are_both_accepted(patient, patient_user, clinician, dissociation):
    record = finished_record(patient, clinician)

    assert record_account(record, patient_user, dissociation=dissociation).dissociation == (
        dissociation
    )


def test_nobody_else_gives_the_patients_account(patient, clinician):
    record = finished_record(patient, clinician)

    assert problems(lambda: record_account(record, clinician)) == {
        "__all__": "Only the patient can tell us about their session."
    }


# --- The page -------------------------------------------------------------------------------


def test_the_patient_sees_the_form_for_a_done_session(client, patient, patient_user, clinician):
    session = finished_record(patient, clinician).session
    client.force_login(patient_user)

    response = client.get(experience_url(session))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<label for="experience_dissociation">' in content
    assert 'min="0"' in content
    assert 'max="10"' in content
    assert "You can send this once:" in content


def test_the_patient_sends_their_account_from_the_page(client, patient, patient_user, clinician):
    record = finished_record(patient, clinician)
    client.force_login(patient_user)

    response = client.post(experience_url(record.session), ACCOUNT)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    account = PatientExperience.objects.get(record=record)
    assert (account.experience, account.dissociation) == ("Like floating above a lake.", 7)


def test_after_sending_the_page_shows_the_account_without_a_form(
    client, patient, patient_user, clinician
):
    record = finished_record(patient, clinician)
    record_account(record, patient_user, bring_to_integration="My mother.")
    client.force_login(patient_user)

    content = client.get(experience_url(record.session)).content.decode()

    assert "What you told us" in content
    assert "My mother." in content
    assert '<form method="post" class="stack"' not in content


def test_a_second_post_is_refused_and_changes_nothing(client, patient, patient_user, clinician):
    record = finished_record(patient, clinician)
    record_account(record, patient_user, experience="First.")
    client.force_login(patient_user)

    response = client.post(experience_url(record.session), ACCOUNT)

    assert response.status_code == 422
    assert PatientExperience.objects.get(record=record).experience == "First."


@pytest.mark.parametrize(
    ("dissociation", "message"),
    [
        ("11", "Choose a number from 0 to 10."),
        ("", "Choose a number from 0 to 10."),
        ("seven", "Choose a whole number from 0 to 10."),
    ],
)
def test_a_bad_dissociation_is_an_error_at_its_field_and_nothing_typed_is_lost(
    client, patient, patient_user, clinician, dissociation, message
):
    record = finished_record(patient, clinician)
    client.force_login(patient_user)

    response = client.post(experience_url(record.session), ACCOUNT | {"dissociation": dissociation})

    assert response.status_code == 422
    assert response.context["form"].errors["dissociation"] == [message]
    assert "Like floating above a lake." in response.content.decode()
    assert not PatientExperience.objects.exists()


def test_a_planned_session_asks_to_come_back_after_it(client, patient, patient_user, clinician):
    session = dosing_session(patient, clinician, status=SessionStatus.PLANNED)
    client.force_login(patient_user)

    response = client.get(experience_url(session))

    assert response.status_code == 200
    assert "once it is over" in response.content.decode()
    assert response.context["form"] is None


def test_posting_for_a_planned_session_saves_nothing(client, patient, patient_user, clinician):
    session = dosing_session(patient, clinician, status=SessionStatus.PLANNED)
    client.force_login(patient_user)

    response = client.post(experience_url(session), ACCOUNT)

    assert response.status_code == 422
    assert not PatientExperience.objects.exists()


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.MISSED])
def test_a_cancelled_or_missed_session_answers_404(
    client, patient, patient_user, clinician, status
):
    session = dosing_session(patient, clinician, status=status)
    client.force_login(patient_user)

    assert client.get(experience_url(session)).status_code == 404


def test_an_integration_session_answers_404(client, patient, patient_user, clinician, therapist):
    episode = open_episode(patient, clinician, therapist=therapist)
    session = plan_session(episode, clinician, kind="integration", starts_at=START)
    client.force_login(patient_user)

    assert client.get(experience_url(session)).status_code == 404


def test_another_patients_session_answers_404(client, other_patient, patient_user, clinician):
    session = finished_record(other_patient, clinician).session
    client.force_login(patient_user)

    assert client.get(experience_url(session)).status_code == 404


def test_staff_may_not_open_the_patients_form(client, patient, clinician):
    session = finished_record(patient, clinician).session
    client.force_login(clinician)

    assert client.get(experience_url(session)).status_code == 403


# --- The portal card ------------------------------------------------------------------------


def test_the_portal_asks_about_a_done_session(client, patient, patient_user, clinician):
    session = finished_record(patient, clinician).session
    client.force_login(patient_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert CARD in content
    assert experience_url(session) in content


def test_the_card_goes_once_the_patient_has_told_us(client, patient, patient_user, clinician):
    record = finished_record(patient, clinician)
    record_account(record, patient_user)
    client.force_login(patient_user)

    assert CARD not in client.get(reverse("portal:home")).content.decode()


def test_no_card_for_a_planned_session(client, patient, patient_user, clinician):
    dosing_session(patient, clinician, status=SessionStatus.PLANNED)
    client.force_login(patient_user)

    assert CARD not in client.get(reverse("portal:home")).content.decode()


def test_the_card_reads_in_one_query_however_many_sessions(
    rf, patient, patient_user, clinician, django_assert_num_queries
):
    import datetime as dt

    from kapcare.dosing.portal_cards import experience_card

    request = rf.get("/")
    request.user = patient_user
    for weeks in range(3):
        finished_record(patient, clinician, at=START + dt.timedelta(weeks=weeks))

    with django_assert_num_queries(1):
        card = experience_card(request, patient)

    assert len(card["sessions"]) == 3
