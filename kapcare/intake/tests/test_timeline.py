"""What a converted request adds to the patient's chart timeline."""

from kapcare.intake.models import RequestStatus
from kapcare.intake.timeline import consultation_events
from kapcare.patients.timeline import timeline_for
from tests.factories import ConsultationRequestFactory


def test_a_converted_request_shows_on_the_patients_timeline(patient):
    converted = ConsultationRequestFactory(
        clinic=patient.clinic, patient=patient, status=RequestStatus.CONVERTED
    )

    events = [e for e in timeline_for(patient) if e.title == "Asked for a consultation"]

    assert [e.when for e in events] == [converted.created_at]


def test_a_patient_who_did_not_ask_through_the_form_has_no_such_event(patient):
    ConsultationRequestFactory(clinic=patient.clinic)

    assert consultation_events(patient) == []


def test_the_timeline_provider_uses_one_query(patient, django_assert_num_queries):
    ConsultationRequestFactory(
        clinic=patient.clinic, patient=patient, status=RequestStatus.CONVERTED
    )

    with django_assert_num_queries(1):
        consultation_events(patient)
