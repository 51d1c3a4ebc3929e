"""The therapist's session summary: drafted from the record (a dose band unless the clinic
shows the exact dose), edited by the clinician until released, released only after signing,
and announced by an email without health information to the episode's therapist, only
when the patient lets them read session summaries."""

import datetime as dt

import pytest

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consents_services
from kapcare.dosing.models import (
    AdverseEvent,
    InfusionChange,
    InfusionChangeKind,
    PatientExperience,
    Severity,
    TherapistSummary,
)
from kapcare.dosing.summary import services as summary_services
from kapcare.dosing.tests.test_signing_fixtures import (
    START,
    actor,
    finished_record,
    fresh,
    signed_record,
)
from kapcare.refusals import Refused
from kapcare.scopes import Scope
from tests.factories import authorize
from tests.second_factor import reauthenticated


def problems(call) -> dict:
    with pytest.raises(Refused) as refusal:
        call()
    return refusal.value.problems


def release(record, clinician, text=None):
    return summary_services.release_summary(
        actor=actor(clinician),
        record=record,
        text=text,
        reauthentication=reauthenticated(clinician),
    )


def test_release_without_re_entering_the_code_is_refused(patient, clinician):
    record = signed_record(patient, clinician)

    with pytest.raises(Refused) as refusal:
        summary_services.release_summary(
            actor=actor(clinician),
            record=record,
            text="X",
            reauthentication=None,
        )

    assert refusal.value.problems == {
        "reauthentication": "Re-enter your password to release the summary."
    }


# --- The draft ------------------------------------------------------------------------------


def test_the_draft_gives_a_dose_band_not_milligrams_by_default(patient, clinician):
    draft = summary_services.draft_summary(finished_record(patient, clinician))

    assert "Dose: low (≤ 0.5 mg/kg)." in draft
    assert "35" not in draft


def test_the_draft_gives_milligrams_when_the_clinic_allows_it(clinic, patient, clinician):
    clinic.summary_shows_exact_dose = True
    clinic.save(update_fields=["summary_shows_exact_dose"])

    draft = summary_services.draft_summary(finished_record(patient, clinician))

    assert "Dose: 35 mg (0.5 mg/kg)." in draft


def test_the_draft_is_dated_in_the_clinics_time_zone(patient, clinician):
    # 11:30 PM in Chicago on March 2 is already March 3 in UTC.
    late = dt.datetime(2026, 3, 3, 5, 30, tzinfo=dt.UTC)

    draft = summary_services.draft_summary(
        finished_record(patient, clinician, dose_started_at=late)
    )

    assert draft.startswith("Dosing session of Monday, March 2, 2026.")


def test_the_draft_names_adverse_events_and_an_early_stop_but_no_details(patient, clinician):
    record = finished_record(patient, clinician)
    AdverseEvent.objects.create(
        record=record,
        patient_id=record.patient_id,
        kind="hypertension",
        severity=Severity.MODERATE,
        onset_at=START + dt.timedelta(minutes=25),
        description="BP 186/112, labetalol given",
        recorded_by=clinician,
    )
    InfusionChange.objects.create(
        record=record,
        kind=InfusionChangeKind.STOPPED,
        at=START + dt.timedelta(minutes=30),
        reason="Hypertension",
        recorded_by=clinician,
    )

    draft = summary_services.draft_summary(record)

    assert "Notable events: Hypertension (moderate); the infusion was stopped early." in draft
    assert "186" not in draft
    assert "labetalol" not in draft


def test_the_draft_carries_the_patients_words_for_integration(patient, clinician):
    record = finished_record(patient, clinician)
    PatientExperience.objects.create(
        record=record,
        patient=patient,
        experience="Floating.",
        dissociation=6,
        bring_to_integration="The grief about my brother.",
    )

    draft = summary_services.draft_summary(record)

    assert "in their words: “The grief about my brother.”" in draft
    assert "Dissociation, as the patient rated it: 6 of 10" in draft
    assert "Floating." not in draft


# --- Saving and releasing -------------------------------------------------------------------


def test_a_clinician_saves_the_summary_and_edits_it_again(patient, clinician):
    record = finished_record(patient, clinician)

    summary_services.save_summary(actor=actor(clinician), record=record, text="First draft.")
    summary_services.save_summary(actor=actor(clinician), record=record, text="  Second draft. ")

    summary = TherapistSummary.objects.get(record=record)
    assert (summary.text, summary.edited_by_id, summary.is_released) == (
        "Second draft.",
        clinician.pk,
        False,
    )


def test_saving_the_summary_is_logged(patient, clinician):
    record = finished_record(patient, clinician)

    summary_services.save_summary(actor=actor(clinician), record=record, text="Draft.")

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.patient_id, entry.action, entry.object_type) == (
        patient.pk,
        AccessAction.CREATE,
        "therapistsummary",
    )


def test_the_summary_may_be_edited_after_signing_until_released(patient, clinician):
    record = signed_record(patient, clinician)

    summary_services.save_summary(
        actor=actor(clinician), record=record, text="Edited after signing."
    )

    assert TherapistSummary.objects.get(record=record).text == "Edited after signing."


def test_a_blank_summary_is_refused_at_its_field(patient, clinician):
    record = finished_record(patient, clinician)

    refused = problems(
        lambda: summary_services.save_summary(actor=actor(clinician), record=record, text=" ")
    )

    assert refused == {"text": "Write the summary (the draft is a starting point)."}


def test_only_a_clinician_edits_the_summary(patient, clinician, coordinator):
    record = finished_record(patient, clinician)

    problems(
        lambda: summary_services.save_summary(actor=actor(coordinator), record=record, text="X")
    )

    assert not TherapistSummary.objects.exists()


def test_release_before_signing_is_refused(patient, clinician):
    record = finished_record(patient, clinician)

    refused = problems(lambda: release(record, clinician, "Ready."))

    assert refused == {"__all__": "Sign the record before releasing its summary."}
    assert not TherapistSummary.objects.exists()


def test_a_clinician_releases_the_summary_of_a_signed_record(patient, clinician):
    record = signed_record(patient, clinician)

    summary = release(record, clinician, "What the therapist should know.")

    summary.refresh_from_db()
    assert summary.text == "What the therapist should know."
    assert summary.is_released
    assert summary.released_by_id == clinician.pk


def test_a_saved_summary_is_released_as_saved(patient, clinician):
    record = signed_record(patient, clinician)
    summary_services.save_summary(actor=actor(clinician), record=record, text="As saved.")

    release(record, clinician)

    assert TherapistSummary.objects.get(record=record).is_released


def test_releasing_without_any_text_is_refused(patient, clinician):
    record = signed_record(patient, clinician)

    assert problems(lambda: release(record, clinician)) == {
        "text": "Write the summary before releasing it."
    }


def test_a_released_summary_can_no_longer_be_changed(patient, clinician):
    record = signed_record(patient, clinician)
    release(record, clinician, "Released text.")

    refused = problems(
        lambda: summary_services.save_summary(
            actor=actor(clinician), record=record, text="Changed."
        )
    )

    assert refused == {"__all__": "This summary was released: it can no longer be changed."}
    assert TherapistSummary.objects.get(record=record).text == "Released text."


def test_a_summary_is_released_once(patient, clinician):
    record = signed_record(patient, clinician)
    release(record, clinician, "Released text.")

    assert problems(lambda: release(record, clinician)) == {
        "__all__": "This summary was already released."
    }


# --- The therapist's email ------------------------------------------------------------------


def released_with_mail(record, clinician, capture):
    with capture(execute=True):
        release(record, clinician, "Summary text.")


def test_the_authorised_therapist_is_emailed_a_link_on_release(
    patient, clinician, therapist, mailoutbox, django_capture_on_commit_callbacks
):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    record = signed_record(patient, clinician, therapist=therapist)
    mailoutbox.clear()

    released_with_mail(record, clinician, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [therapist.email]
    assert message.subject == "A session summary is ready for you"
    assert f"http://testserver/shared/patients/{patient.external_id}/" in message.body


def test_the_email_carries_no_name_initials_date_or_summary(
    patient, clinician, therapist, mailoutbox, django_capture_on_commit_callbacks
):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    record = signed_record(patient, clinician, therapist=therapist)
    mailoutbox.clear()

    released_with_mail(record, clinician, django_capture_on_commit_callbacks)

    text = f"{mailoutbox[0].subject}\n{mailoutbox[0].body}"
    text = text.replace(str(patient.external_id), "")  # an opaque id may hold "2026"
    for phi in [
        patient.given_name,
        patient.family_name,
        f"{patient.given_name[0]}.{patient.family_name[0]}.",
        f"{patient.given_name[0]}{patient.family_name[0]}",
        "Summary text.",
        "March",
        "2026",
        "3/3",
    ]:
        assert phi not in text


def test_nothing_is_emailed_before_the_release_commits(
    patient, clinician, therapist, mailoutbox, django_capture_on_commit_callbacks
):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    record = signed_record(patient, clinician, therapist=therapist)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        release(record, clinician, "Summary text.")

    assert mailoutbox == []
    assert len(callbacks) == 1


@pytest.mark.parametrize("scopes", [[Scope.SCHEDULE], [Scope.MEASURES, Scope.SAFETY_ALERTS]])
def test_a_therapist_without_the_summaries_scope_is_not_emailed(
    patient, clinician, therapist, mailoutbox, django_capture_on_commit_callbacks, scopes
):
    authorize(patient, therapist, scopes=scopes)
    record = signed_record(patient, clinician, therapist=therapist)
    mailoutbox.clear()

    released_with_mail(record, clinician, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert TherapistSummary.objects.get(record=record).is_released


def test_a_therapist_whose_authorisation_was_revoked_is_not_emailed(
    patient, patient_user, clinician, therapist, mailoutbox, django_capture_on_commit_callbacks
):
    authorization = authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    consents_services.revoke_authorization(actor=actor(patient_user), authorization=authorization)
    record = signed_record(patient, clinician, therapist=therapist)
    mailoutbox.clear()

    released_with_mail(record, clinician, django_capture_on_commit_callbacks)

    assert mailoutbox == []


def test_without_a_therapist_on_the_episode_nobody_is_emailed(
    patient, clinician, mailoutbox, django_capture_on_commit_callbacks
):
    record = signed_record(patient, clinician)
    mailoutbox.clear()

    released_with_mail(record, clinician, django_capture_on_commit_callbacks)

    assert mailoutbox == []


def test_the_recipient_is_the_live_authorisation_with_the_scope(patient, clinician, therapist):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    with_scope = authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    record = fresh(finished_record(patient, clinician, therapist=therapist))

    assert summary_services.summary_recipient(record).pk == with_scope.pk
