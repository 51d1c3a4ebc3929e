"""The patient's journal in the portal: writing, reading and changing entries, each entry
private by default, the dose it is about, mistakes shown at the field with nothing lost,
an access-log row for every read and write, and the clinic kept out."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.journal.models import EntryKind, JournalEntry
from kapcare.journal.services import BODY_MAX_LENGTH
from kapcare.journal.tests.factories import journal_entry
from tests.factories import PatientFactory, UserFactory, open_episode, plan_session

NOW = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def doses(patient, clinician):
    """A dosing session given three days ago and one planned in four days."""
    from kapcare.episodes.models import SessionStatus

    episode = open_episode(patient, clinician)
    past = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=3))
    past.status = SessionStatus.DONE
    past.save(update_fields=["status"])
    upcoming = plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=4))
    return past, upcoming


def log_rows(patient, action, object_type="journalentry"):
    return AccessLogEntry.objects.filter(patient=patient, action=action, object_type=object_type)


def test_patient_writes_an_intention_for_an_upcoming_dose(client, patient_user, patient, doses):
    _, upcoming = doses
    client.force_login(patient_user)

    response = client.post(
        reverse("journal:new"),
        {
            "kind": EntryKind.INTENTION,
            "dosing_session": str(upcoming.external_id),
            "body": "To stay with what comes.",
        },
    )

    assert response.status_code == 302
    entry = JournalEntry.objects.get(patient=patient)
    assert (entry.kind, entry.dosing_session_id, entry.body) == (
        EntryKind.INTENTION,
        upcoming.pk,
        "To stay with what comes.",
    )
    assert entry.shared_with is None
    assert log_rows(patient, AccessAction.CREATE).get().object_id == str(entry.external_id)


def test_new_entry_form_offers_upcoming_and_past_doses_and_says_it_is_private(
    client, patient_user, doses
):
    past, upcoming = doses
    client.force_login(patient_user)

    page = client.get(reverse("journal:new") + "?kind=reflection").content.decode()

    assert "Coming up" in page
    assert "Already had" in page
    assert str(past.external_id) in page
    assert str(upcoming.external_id) in page
    assert "Private by default" in page
    assert "The clinic does not read your journal" in page
    assert "until you stop sharing it or revoke their authorisation" in page
    assert re.search(r'<input[^>]*value="reflection"[^>]*checked', page)


def test_intention_for_a_dose_already_given_is_refused_at_the_field(
    client, patient_user, patient, doses
):
    past, _ = doses
    client.force_login(patient_user)

    response = client.post(
        reverse("journal:new"),
        {"kind": EntryKind.INTENTION, "dosing_session": str(past.external_id), "body": "Kept"},
    )

    assert response.status_code == 422
    assert "An intention is for a dose to come" in str(
        response.context["form"].errors["dosing_session"]
    )
    assert "Kept" in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_reflection_on_a_dose_to_come_is_refused_at_the_field(client, patient_user, doses):
    _, upcoming = doses
    client.force_login(patient_user)

    response = client.post(
        reverse("journal:new"),
        {"kind": EntryKind.REFLECTION, "dosing_session": str(upcoming.external_id), "body": "x"},
    )

    assert response.status_code == 422
    assert "A reflection is about a dose you have had" in str(
        response.context["form"].errors["dosing_session"]
    )


def test_another_patients_session_cannot_be_chosen(
    client, patient_user, patient, clinic, clinician
):
    other = PatientFactory(clinic=clinic)
    theirs = plan_session(
        open_episode(other, clinician), clinician, starts_at=NOW + dt.timedelta(days=2)
    )
    client.force_login(patient_user)

    response = client.post(
        reverse("journal:new"),
        {"kind": EntryKind.INTENTION, "dosing_session": str(theirs.external_id), "body": "x"},
    )

    assert response.status_code == 422
    assert "Choose one of your dosing sessions" in str(
        response.context["form"].errors["dosing_session"]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something: the entry is empty."),
        ("x" * (BODY_MAX_LENGTH + 1), f"up to {BODY_MAX_LENGTH:,} characters"),
    ],
)
def test_empty_or_too_long_entry_is_refused_at_the_field_keeping_the_text(
    client, patient_user, patient, body, message
):
    client.force_login(patient_user)

    response = client.post(reverse("journal:new"), {"kind": EntryKind.REFLECTION, "body": body})

    assert response.status_code == 422
    assert message in str(response.context["form"].errors["body"])
    assert response.context["form"]["body"].value() == body
    assert not JournalEntry.objects.exists()
    assert log_rows(patient, AccessAction.VIEW, "patient").exists()


def test_missing_kind_is_refused_at_the_field(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.post(reverse("journal:new"), {"body": "Something"})

    assert response.status_code == 422
    assert response.context["form"].errors["kind"] == ["Choose an intention or a reflection."]


def test_list_shows_own_entries_newest_first_each_marked_private(client, patient_user, patient):
    journal_entry(patient, body="The first one")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        journal_entry(patient, kind=EntryKind.REFLECTION, body="The second one")
    journal_entry(PatientFactory(clinic=patient.clinic, user=UserFactory()), body="Not mine")
    client.force_login(patient_user)

    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        page = client.get(reverse("journal:list")).content.decode()

    assert page.index("The second one") < page.index("The first one")
    assert "Not mine" not in page
    assert page.count("Only you can read it") == 2


def test_list_runs_the_same_queries_for_one_entry_and_for_many(
    client, patient_user, patient, doses, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    past, _ = doses
    journal_entry(patient, kind=EntryKind.REFLECTION, session=past)
    client.force_login(patient_user)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("journal:list"))
    queries_for_one = len(one)  # read now: the next request empties the query log
    for _ in range(8):
        journal_entry(patient, kind=EntryKind.REFLECTION, session=past)

    with django_assert_max_num_queries(queries_for_one):
        response = client.get(reverse("journal:list"))

    assert len(response.context["entries"]) == 9


def test_patient_changes_an_entry_and_the_change_is_logged(client, patient_user, patient):
    entry = journal_entry(patient)
    client.force_login(patient_user)

    assert client.get(reverse("journal:edit", args=[entry.external_id])).status_code == 200
    response = client.post(
        reverse("journal:edit", args=[entry.external_id]),
        {"kind": EntryKind.REFLECTION, "body": "Rewritten", "dosing_session": ""},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.kind, entry.body) == (EntryKind.REFLECTION, "Rewritten")
    assert log_rows(patient, AccessAction.VIEW).count() == 1
    assert log_rows(patient, AccessAction.UPDATE).count() == 1


def test_an_intention_can_be_finished_after_its_dose(client, patient_user, patient, doses):
    _, upcoming = doses
    entry = journal_entry(patient, session=upcoming)
    client.force_login(patient_user)

    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        client.force_login(patient_user)  # signed in again after the idle time-out
        response = client.post(
            reverse("journal:edit", args=[entry.external_id]),
            {
                "kind": EntryKind.INTENTION,
                "body": "Finished later",
                "dosing_session": str(upcoming.external_id),
            },
        )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Finished later"
    assert entry.dosing_session_id == upcoming.pk


def test_another_patients_entry_is_not_found(client, patient_user, clinic):
    theirs = journal_entry(PatientFactory(clinic=clinic, user=UserFactory()))
    client.force_login(patient_user)

    assert client.get(reverse("journal:edit", args=[theirs.external_id])).status_code == 404
    response = client.post(reverse("journal:unshare", args=[theirs.external_id]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "clinician", "clinic_admin"])
def test_the_clinics_staff_cannot_reach_the_journal(client, request, patient, role):
    entry = journal_entry(patient)
    client.force_login(request.getfixturevalue(role))

    for url in (
        reverse("journal:list"),
        reverse("journal:new"),
        reverse("journal:edit", args=[entry.external_id]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("journal:unshare", args=[entry.external_id])).status_code == 403


def test_the_chart_shows_nothing_of_the_journal(client, clinician, patient):
    journal_entry(patient, body="A secret intention about my brother")
    client.force_login(clinician)

    page = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert "A secret intention" not in page
    assert "journal" not in page.lower()
