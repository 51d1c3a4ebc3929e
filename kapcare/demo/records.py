"""Steps every demo dosing record ends with, whatever the drug: the discharge check, the
discharge and the clinician's signature, through the services the pages call."""

import datetime as dt

from kapcare.accounts import step_up
from kapcare.audit.log import Actor
from kapcare.demo.sign_ins import PASSWORD
from kapcare.dosing.discharge import services as discharge_services
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.signing import services as signing_services
from kapcare.dosing.vitals import services as vitals_services
from kapcare.episodes.models import CareSession


def record_reading(record: DosingRecord, by: Actor, taken_at: dt.datetime, reading) -> None:
    """One set of vital signs: heart rate, systolic and diastolic pressure, SpO2, breaths a
    minute and the sedation score, in that order."""
    heart_rate, systolic, diastolic, spo2, breaths, sedation = reading
    vitals_services.record_vitals(
        actor=by,
        record=record,
        taken_at=taken_at,
        values={
            "hr": heart_rate,
            "sbp": systolic,
            "dbp": diastolic,
            "spo2": spo2,
            "rr": breaths,
            "sedation": sedation,
        },
    )


def discharge_and_sign(
    record: DosingRecord,
    clinician: Actor,
    *,
    checked_at: dt.datetime,
    discharged_at: dt.datetime,
    signed_at: dt.datetime,
) -> DosingRecord:
    """The discharge check with every criterion met, the discharge (the session done at
    that time) and the signature, re-authenticated with the demo password."""
    discharge_services.record_discharge_assessment(
        actor=clinician, record=record, data=discharge_services.ALL_CRITERIA_MET, now=checked_at
    )
    record = discharge_services.discharge(actor=clinician, record=record, now=discharged_at)
    CareSession.objects.filter(pk=record.session_id).update(status_changed_at=record.discharged_at)
    return signing_services.sign_record(
        actor=clinician,
        record=record,
        reauthentication=step_up.reauthenticate(clinician.user, PASSWORD),
        now=signed_at,
    )
