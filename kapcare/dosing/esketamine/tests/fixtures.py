"""Helpers for the esketamine tests: a clinic certified under the Spravato REMS that gives
esketamine, and a session run through the services as the clinic runs it — gates passed,
84 mg prescribed from a lot of devices in the register and checked by a nurse, the patient
REMS-enrolled and given esketamine a week before (84 mg is never the first treatment), the
session started at DOSE (9:00 AM in Chicago). No tests here."""

import datetime as dt
from decimal import Decimal

from kapcare.clinics.services import change_settings
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.esketamine import rules, services
from kapcare.dosing.models import DosageForm, DosingRecord, Drug, RemsFormSubmission
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.tests.test_events_fixtures import DOSE, NOW, actor, at, fetched, vitals
from kapcare.episodes import services as episode_services
from kapcare.episodes.tests.test_gate_facts import ready_session
from tests.factories import nurse_of, plan_session, vouched

__all__ = ["DOSE", "NOW", "actor", "at", "fetched", "vitals"]

LOT = "SPR-2611"


def minutes(n: int) -> dt.datetime:
    return DOSE + dt.timedelta(minutes=n)


def certified(clinic, by=None):
    """`clinic` certified under the Spravato REMS, giving esketamine."""
    change_settings(
        acting_user=by,
        clinic=clinic,
        values={
            "rems_certification_id": "HCS-55321",
            "rems_certified_on": DOSE.date() - dt.timedelta(days=90),
            "esketamine_enabled": True,
        },
    )
    return clinic


def receive_devices(clinic, by, lot=LOT, amount_mg="840", expiry=None):
    """Esketamine devices of `lot` received into the register, counted with a nurse."""
    return substances_services.receive_stock(
        actor=actor(by),
        clinic=clinic,
        lot_number=lot,
        lot_expiry=expiry or DOSE.date() + dt.timedelta(days=365),
        amount_mg=Decimal(amount_mg),
        witness=vouched(nurse_of(clinic)),
        drug=Drug.ESKETAMINE,
        strength="28 mg/device",
        dosage_form=DosageForm.NASAL_SPRAY,
    )


def enrol(patient, clinician):
    return services.record_enrolment(
        actor=actor(clinician),
        patient=patient,
        enrolment_id="RP-778812",
        enrolled_on=DOSE.date() - dt.timedelta(days=3),
    )


def treated_before(session, clinician, days=7):
    """An esketamine treatment of the session's patient, at a session of its episode `days`
    before DOSE: the label's first dose (56 mg) is behind the patient. Its record is written
    directly (only that a dose was given matters here), its REMS form sent."""
    earlier = DOSE - dt.timedelta(days=days)
    with at(earlier - dt.timedelta(hours=1)):
        past = plan_session(session.episode, clinician, starts_at=earlier)
        record = recording.record_for(actor(clinician), past)
    DosingRecord.objects.filter(pk=record.pk).update(
        drug=Drug.ESKETAMINE, dose_mg=rules.FIRST_DOSE_MG, dose_started_at=earlier
    )
    RemsFormSubmission.objects.create(
        record=record, submitted_at=earlier, confirmation="RMS-0001", submitted_by=clinician
    )
    return record


def prescribed(patient, clinician, patient_user, dose_mg="84", enrolled=True, first=False):
    """A planned session at DOSE, every gate passing, esketamine prescribed and checked;
    the patient given esketamine before, unless it is the `first` treatment."""
    with at(NOW):
        certified(patient.clinic)
        session = ready_session(patient, clinician, patient_user)
    if not first:
        treated_before(session, clinician)
    with at(NOW):
        receive_devices(patient.clinic, clinician)
        record = recording.record_for(actor(clinician), session)
        record = services.prescribe(
            actor=actor(clinician), record=record, dose_mg=Decimal(dose_mg), lot_number=LOT
        )
        nurse = nurse_of(patient.clinic)
        dose_services.confirm_dose(actor=actor(nurse), record=record, checker=vouched(nurse))
        if enrolled:
            enrol(patient, clinician)
    return fetched(record)


def under_way(patient, clinician, patient_user, dose_mg="84"):
    """Prescribed as above and the session started at DOSE."""
    record = prescribed(patient, clinician, patient_user, dose_mg)
    with at(DOSE):
        episode_services.start_dosing_session(
            actor=actor(clinician), session=record.session, now=DOSE
        )
    return fetched(record)


def device(record, clinician, when):
    with at(when):
        return services.record_device(actor=actor(clinician), record=fetched(record), at=when)


def all_devices_taken(patient, clinician, patient_user):
    """84 mg: devices at 9:01, 9:06 and 9:11 (the dose ends at 9:11), with the blood
    pressure before the first and at 40 minutes."""
    record = under_way(patient, clinician, patient_user)
    vitals(record, clinician, minutes(0), hr=72, sbp=126, dbp=80)
    for n in (1, 6, 11):
        device(record, clinician, minutes(n))
    vitals(record, clinician, minutes(41), hr=80, sbp=138, dbp=86)
    return fetched(record)
