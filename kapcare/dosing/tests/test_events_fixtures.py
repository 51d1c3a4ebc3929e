"""Helpers for the events and discharge tests: a dosing session under way, built through
the services as a clinic runs it — gates passed, the dose prescribed by a clinician and
checked by a nurse, the session started at DOSE (9:00 AM in Chicago) — and the
readings and checks the discharge reads. No tests here."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import time_machine

from kapcare.dosing import recording
from kapcare.dosing.discharge import services as discharge_services
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.events import services as events_services
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.vitals import services as vitals_services
from kapcare.episodes import services as episode_services
from kapcare.episodes.tests.test_gate_facts import DOSE, NOW, actor, ready_session
from tests.factories import nurse_of, vouched

__all__ = ["DOSE", "NOW", "actor"]

GOOD_CHECK = discharge_services.DischargeCheckInput(
    activity=2,
    respiration=2,
    circulation=2,
    consciousness=2,
    oxygen_saturation=2,
    alert_and_oriented=True,
    escort_present=True,
    aftercare_given=True,
)


def minutes(n: int) -> dt.datetime:
    """`n` minutes after the session started (DOSE)."""
    return DOSE + dt.timedelta(minutes=n)


@contextmanager
def at(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        yield


def fetched(record: DosingRecord) -> DosingRecord:
    """The record as the access helper fetches it."""
    return DosingRecord.objects.select_related("session", "patient__clinic", "clinic").get(
        pk=record.pk
    )


def under_way(patient, clinician, coordinator, patient_user, route: str = "iv") -> DosingRecord:
    """A dosing session started at DOSE, its dose prescribed (0.5 mg/kg; IV over 40 min)
    and checked by a second person."""
    with at(NOW):
        session = ready_session(patient, clinician, patient_user)
        record = recording.record_for(actor(clinician), session)
        record = dose_services.prescribe_dose(
            actor=actor(clinician),
            record=record,
            route=route,
            mg_per_kg=Decimal("0.5"),
            infusion_minutes=40 if route == "iv" else None,
            lot_number="KET-2611",
        )
        if not record.is_confirmed:  # another route than the one checked
            nurse = nurse_of(patient.clinic)
            dose_services.confirm_dose(actor=actor(nurse), record=record, checker=vouched(nurse))
    with at(DOSE):
        episode_services.start_dosing_session(actor=actor(clinician), session=session, now=DOSE)
    return fetched(record)


def vitals(record: DosingRecord, clinician, taken_at: dt.datetime, **values) -> None:
    """A reading, as the vitals part stores it."""
    with at(taken_at):
        vitals_services.record_vitals(
            actor=actor(clinician), record=fetched(record), taken_at=taken_at, values=values
        )


def dose_given(record: DosingRecord, clinician, ended_after: int = 40) -> DosingRecord:
    """The dose started with the session and ended `ended_after` minutes later; a
    pre-dose heart rate of 72 and a reading back at baseline just after the end."""
    vitals(record, clinician, DOSE - dt.timedelta(minutes=5), hr=72, sbp=126, dbp=80)
    with at(minutes(1)):
        events_services.record_dose_started(actor=actor(clinician), record=fetched(record))
    with at(minutes(ended_after)):
        events_services.record_dose_ended(
            actor=actor(clinician), record=fetched(record), at=minutes(ended_after)
        )
    vitals(record, clinician, minutes(ended_after + 50), hr=76, sbp=130, dbp=82, spo2=98)
    return fetched(record)


def checked(record: DosingRecord, clinician, when: dt.datetime, data=GOOD_CHECK) -> None:
    with at(when):
        discharge_services.record_discharge_assessment(
            actor=actor(clinician), record=fetched(record), data=data
        )


def ready_to_go(patient, clinician, coordinator, patient_user) -> DosingRecord:
    """Under way, the dose given (ended at 9:40), vitals back at baseline and a good
    discharge check at 10:35: dischargeable from 10:40, an hour after the dose ended."""
    record = dose_given(under_way(patient, clinician, coordinator, patient_user), clinician)
    checked(record, clinician, minutes(95))
    return fetched(record)
