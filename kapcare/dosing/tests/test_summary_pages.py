"""The record page's "Summary for the therapist" part and its actions, and the Session
summaries section of the therapist's shared record: released summaries only, within the
`session_summaries` scope, each read logged as a disclosure."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consents_services
from kapcare.dosing.models import PatientExperience, TherapistSummary
from kapcare.dosing.summary import services as summary_services
from kapcare.dosing.tests.test_signing_fixtures import (
    START,
    actor,
    finished_record,
    signed_record,
)
from kapcare.scopes import Scope
from tests.factories import PASSWORD, authorize
from tests.second_factor import code_for, give_authenticator, reauthenticated

NO_SUMMARY_YET = "No session summary has been released yet."
SECTION = 'id="shared-summaries-heading"'


def record_url(record) -> str:
    return reverse("dosing:record", args=[record.session.external_id])


def save_url(record) -> str:
    return reverse("signing:summary_save", args=[record.session.external_id])


def release_url(record) -> str:
    return reverse("signing:summary_release", args=[record.session.external_id])


def shared_url(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


def part_context(response, key: str) -> dict:
    return next(context for part, context in response.context["parts"] if part.key == key)


def release(record, clinician, text):
    return summary_services.release_summary(
        actor=actor(clinician),
        record=record,
        text=text,
        reauthentication=reauthenticated(clinician),
    )


# --- The record page ------------------------------------------------------------------------


def test_the_clinician_sees_the_draft_in_a_textarea(client, clinician, patient):
    record = finished_record(patient, clinician)
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert '<textarea name="text"' in content
    assert "Dose: low (≤ 0.5 mg/kg)." in content
    assert "Not saved yet." in content


def test_the_record_page_shows_the_patients_own_account(client, clinician, patient):
    record = finished_record(patient, clinician)
    PatientExperience.objects.create(
        record=record, patient=patient, dissociation=8, bring_to_integration="Trust."
    )
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert "<dd>8 of 10 (0 not at all, 10 completely)</dd>" in content
    assert "“Trust.”" in content  # quoted in the draft too


def test_the_summary_is_saved_from_the_record_page(client, clinician, patient):
    record = finished_record(patient, clinician)
    client.force_login(clinician)

    response = client.post(save_url(record), {"text": "Edited by the clinician."})

    assert response.status_code == 302
    assert TherapistSummary.objects.get(record=record).text == "Edited by the clinician."
    assert "Edited by the clinician." in client.get(record_url(record)).content.decode()


def test_a_blank_summary_is_an_error_at_its_field(client, clinician, patient):
    record = finished_record(patient, clinician)
    client.force_login(clinician)

    response = client.post(save_url(record), {"text": ""})

    assert response.status_code == 422
    assert part_context(response, "summary")["form"].errors["text"] == [
        "Write the summary (the draft is a starting point)."
    ]
    assert 'id="summary_text_error"' in response.content.decode()


def test_release_before_signing_keeps_the_typed_text(client, clinician, patient):
    record = finished_record(patient, clinician)
    client.force_login(clinician)

    response = client.post(
        release_url(record), {"text": "Carefully typed.", "reauthentication": PASSWORD}
    )

    assert response.status_code == 422
    content = response.content.decode()
    assert "Sign the record before releasing its summary." in content
    assert "Carefully typed." in content
    assert not TherapistSummary.objects.exists()


def test_the_summary_is_released_from_the_record_page(client, clinician, patient):
    record = signed_record(patient, clinician)
    client.force_login(clinician)

    response = client.post(
        release_url(record), {"text": "For the therapist.", "reauthentication": PASSWORD}
    )

    assert response.status_code == 302
    summary = TherapistSummary.objects.get(record=record)
    assert (summary.text, summary.is_released) == ("For the therapist.", True)
    content = client.get(record_url(record)).content.decode()
    assert "✓ Released</span>" in content
    assert 'action="' + save_url(record) not in content


def test_release_without_the_code_is_refused_and_keeps_the_text(client, clinician, patient):
    record = signed_record(patient, clinician)
    give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(release_url(record), {"text": "For the therapist."})

    assert response.status_code == 422
    form = part_context(response, "summary")["release_form"]
    assert form.errors["reauthentication"] == ["Re-enter your password to confirm that it is you."]
    assert "For the therapist." in response.content.decode()
    assert not TherapistSummary.objects.filter(released_at__isnull=False).exists()


def test_release_with_the_current_code_releases(client, clinician, patient):
    record = signed_record(patient, clinician)
    device = give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(
        release_url(record),
        {
            "text": "For the therapist.",
            "reauthentication": PASSWORD,
            "reauthentication_code": code_for(device),
        },
    )

    assert response.status_code == 302
    assert TherapistSummary.objects.get(record=record).is_released


def test_release_is_offered_only_once_signed(client, clinician, patient):
    record = finished_record(patient, clinician)
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert f'formaction="{release_url(record)}"' not in content
    assert "The summary can be released once the record is signed." in content


def test_a_coordinator_may_not_edit_the_summary(client, coordinator, clinician, patient):
    record = finished_record(patient, clinician)
    client.force_login(coordinator)

    assert client.post(save_url(record), {"text": "X"}).status_code == 403
    assert client.post(release_url(record), {"text": "X"}).status_code == 403
    assert not TherapistSummary.objects.exists()


def test_the_page_says_the_therapist_can_receive_the_summary(client, clinician, patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    record = finished_record(patient, clinician, therapist=therapist)
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert "✓ The therapist can receive it" in content


def test_the_page_says_when_the_therapist_cannot_receive_the_summary(
    client, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    record = finished_record(patient, clinician, therapist=therapist)
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert "The therapist cannot receive it" in content
    assert "✓ The therapist can receive it" not in content


# --- The shared record ----------------------------------------------------------------------


def test_the_therapist_with_the_scope_reads_the_released_summary(
    client, clinician, patient, therapist
):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    release(signed_record(patient, clinician, therapist=therapist), clinician, "Went well.")
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert SECTION in content
    assert "Went well." in content
    assert "Session of <time" in content
    assert "Tuesday, March 3, 2026" in content
    assert NO_SUMMARY_YET not in content


def test_a_summary_not_yet_released_is_not_shown(client, clinician, patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    record = signed_record(patient, clinician, therapist=therapist)
    summary_services.save_summary(actor=actor(clinician), record=record, text="Still a draft.")
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert "Still a draft." not in content
    assert NO_SUMMARY_YET in content


@pytest.mark.parametrize("scope", [Scope.SCHEDULE, Scope.MEASURES, Scope.SAFETY_ALERTS])
def test_without_the_scope_the_section_is_hidden(client, clinician, patient, therapist, scope):
    authorize(patient, therapist, scopes=[scope])
    release(signed_record(patient, clinician, therapist=therapist), clinician, "Went well.")
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert SECTION not in content
    assert "Went well." not in content


def test_after_revocation_the_therapist_reads_nothing(
    client, clinician, patient, patient_user, therapist
):
    authorization = authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    release(signed_record(patient, clinician, therapist=therapist), clinician, "Went well.")
    client.force_login(therapist)
    assert "Went well." in client.get(shared_url(patient)).content.decode()

    consents_services.revoke_authorization(actor=actor(patient_user), authorization=authorization)

    assert client.get(shared_url(patient)).status_code == 404


def test_the_therapists_read_is_logged_as_a_disclosure(client, clinician, patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    release(signed_record(patient, clinician, therapist=therapist), clinician, "Went well.")
    client.force_login(therapist)
    before = AccessLogEntry.objects.count()

    client.get(shared_url(patient))

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.actor_id, r.patient_id, r.action) for r in rows] == [
        (therapist.pk, patient.pk, AccessAction.DISCLOSE)
    ]


def test_the_section_runs_the_same_queries_however_many_summaries(
    client, rf, clinician, patient, therapist, django_assert_num_queries
):
    from kapcare.dosing.shared_sections import shared_summaries

    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    request = rf.get("/")
    request.user = therapist
    release(signed_record(patient, clinician, therapist=therapist), clinician, "One.")
    with django_assert_num_queries(2) as one:  # the policy's, the summaries
        shared_summaries(request, patient)
    for weeks, text in [(1, "Two."), (2, "Three."), (3, "Four.")]:
        later = START + dt.timedelta(weeks=weeks)
        release(signed_record(patient, clinician, therapist=therapist, at=later), clinician, text)

    with django_assert_num_queries(len(one.captured_queries)):
        context = shared_summaries(request, patient)

    assert [s.text for s in context["summaries"]] == ["Four.", "Three.", "Two.", "One."]
