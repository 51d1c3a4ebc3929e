"""Signing a dosing record, and what a signed record refuses: the services say why, and
the database refuses too (migration 0002), on SQLite and PostgreSQL alike."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.models import (
    Addendum,
    AdverseEvent,
    DosingRecord,
    Observation,
    Severity,
    VitalSource,
)
from kapcare.dosing.signing import services as signing_services
from kapcare.dosing.tests.test_signing_fixtures import (
    START,
    actor,
    finished_record,
    fresh,
    signed_record,
)
from kapcare.refusals import Refused
from tests.factories import UserFactory
from tests.second_factor import reauthenticated


@pytest.fixture
def record(patient, clinician):
    return finished_record(patient, clinician)


@pytest.fixture
def signed(patient, clinician):
    return signed_record(patient, clinician)


def problems(call) -> dict:
    with pytest.raises(Refused) as refusal:
        call()
    return refusal.value.problems


# --- Signing ------------------------------------------------------------------------------


def test_a_clinician_signs_a_record_once_the_patient_is_discharged(record, clinician):
    signing_services.sign_record(
        actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
    )

    signed = fresh(record)
    assert signed.is_signed
    assert signed.signed_by_id == clinician.pk
    assert abs(signed.signed_at - timezone.now()) < dt.timedelta(seconds=5)


def test_signing_is_logged_with_the_patient(record, clinician, patient):
    signing_services.sign_record(
        actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
    )

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.patient_id, entry.action, entry.object_type, entry.actor_id) == (
        patient.pk,
        AccessAction.UPDATE,
        "dosingrecord",
        clinician.pk,
    )


def test_signing_before_discharge_is_refused_saying_so(patient, clinician):
    record = finished_record(patient, clinician, discharged_at=None, discharged_by=None)

    refused = problems(
        lambda: signing_services.sign_record(
            actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
        )
    )

    assert refused == {
        "__all__": "The record cannot be signed yet: the patient has not been discharged."
    }
    assert not fresh(record).is_signed


def test_signing_before_the_dose_was_given_lists_everything_missing(patient, clinician):
    record = finished_record(
        patient, clinician, dose_started_at=None, discharged_at=None, discharged_by=None
    )

    refused = problems(
        lambda: signing_services.sign_record(
            actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
        )
    )

    assert refused["__all__"] == (
        "The record cannot be signed yet: the dose has not been recorded as given; "
        "the patient has not been discharged."
    )


def test_signing_without_re_entering_the_code_is_refused(record, clinician):
    refused = problems(
        lambda: signing_services.sign_record(
            actor=actor(clinician), record=record, reauthentication=None
        )
    )

    assert refused == {"reauthentication": "Re-enter your password to sign the record."}
    assert not fresh(record).is_signed


def test_what_signing_needs_is_nothing_for_a_finished_record(record):
    assert signing_services.what_signing_needs(record) == []


@pytest.mark.parametrize("role", ["coordinator", "clinic_admin", "patient_user"])
def test_only_a_clinician_signs(request, record, role):
    user = request.getfixturevalue(role)

    refused = problems(
        lambda: signing_services.sign_record(
            actor=actor(user), record=record, reauthentication=reauthenticated(user)
        )
    )

    assert refused == {"__all__": "Only a clinician of the clinic may sign the record."}
    assert not fresh(record).is_signed


def test_a_clinician_of_another_clinic_cannot_sign(record, other_clinic):
    stranger = UserFactory(role="clinician", clinic=other_clinic)

    problems(
        lambda: signing_services.sign_record(
            actor=actor(stranger), record=record, reauthentication=reauthenticated(stranger)
        )
    )

    assert not fresh(record).is_signed


def test_a_record_is_signed_once(signed, clinician, clinic):
    colleague = UserFactory(role="clinician", clinic=clinic)

    refused = problems(
        lambda: signing_services.sign_record(
            actor=actor(colleague), record=signed, reauthentication=reauthenticated(colleague)
        )
    )

    assert "already signed" in refused["__all__"]
    assert fresh(signed).signed_by_id == clinician.pk


# --- A signed record is immutable: the services -----------------------------------------


def test_services_refuse_to_change_a_signed_record_with_a_message(signed):
    refused = problems(lambda: recording.refuse_if_signed(signed))

    assert refused == {"__all__": "This record is signed: add an addendum instead."}


def test_an_unsigned_record_is_not_refused(record):
    recording.refuse_if_signed(record)  # no refusal


# --- A signed record is immutable: the database -----------------------------------------


def refused_by_the_database(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except DatabaseError:  # IntegrityError is one too
        return True
    return False


def observation(record, user) -> Observation:
    return Observation(
        record=record,
        patient_id=record.patient_id,
        reading_id=record.external_id,
        vital="hr",
        loinc_code="8867-4",
        value=72,
        unit="/min",
        taken_at=START + dt.timedelta(minutes=30),
        source=VitalSource.MANUAL,
        entered_by=user,
    )


def test_the_database_refuses_to_save_a_signed_record(signed):
    signed.music = "Changed after signing"

    assert refused_by_the_database(lambda: signed.save())
    assert fresh(signed).music == ""


def test_the_database_refuses_a_bulk_update_of_a_signed_record(signed):
    assert refused_by_the_database(
        lambda: DosingRecord.objects.filter(pk=signed.pk).update(intention="Changed")
    )


def test_the_database_refuses_an_observation_under_a_signed_record(signed, clinician):
    assert refused_by_the_database(lambda: observation(signed, clinician).save())
    assert not Observation.objects.filter(record=signed).exists()


def test_the_database_refuses_an_adverse_event_under_a_signed_record(signed, clinician):
    assert refused_by_the_database(
        lambda: AdverseEvent.objects.create(
            record=signed,
            patient_id=signed.patient_id,
            kind="nausea_vomiting",
            severity=Severity.MILD,
            onset_at=START + dt.timedelta(minutes=20),
            recorded_by=clinician,
        )
    )


def test_before_signing_the_same_writes_go_through(record, clinician):
    record.music = "Before signing"

    assert not refused_by_the_database(lambda: record.save())
    assert not refused_by_the_database(lambda: observation(record, clinician).save())


# --- Addenda --------------------------------------------------------------------------------


def test_an_addendum_is_added_to_a_signed_record_with_author_and_time(signed, clinician):
    addendum = signing_services.add_addendum(
        actor=actor(clinician), record=signed, text="  Nausea resolved at home; called at 6 pm. "
    )

    assert addendum.text == "Nausea resolved at home; called at 6 pm."
    assert addendum.author_id == clinician.pk
    assert abs(addendum.written_at - timezone.now()) < dt.timedelta(seconds=5)
    assert list(fresh(signed).addenda.all()) == [addendum]


def test_an_addendum_is_logged_with_the_patient(signed, clinician, patient):
    signing_services.add_addendum(actor=actor(clinician), record=signed, text="Called the escort.")

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.patient_id, entry.action, entry.object_type) == (
        patient.pk,
        AccessAction.CREATE,
        "addendum",
    )


def test_an_addendum_before_signing_is_refused(record, clinician):
    refused = problems(
        lambda: signing_services.add_addendum(
            actor=actor(clinician), record=record, text="Too early."
        )
    )

    assert refused == {"__all__": "The record is not signed yet: change the record itself instead."}
    assert not Addendum.objects.exists()


def test_a_blank_addendum_is_refused_at_its_field(signed, clinician):
    refused = problems(
        lambda: signing_services.add_addendum(actor=actor(clinician), record=signed, text="  ")
    )

    assert refused == {"text": "Write what the addendum adds or corrects."}


def test_only_a_clinician_adds_an_addendum(signed, coordinator):
    problems(
        lambda: signing_services.add_addendum(actor=actor(coordinator), record=signed, text="Note.")
    )

    assert not Addendum.objects.exists()


def test_the_database_refuses_to_change_an_addendum(signed, clinician):
    addendum = signing_services.add_addendum(actor=actor(clinician), record=signed, text="First.")
    addendum.text = "Rewritten."

    assert refused_by_the_database(lambda: addendum.save())


def test_the_signature_records_how_the_clinician_confirmed(record, clinician):
    signing_services.sign_record(
        actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
    )

    # The personas have no authenticator: they re-enter their password.
    assert fresh(record).signed_with == "password"
