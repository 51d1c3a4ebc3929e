"""Sharing one journal entry with one authorised therapist, and taking it back: the chosen
therapist reads it on the shared record (each entry read is logged as a disclosure),
another therapist the patient authorised does not, nobody does after the patient stops
sharing, and an expired or revoked authorisation ends it at the next request."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consent_services
from kapcare.journal.models import EntryKind
from kapcare.journal.tests.factories import journal_entry
from kapcare.scopes import Scope
from tests.factories import UserFactory, authorize

SECTION = 'id="shared-journal-heading"'
BODY = "I want to meet the fear kindly."


def shared_url(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


def share(client, entry, therapist):
    return client.post(
        reverse("journal:share", args=[entry.external_id]),
        {"therapist": str(therapist.external_id)},
    )


@pytest.fixture
def colleague(db):
    """A second outside therapist, also authorised by the patient in some tests."""
    return UserFactory(
        email="cleo@example.org", full_name="Cleo Counsellor", role=Role.THERAPIST, clinic=None
    )


@pytest.fixture
def entry(patient):
    return journal_entry(patient, body=BODY)


def test_entry_page_offers_only_the_authorised_therapists_in_a_labelled_select(
    client, patient_user, patient, therapist, colleague, entry
):
    authorize(patient, therapist)
    client.force_login(patient_user)

    page = client.get(reverse("journal:edit", args=[entry.external_id])).content.decode()

    assert '<label for="share_therapist">Share this entry with' in page
    assert '<select name="therapist"' in page
    assert str(therapist.external_id) in page
    assert str(colleague.external_id) not in page


def test_patient_shares_an_entry_with_an_authorised_therapist(
    client, patient_user, patient, therapist, entry
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    client.force_login(patient_user)

    response = share(client, entry, therapist)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.shared_with_id == therapist.pk
    assert entry.shared_at is not None
    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.UPDATE, object_id=str(entry.external_id)
    ).exists()
    listing = client.get(reverse("journal:list")).content.decode()
    shared_on = entry.shared_at.astimezone(patient.clinic.zone)
    assert f"Shared with {therapist.display_name} on <time" in listing
    assert f"{shared_on:%b} {shared_on.day}, {shared_on.year}</time>" in listing


def test_sharing_without_an_authorised_therapist_is_refused_in_words(
    client, patient_user, patient, therapist, entry
):
    client.force_login(patient_user)

    page = client.get(reverse("journal:edit", args=[entry.external_id])).content.decode()
    response = share(client, entry, therapist)

    assert "first authorise your therapist" in page
    assert response.status_code == 422
    assert "You have not authorised a therapist" in response.content.decode()
    entry.refresh_from_db()
    assert entry.shared_with_id is None


def test_sharing_with_a_therapist_not_authorised_is_refused_at_the_field(
    client, patient_user, patient, therapist, colleague, entry
):
    authorize(patient, therapist)
    client.force_login(patient_user)

    response = share(client, entry, colleague)

    assert response.status_code == 422
    assert response.context["share_form"].errors["therapist"] == [
        "Choose one of the therapists you have authorised."
    ]
    entry.refresh_from_db()
    assert entry.shared_with_id is None


def test_chosen_therapist_sees_the_entry_and_the_other_authorised_therapist_does_not(
    client, patient_user, patient, therapist, colleague, entry
):
    authorize(patient, therapist)
    authorize(patient, colleague)
    client.force_login(patient_user)
    share(client, entry, therapist)

    client.force_login(therapist)
    chosen = client.get(shared_url(patient)).content.decode()
    client.force_login(colleague)
    other = client.get(shared_url(patient)).content.decode()

    assert SECTION in chosen
    assert BODY in chosen
    assert SECTION in other
    assert BODY not in other


def test_each_entry_read_by_the_therapist_is_logged_as_a_disclosure(
    client, patient_user, patient, therapist, entry
):
    authorize(patient, therapist)
    client.force_login(patient_user)
    share(client, entry, therapist)
    client.force_login(therapist)

    client.get(shared_url(patient))

    row = AccessLogEntry.objects.get(object_type="journalentry", actor=therapist)
    assert (row.action, row.object_id, row.patient_id) == (
        AccessAction.DISCLOSE,
        str(entry.external_id),
        patient.pk,
    )


def test_after_the_patient_stops_sharing_nobody_sees_the_entry(
    client, patient_user, patient, therapist, entry
):
    authorize(patient, therapist)
    client.force_login(patient_user)
    share(client, entry, therapist)

    response = client.post(reverse("journal:unshare", args=[entry.external_id]))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.shared_with_id is None
    assert entry.shared_at is None
    client.force_login(therapist)
    page = client.get(shared_url(patient)).content.decode()
    assert BODY not in page
    assert "has not shared a journal entry with you" in page


def test_sharing_with_another_therapist_takes_it_from_the_first(
    client, patient_user, patient, therapist, colleague, entry
):
    authorize(patient, therapist)
    authorize(patient, colleague)
    client.force_login(patient_user)
    share(client, entry, therapist)

    share(client, entry, colleague)

    client.force_login(therapist)
    assert BODY not in client.get(shared_url(patient)).content.decode()
    client.force_login(colleague)
    assert BODY in client.get(shared_url(patient)).content.decode()


def test_revoked_authorisation_gives_the_therapist_404_on_the_next_request(
    client, patient_user, patient, therapist, entry
):
    authorization = authorize(patient, therapist)
    client.force_login(patient_user)
    share(client, entry, therapist)
    client.force_login(therapist)
    assert BODY in client.get(shared_url(patient)).content.decode()

    consent_services.revoke_authorization(
        actor=Actor(user=patient_user, ip_address=None), authorization=authorization
    )

    assert client.get(shared_url(patient)).status_code == 404


def test_expired_authorisation_gives_the_therapist_404(
    client, patient_user, patient, therapist, entry
):
    import time_machine

    today = consent_services.clinic_today(patient.clinic)
    authorization = authorize(patient, therapist, expires_on=today + dt.timedelta(days=1))
    client.force_login(patient_user)
    share(client, entry, therapist)

    with time_machine.travel(authorization.expires_at + dt.timedelta(minutes=1)):
        client.force_login(therapist)
        assert client.get(shared_url(patient)).status_code == 404


def test_any_scope_lets_the_therapist_read_what_was_shared_with_them(
    client, patient_user, patient, therapist, entry
):
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    client.force_login(patient_user)
    share(client, entry, therapist)
    client.force_login(therapist)

    assert BODY in client.get(shared_url(patient)).content.decode()


def test_a_therapist_authorised_by_another_patient_gets_404(
    client, patient_user, patient, other_patient, therapist, colleague, entry
):
    from tests.factories import PatientFactory

    authorize(patient, therapist)
    someone_else = PatientFactory(clinic=patient.clinic, user=UserFactory())
    authorize(someone_else, colleague)
    client.force_login(patient_user)
    share(client, entry, therapist)

    client.force_login(colleague)

    assert client.get(shared_url(patient)).status_code == 404


def test_the_therapist_cannot_open_the_patients_journal_pages(client, patient, therapist, entry):
    authorize(patient, therapist)
    client.force_login(therapist)

    assert client.get(reverse("journal:list")).status_code == 403
    assert client.get(reverse("journal:edit", args=[entry.external_id])).status_code == 403


def test_shared_record_runs_the_same_queries_for_one_shared_entry_and_for_many(
    client, patient_user, patient, therapist, entry, django_assert_max_num_queries
):
    authorize(patient, therapist)
    client.force_login(patient_user)
    share(client, entry, therapist)
    client.force_login(therapist)
    with CaptureQueriesContext(connection) as one:
        client.get(shared_url(patient))
    queries_for_one = len(one)  # read now: the next request empties the query log
    for _ in range(6):
        more = journal_entry(patient, kind=EntryKind.REFLECTION)
        client.force_login(patient_user)
        share(client, more, therapist)
    client.force_login(therapist)

    with django_assert_max_num_queries(queries_for_one):
        page = client.get(shared_url(patient)).content.decode()

    assert page.count("<article") == 7
