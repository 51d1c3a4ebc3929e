"""Helpers of the signing, summary and experience tests: a dosing record whose session is
done, dose given and patient discharged. The dose, vitals and discharge are set on the row
directly: their own services are tested in their own files, and these tests are about what
comes after."""

import datetime as dt
from decimal import Decimal

from kapcare.audit.log import Actor
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.signing import services as signing_services
from kapcare.episodes.models import CareSession, SessionStatus
from tests.factories import open_episode, plan_session
from tests.second_factor import reauthenticated

START = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)  # 9:00 AM in Chicago, a Tuesday


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def fresh(record: DosingRecord) -> DosingRecord:
    """The record as the record page fetches it."""
    return DosingRecord.objects.select_related(
        "session__episode__therapist", "patient__clinic", "clinic"
    ).get(pk=record.pk)


def dosing_session(patient, clinician, *, therapist=None, status=SessionStatus.DONE, at=START):
    episode = open_episode(
        patient, clinician, model="blended" if therapist else "standalone", therapist=therapist
    )
    session = plan_session(episode, clinician, starts_at=at)
    CareSession.objects.filter(pk=session.pk).update(
        status=status,
        started_at=at if status != SessionStatus.PLANNED else None,
    )
    return CareSession.objects.select_related("episode", "patient__clinic").get(pk=session.pk)


def finished_record(patient, clinician, *, therapist=None, at=START, **fields) -> DosingRecord:
    """A done session's record: 0.5 mg/kg IV (35 mg for 70 kg), dose given at 9:05 and
    ended at 9:45, discharged at 11:00 (on the day of `at`); `fields` change any of it."""
    session = dosing_session(patient, clinician, therapist=therapist, at=at)
    record = recording.record_for(actor(clinician), session)
    values = {
        "route": "iv",
        "prescribed_mg_per_kg": Decimal("0.500"),
        "weight_kg": Decimal("70.0"),
        "dose_mg": Decimal("35.00"),
        "dose_started_at": at + dt.timedelta(minutes=5),
        "dose_ended_at": at + dt.timedelta(minutes=45),
        "discharged_at": at + dt.timedelta(hours=2),
        "discharged_by": clinician,
    } | fields
    DosingRecord.objects.filter(pk=record.pk).update(**values)
    return fresh(record)


def signed_record(patient, clinician, **fields) -> DosingRecord:
    record = finished_record(patient, clinician, **fields)
    signing_services.sign_record(
        actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
    )
    return fresh(record)
