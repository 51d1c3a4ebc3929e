"""The demo's Spravato patient: Music City is certified under the Spravato REMS and gives
esketamine; one standalone course (patient 12, see episodes.py) is REMS-enrolled, with two
sessions given — 56 mg, then 84 mg — each device recorded 5 minutes apart from a lot of
devices in the register, the blood pressure before, at 40 minutes and before discharge,
the effects resolved and the patient discharged after 2 hours. The first session's REMS
Patient Monitoring Form was sent; the second's is due.

Everything goes through the services the pages call, at the sessions' own times."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.clinics.services import change_settings
from kapcare.demo.records import discharge_and_sign, record_reading
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.esketamine import rules
from kapcare.dosing.esketamine import services as esketamine
from kapcare.dosing.models import ControlledSubstanceEntry, DosageForm, Drug
from kapcare.dosing.substances import services as substances_services
from kapcare.episodes.models import CareSession

CERTIFICATION = "HCS-615-0042"
ENROLMENT = "RP-20417733"
# The doses of the course: the label's starting dose, then 84 mg.
DOSES_MG = (Decimal(56), Decimal(84))
# (minutes from the first device, HR, SBP, DBP, SpO2, RR, MOAA/S): the blood pressure
# peaks near 40 minutes, as the label describes, and settles over the 2 hours.
VITALS = [
    (-5, 72, 122, 78, 98, 14, 5),
    (10, 76, 130, 83, 98, 14, 4),
    (20, 78, 135, 86, 97, 13, 4),
    (30, 79, 138, 88, 97, 13, 4),
    (40, 78, 139, 89, 97, 13, 4),
    (60, 75, 132, 84, 98, 14, 5),
    (80, 74, 127, 81, 98, 14, 5),
    (100, 73, 125, 80, 98, 14, 5),
    (125, 72, 123, 79, 99, 14, 5),
]


def certify(clinic, admin: Actor, today: dt.date) -> None:
    """The clinic's REMS certification, then esketamine enabled (the settings page's
    order: no esketamine without the certification)."""
    change_settings(
        acting_user=admin.user,
        clinic=clinic,
        values={
            "rems_certification_id": CERTIFICATION,
            "rems_certified_on": today - dt.timedelta(days=200),
            "esketamine_enabled": True,
        },
    )


def enrol(patient, clinician: Actor, day: dt.date) -> None:
    esketamine.record_enrolment(
        actor=clinician, patient=patient, enrolment_id=ENROLMENT, enrolled_on=day
    )


def _lot_of_devices(clinic, day: dt.date, clinician: Actor, checker, at: dt.datetime) -> str:
    """A box of devices of the month, received once, counted with the nurse."""
    lot_number = f"SPR-{day:%y%m}"
    if not ControlledSubstanceEntry.objects.filter(
        clinic_id=clinic.pk, lot_number=lot_number, kind="received"
    ).exists():
        substances_services.receive_stock(
            actor=clinician,
            clinic=clinic,
            lot_number=lot_number,
            lot_expiry=day.replace(day=1) + dt.timedelta(days=365),
            amount_mg=Decimal(28 * 24),
            witness=checker(clinic.pk, at),
            note="24 Spravato nasal devices of 28 mg.",
            drug=Drug.ESKETAMINE,
            strength="28 mg/device",
            dosage_form=DosageForm.NASAL_SPRAY,
        )
    return lot_number


def prescribe(session: CareSession, position: int, at: dt.datetime, clinician: Actor, checker):
    """The clinician prescribes the course's dose of this position from the month's lot;
    the nurse checks it, typing her own password (`checker`)."""
    clinic = session.episode.clinic
    day = timezone.localdate(at, clinic.zone)
    if position == 0:
        enrol(session.patient, clinician, day - dt.timedelta(days=2))
    lot_number = _lot_of_devices(clinic, day, clinician, checker, at - dt.timedelta(minutes=9))
    record = recording.record_for(clinician, session)
    record = esketamine.prescribe(
        actor=clinician,
        record=record,
        dose_mg=DOSES_MG[position],
        lot_number=lot_number,
        now=at - dt.timedelta(minutes=8),
    )
    dose_services.confirm_dose(
        actor=clinician,
        record=record,
        checker=checker(clinic.pk, at - dt.timedelta(minutes=5)),
        now=at - dt.timedelta(minutes=5),
    )


def write_up(session: CareSession, clinician: Actor, front_desk: Actor, *, sent: bool) -> None:
    """The devices 5 minutes apart, the readings, the effects resolved, the discharge check
    and the discharge after 2 hours, the signature; the REMS form sent when `sent`."""
    session.refresh_from_db()
    record = recording.record_for(clinician, session)
    first = session.started_at
    for n in range(rules.devices_for(record.dose_mg)):
        esketamine.record_device(
            actor=clinician, record=record, at=first + dt.timedelta(minutes=5 * n)
        )
    for minutes, *reading in VITALS:
        record_reading(record, clinician, first + dt.timedelta(minutes=minutes), reading)
    record = recording.record_for(clinician, session)
    ended = record.dose_ended_at
    esketamine.record_resolution(
        actor=clinician,
        record=record,
        sedation_resolved=True,
        dissociation_resolved=True,
        respiratory_depression_resolved=True,
        checked_at=ended + dt.timedelta(minutes=115),
    )
    record = discharge_and_sign(
        record,
        clinician,
        checked_at=ended + dt.timedelta(minutes=116),
        discharged_at=ended + dt.timedelta(minutes=121),
        signed_at=ended + dt.timedelta(minutes=140),
    )
    if sent:
        esketamine.mark_form_submitted(
            actor=front_desk,
            record=record,
            confirmation="REMS-8841-2207",
            submitted_at=ended + dt.timedelta(days=2),
        )
