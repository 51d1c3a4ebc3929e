import pytest
from django.core import mail

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessLogEntry
from kapcare.measures import scoring, services
from kapcare.measures.models import AlertKind, Assessment, AssessmentStatus, SafetyAlert, Source

PHQ9_MODERATE_NO_ITEM9 = [2, 2, 1, 1, 2, 1, 2, 1, 0]  # total 12
PHQ9_WITH_ITEM9 = [2, 2, 1, 1, 2, 1, 2, 1, 1]  # total 13, item 9 = 1


@pytest.fixture
def actor(clinician):
    return Actor(user=clinician, ip_address="127.0.0.1")


def test_completing_scores_stores_and_logs(actor, patient):
    completion = services.record_assessment(
        actor=actor,
        patient=patient,
        instrument="phq9",
        answers=PHQ9_MODERATE_NO_ITEM9,
        source=Source.STAFF,
    )

    a = completion.assessment
    assert (a.status, a.total, a.band, a.flags) == (AssessmentStatus.COMPLETED, 12, "moderate", [])
    assert a.entered_by_id == actor.user.pk
    assert completion.alerts == []
    assert AccessLogEntry.objects.filter(patient=patient, object_type="assessment").exists()


def test_item_9_raises_an_alert_and_emails_the_clinical_inbox(
    actor, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        completion = services.record_assessment(
            actor=actor,
            patient=patient,
            instrument="phq9",
            answers=PHQ9_WITH_ITEM9,
            source=Source.STAFF,
        )

    alert = SafetyAlert.objects.get()
    assert completion.alerts == [alert]
    assert completion.needs_crisis_resources
    assert (alert.kind, alert.patient_id, alert.clinic_id) == (
        AlertKind.SUICIDAL_IDEATION,
        patient.pk,
        patient.clinic_id,
    )
    assert mail.outbox[-1].to == [patient.clinic.clinical_inbox]
    assert patient.family_name not in mail.outbox[-1].body + mail.outbox[-1].subject


def test_cssrs_high_risk_raises_an_alert(actor, patient):
    answers = [True, True, True, True, False, False, None]

    completion = services.record_assessment(
        actor=actor,
        patient=patient,
        instrument="cssrs_screen",
        answers=answers,
        source=Source.STAFF,
    )

    assert completion.assessment.band == "high risk"
    assert [a.kind for a in completion.alerts] == [AlertKind.SUICIDE_RISK_HIGH]


def test_unscorable_answers_store_nothing(actor, patient):
    with pytest.raises(scoring.AnswerError, match="Item 3"):
        services.record_assessment(
            actor=actor,
            patient=patient,
            instrument="phq9",
            answers=[0, 0, 7, 0, 0, 0, 0, 0, 0],
            source=Source.STAFF,
        )

    assert not Assessment.objects.filter(status=AssessmentStatus.COMPLETED).exists()
    assert not SafetyAlert.objects.exists()


def test_progress_is_kept_and_resumed(actor, patient):
    first = services.start_assessment(
        actor=actor, patient=patient, instrument="gad7", source=Source.PORTAL
    )
    services.save_progress(
        actor=actor, assessment=first, answers=[1, 2, None, None, None, None, None]
    )

    again = services.start_assessment(
        actor=actor, patient=patient, instrument="gad7", source=Source.PORTAL
    )

    assert again.pk == first.pk
    assert again.answers == [1, 2, None, None, None, None, None]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([1, 2, 3], "has 7 items"),
        ([9, None, None, None, None, None, None], "Item 1"),
        ([True] + [None] * 6, "Item 1"),
    ],
)
def test_progress_refuses_answers_that_are_not_options(actor, patient, answers, message):
    assessment = services.start_assessment(
        actor=actor, patient=patient, instrument="gad7", source=Source.PORTAL
    )

    with pytest.raises(services.AssessmentError, match=message):
        services.save_progress(actor=actor, assessment=assessment, answers=answers)


def test_a_completed_assessment_cannot_be_completed_again(actor, patient):
    completion = services.record_assessment(
        actor=actor,
        patient=patient,
        instrument="phq9",
        answers=PHQ9_MODERATE_NO_ITEM9,
        source=Source.STAFF,
    )

    with pytest.raises(services.AssessmentError, match="already completed"):
        services.complete_assessment(
            actor=actor, assessment=completion.assessment, answers=PHQ9_WITH_ITEM9
        )


def test_pcl5_uses_the_clinics_cutoff(actor, patient):
    patient.clinic.pcl5_provisional_cutoff = 31
    patient.clinic.save(update_fields=["pcl5_provisional_cutoff"])
    answers = [2] * 15 + [1] * 2 + [0] * 3  # total 32

    completion = services.record_assessment(
        actor=actor, patient=patient, instrument="pcl5", answers=answers, source=Source.STAFF
    )

    assert completion.assessment.band == "probable ptsd"


def test_review_needs_a_note_and_happens_once(actor, patient):
    completion = services.record_assessment(
        actor=actor,
        patient=patient,
        instrument="phq9",
        answers=PHQ9_WITH_ITEM9,
        source=Source.STAFF,
    )
    alert = completion.alerts[0]

    with pytest.raises(services.AssessmentError, match="what was done"):
        services.review_alert(actor=actor, alert=alert, note="   ")
    reviewed = services.review_alert(actor=actor, alert=alert, note="Called; safety plan reviewed.")
    with pytest.raises(services.AssessmentError, match="already reviewed"):
        services.review_alert(actor=actor, alert=alert, note="again")

    assert not reviewed.is_open
    assert reviewed.reviewed_by_id == actor.user.pk
