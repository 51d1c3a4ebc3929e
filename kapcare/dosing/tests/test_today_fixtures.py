"""Helpers of the Today board's tests: dosing sessions booked today (in the clinic's zone)
in each state the board shows. The dose, readings and discharge are set on the rows
directly: their own services are tested in their own files; these tests are about the
board that reads them."""

import datetime as dt
import uuid

from kapcare.audit.log import Actor
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord, Observation, VitalSource
from kapcare.episodes.models import CareSession, SessionStatus
from tests.clock import wall_clock
from tests.factories import RoomFactory, open_episode, plan_session

# The board is read at noon in Chicago, today.
NOON = wall_clock(0, 12)


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def booked_today(patient, clinician, *, hour=9, room=None, clinician_booked=None) -> CareSession:
    """A planned dosing session at `hour`:00 today, in `room` (a new one unless given)."""
    episode = open_episode(patient, clinician, model="standalone")
    return plan_session(
        episode,
        clinician,
        starts_at=wall_clock(0, hour),
        room=room or RoomFactory(clinic=patient.clinic),
        clinician=clinician_booked,
    )


def started(session: CareSession, clinician, **record_fields) -> DosingRecord:
    """`session` under way since its planned start, its record with `record_fields`."""
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.IN_PROGRESS,
        started_at=session.planned_start,
        started_by=clinician,
    )
    fresh = CareSession.objects.select_related("episode", "patient__clinic").get(pk=session.pk)
    record = recording.record_for(actor(clinician), fresh)
    if record_fields:
        DosingRecord.objects.filter(pk=record.pk).update(**record_fields)
    return DosingRecord.objects.get(pk=record.pk)


def under_way(session, clinician, minutes_ago=30) -> DosingRecord:
    return started(session, clinician, dose_started_at=NOON - dt.timedelta(minutes=minutes_ago))


def in_recovery(session, clinician, ended_minutes_ago=20) -> DosingRecord:
    return started(
        session,
        clinician,
        dose_started_at=NOON - dt.timedelta(minutes=ended_minutes_ago + 40),
        dose_ended_at=NOON - dt.timedelta(minutes=ended_minutes_ago),
    )


def discharged(session, clinician) -> DosingRecord:
    record = in_recovery(session, clinician, ended_minutes_ago=90)
    DosingRecord.objects.filter(pk=record.pk).update(
        discharged_at=NOON - dt.timedelta(minutes=10), discharged_by=clinician
    )
    CareSession.objects.filter(pk=session.pk).update(status=SessionStatus.DONE)
    return DosingRecord.objects.get(pk=record.pk)


def reading(record: DosingRecord, by, *, minutes_ago=5, **values) -> None:
    """One reading of `values` (e.g. hr=72, spo2=(88, "< 92") for a value with its alert)."""
    reading_id = uuid.uuid4()
    units = {"hr": "/min", "sbp": "mmHg", "dbp": "mmHg", "spo2": "%", "rr": "/min"}
    for vital, value in values.items():
        value, threshold = value if isinstance(value, tuple) else (value, "")
        Observation.objects.create(
            record=record,
            patient_id=record.patient_id,
            reading_id=reading_id,
            vital=vital,
            value=value,
            unit=units[vital],
            taken_at=NOON - dt.timedelta(minutes=minutes_ago),
            alert_threshold=threshold,
            source=VitalSource.MANUAL,
            entered_by=by,
        )
