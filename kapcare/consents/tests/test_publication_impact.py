"""What publishing a consent version will do, shown before the admin confirms: how many
patients must sign again and which booked doses the consent gate will then block."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents.impact import publication_impact
from kapcare.consents.models import ConsentDocument, DocumentKind
from kapcare.consents.tests.test_documents_fixtures import publish, sign, treatment_document
from kapcare.episodes.models import CareSession, SessionStatus
from tests.factories import PatientFactory, UserFactory, plan_session


def consented(clinic, clinician, *, dose_in_days: int | None = 3):
    """A patient who signed the current consent, with a dose booked `dose_in_days` ahead."""
    patient = PatientFactory(clinic=clinic, user=UserFactory(role=Role.PATIENT, clinic=clinic))
    signature = sign(patient, by=patient.user)
    if dose_in_days is not None:
        plan_session(
            signature.episode,
            clinician,
            starts_at=timezone.now() + dt.timedelta(days=dose_in_days),
        )
    return patient


def test_patients_with_a_current_consent_and_their_booked_doses_are_counted(clinic, clinician):
    first = consented(clinic, clinician)
    consented(clinic, clinician, dose_in_days=None)

    impact = publication_impact(treatment_document(clinic), timezone.now())

    assert (impact.gates_doses, impact.patients) == (True, 2)
    assert [dose.patient_id for dose in impact.doses] == [first.pk]


def test_a_dose_already_past_or_done_is_not_listed(clinic, clinician):
    patient = consented(clinic, clinician, dose_in_days=-2)
    CareSession.objects.filter(patient=patient).update(status=SessionStatus.DONE)

    impact = publication_impact(treatment_document(clinic), timezone.now())

    assert (impact.patients, impact.doses) == (1, [])


def test_a_consent_already_outdated_is_not_counted_again(clinic, clinician, clinic_admin):
    consented(clinic, clinician)
    publish(clinic, clinic_admin, requires_reconsent=True)

    impact = publication_impact(treatment_document(clinic), timezone.now())

    assert (impact.patients, impact.doses) == (0, [])


def test_the_sharing_authorisation_blocks_no_dose(clinic, clinician):
    consented(clinic, clinician)
    sharing = ConsentDocument.objects.get(clinic=clinic, kind=DocumentKind.SHARING)

    impact = publication_impact(sharing, timezone.now())

    assert (impact.gates_doses, impact.doses) == (False, [])


def test_the_impact_takes_the_same_queries_however_many_patients(
    clinic, clinician, django_assert_max_num_queries
):
    document = treatment_document(clinic)
    consented(clinic, clinician)
    with django_assert_max_num_queries(10) as few:
        publication_impact(document, timezone.now())
    for _ in range(3):  # each dose with its own clinician: no double booking
        consented(clinic, UserFactory(role=Role.CLINICIAN, clinic=clinic))

    with django_assert_max_num_queries(len(few.captured_queries)):
        impact = publication_impact(document, timezone.now())

    assert (impact.patients, len(impact.doses)) == (4, 4)


def test_the_new_version_page_says_what_publishing_does_and_logs_the_patients_named(
    client, clinic, clinician, clinic_admin
):
    patient = consented(clinic, clinician)
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    html = client.get(reverse("consents:new_version", args=[document.external_id])).content
    html = html.decode()

    assert "What publishing does" in html
    assert "<strong>1 patient</strong> whose consent is current now must sign it" in html
    assert f"{patient.full_name}, dose on" in html
    listed = AccessLogEntry.objects.filter(action=AccessAction.LIST, patient=patient)
    assert listed.filter(actor=clinic_admin).count() == 1
