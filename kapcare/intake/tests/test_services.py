"""The intake services: each change in one transaction, with its log row, or not at all."""

import pytest

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.intake import services
from kapcare.intake.models import ConsultationRequest, RequestStatus, StatusChange
from kapcare.patients.models import Patient
from tests.factories import ConsultationRequestFactory, PatientFactory

PATIENT_DATA = {
    "given_name": "Rosa",
    "family_name": "Parks",
    "birth_date": "1980-02-04",
    "sex_at_birth": "F",
    "email": "rosa@example.org",
    "phone": "615-555-0150",
}


@pytest.fixture
def actor(coordinator):
    return Actor(user=coordinator, ip_address="192.0.2.10")


def test_change_status_records_the_move_and_updates_the_callers_object(
    actor, coordinator, consultation_request
):
    change = services.change_status(
        actor=actor,
        consultation_request=consultation_request,
        to_status=RequestStatus.SCHEDULED,
        note="  Call booked for Tuesday  ",
    )

    assert consultation_request.status == RequestStatus.SCHEDULED
    assert ConsultationRequest.objects.get().status == RequestStatus.SCHEDULED
    assert (change.from_status, change.to_status, change.note) == (
        "new",
        "scheduled",
        "Call booked for Tuesday",
    )
    assert change.changed_by_id == coordinator.pk
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.ip_address) == (AccessAction.UPDATE, "192.0.2.10")


def test_change_status_reads_the_stored_status_not_the_callers_copy(actor, consultation_request):
    """The form was offered while the request was new; meanwhile a colleague converted it.
    The service reads the locked row, so the stale move is refused."""
    stale = ConsultationRequest.objects.get(pk=consultation_request.pk)
    patient = PatientFactory(clinic=consultation_request.clinic)
    ConsultationRequest.objects.filter(pk=consultation_request.pk).update(
        status=RequestStatus.CONVERTED, patient=patient
    )

    with pytest.raises(services.TransitionRefused, match="already been converted"):
        services.change_status(
            actor=actor, consultation_request=stale, to_status=RequestStatus.CONTACTED, note=""
        )
    assert not StatusChange.objects.exists()
    assert not AccessLogEntry.objects.exists()


def test_change_status_refuses_conversion_by_hand(actor, consultation_request):
    with pytest.raises(services.TransitionRefused, match="registering the person"):
        services.change_status(
            actor=actor,
            consultation_request=consultation_request,
            to_status=RequestStatus.CONVERTED,
            note="",
        )
    assert ConsultationRequest.objects.get().status == RequestStatus.NEW


def test_convert_creates_the_patient_links_it_and_marks_the_request_converted(
    actor, clinic, consultation_request
):
    patient = services.convert_to_patient(
        actor=actor, consultation_request=consultation_request, data=PATIENT_DATA
    )

    stored = ConsultationRequest.objects.get()
    assert patient.clinic_id == clinic.pk
    assert stored.patient_id == patient.pk
    assert stored.status == RequestStatus.CONVERTED
    assert consultation_request.patient_id == patient.pk
    change = StatusChange.objects.get()
    assert (change.from_status, change.to_status) == ("new", "converted")
    actions = list(
        AccessLogEntry.objects.order_by("id").values_list("action", "object_type", "patient_id")
    )
    assert actions == [
        (AccessAction.CREATE, "patient", patient.pk),
        (AccessAction.UPDATE, "consultationrequest", patient.pk),
    ]


def test_converting_twice_is_refused_and_leaves_no_second_patient(actor, consultation_request):
    stale = ConsultationRequest.objects.get(pk=consultation_request.pk)
    services.convert_to_patient(
        actor=actor, consultation_request=consultation_request, data=PATIENT_DATA
    )

    with pytest.raises(services.TransitionRefused, match="cannot be converted twice"):
        services.convert_to_patient(actor=actor, consultation_request=stale, data=PATIENT_DATA)
    assert Patient.objects.count() == 1
    assert StatusChange.objects.count() == 1


def test_a_declined_request_must_be_reopened_before_it_is_converted(actor, clinic):
    declined = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)

    with pytest.raises(services.TransitionRefused, match="reopen it first"):
        services.convert_to_patient(actor=actor, consultation_request=declined, data=PATIENT_DATA)
    assert not Patient.objects.exists()


def test_receive_request_stores_the_address_it_came_from(clinic):
    anonymous = Actor(user=None, ip_address="198.51.100.7")

    stored = services.receive_request(
        actor=anonymous,
        clinic=clinic,
        data={
            "given_name": "Ann",
            "family_name": "Lee",
            "phone": "615-555-0101",
            "consent_to_contact": True,
        },
    )

    assert stored.submitted_from == "198.51.100.7"
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.clinic_id) == (AccessAction.CREATE, None, clinic.pk)
