import pytest

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.education import defaults, services
from kapcare.education.models import AfterCareHandover, EducationReceipt, EducationVersion
from kapcare.education.tests.factories import actor, education_page, publish
from kapcare.episodes.models import SessionStatus
from kapcare.kept import RecordIsKept
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.refusals import Refused
from tests.clock import wall_clock
from tests.factories import open_episode, plan_session


def test_a_clinic_starts_with_the_default_pages_once(clinic):
    services.ensure_default_pages(clinic)
    services.ensure_default_pages(clinic)

    pages = services.current_pages(clinic)

    assert [page.topic for page in pages] == list(defaults.PAGES)
    assert all(page.current.number == 1 for page in pages)


def test_publishing_adds_a_version_and_keeps_the_earlier_one(clinic, clinician):
    page = education_page(clinic)

    version = publish(page, clinician, body="Rest today.")

    assert version.number == 2
    assert services.page_for_topic(clinic, "after-care").current.pk == version.pk
    assert EducationVersion.objects.filter(page=page).count() == 2
    with pytest.raises(RecordIsKept):
        version.delete()


def test_a_version_needs_its_text(clinic, clinician):
    with pytest.raises(Refused) as refused:
        publish(education_page(clinic), clinician, body="  ", title="")

    assert set(refused.value.problems) == {"title", "body_markdown"}


def test_reading_twice_keeps_one_receipt_and_logs_it(clinic, patient, patient_user):
    version = education_page(clinic).current

    first = services.mark_read(actor=actor(patient_user), patient=patient, version=version)
    second = services.mark_read(actor=actor(patient_user), patient=patient, version=version)

    assert first.pk == second.pk
    assert EducationReceipt.objects.filter(patient=patient).count() == 1
    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.CREATE, object_type="educationreceipt"
    ).exists()


def test_a_receipt_on_an_earlier_version_is_not_read_now(clinic, clinician, patient, patient_user):
    page = education_page(clinic)
    services.mark_read(actor=actor(patient_user), patient=patient, version=page.current)
    publish(page, clinician, body="New after-care text.")

    (reading,) = services.readings(patient, [services.page_for_topic(clinic, page.topic)])

    assert reading.receipt is not None
    assert not reading.has_read_current


@pytest.mark.parametrize("count", [1, 12])
def test_pages_and_readings_take_a_fixed_number_of_queries(
    clinic, clinician, patient, patient_user, django_assert_max_num_queries, count
):
    page = education_page(clinic)
    for n in range(count):
        version = publish(page, clinician, body=f"Version {n}.")
        services.mark_read(actor=actor(patient_user), patient=patient, version=version)

    with django_assert_max_num_queries(4):
        services.readings(patient, services.current_pages(clinic))


def test_phases_follow_the_patients_doses(clinic, clinician, patient):
    assert services.phases_for_patient(patient)[0] == "preparation"
    session = plan_session(
        open_episode(patient, clinician), clinician, starts_at=wall_clock(days=3, hour=10)
    )

    assert services.phases_for_patient(patient)[0] == "dose_day"

    type(session).objects.filter(pk=session.pk).update(status=SessionStatus.DONE)
    assert services.phases_for_patient(patient) == ["after_care"]


def test_after_care_is_handed_over_once_and_emailed_without_health_information(
    clinic, clinician, patient, django_capture_on_commit_callbacks
):
    patient.email = "pat@example.org"
    patient.save(update_fields=["email"])
    session = plan_session(open_episode(patient, clinician), clinician)

    with django_capture_on_commit_callbacks():
        handover = services.hand_over_after_care(
            actor=actor(clinician), session=session, patient=patient
        )
        again = services.hand_over_after_care(
            actor=actor(clinician), session=session, patient=patient
        )

    assert again is None
    assert handover.version.page.topic == "after-care"
    assert AfterCareHandover.objects.filter(session=session).count() == 1
    email = Notification.objects.get(kind=NotificationKind.AFTER_CARE)
    assert email.to_email == "pat@example.org"
    assert "/portal/education/after-care/" in email.body
    assert clinic.name in email.body
    words = (email.subject + email.body).replace(clinic.name, "the clinic").lower()
    for word in ("ketamine", "dose", "driv"):
        assert word not in words
