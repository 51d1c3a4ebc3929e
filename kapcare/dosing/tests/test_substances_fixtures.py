"""Helpers of the ketamine register's tests: a dosing record with a prescribed dose, stock
of one lot, and a session's use written through the services."""

import datetime as dt
from decimal import Decimal as D

import pytest

from kapcare.audit.log import Actor
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.substances import services as substances_services
from tests.factories import RoomFactory, nurse_of, open_episode, plan_session, vouched

LOT = "KET-24-117"
EXPIRY = dt.date(2027, 6, 30)
STRENGTH = "50 mg/mL"


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def dosing_record(
    patient, clinician, *, mg_per_kg=D("0.5"), weight_kg=D("72.4"), starts_at=None
) -> DosingRecord:
    """A dosing session's record with a dose prescribed (0.5 mg/kg × 72.4 kg = 36.2 mg by
    default; `mg_per_kg=None`: none yet). The dose is set on the row: prescribing is the
    dose part's business, not what these tests are about."""
    episode = open_episode(patient, clinician)
    session = plan_session(
        episode, clinician, starts_at=starts_at, room=RoomFactory(clinic=patient.clinic)
    )
    record = recording.record_for(actor(clinician), session)
    dose = {
        "prescribed_mg_per_kg": mg_per_kg,
        "weight_kg": weight_kg if mg_per_kg is not None else None,
        "weight_measured_on": session.planned_start.date() if mg_per_kg is not None else None,
        "dose_mg": (mg_per_kg * weight_kg).quantize(D("0.01")) if mg_per_kg is not None else None,
        "prescribed_by": clinician if mg_per_kg is not None else None,
        "prescribed_at": session.planned_start - dt.timedelta(hours=1)
        if mg_per_kg is not None
        else None,
        "lot_number": LOT,
        "lot_expiry": EXPIRY,
    }
    DosingRecord.objects.filter(pk=record.pk).update(**dose)
    for name, value in dose.items():
        setattr(record, name, value)
    return record


def receive(clinician, amount="500", lot=LOT, expiry=EXPIRY, note="", *, witness=None):
    """Stock received by `clinician`, counted with `witness` (a new nurse of the clinic
    unless given), who authenticated on the screen."""
    if witness is None and clinician.clinic_id is not None:
        witness = nurse_of(clinician.clinic)
    return substances_services.receive_stock(
        actor=actor(clinician),
        clinic=clinician.clinic,
        lot_number=lot,
        lot_expiry=expiry,
        amount_mg=D(amount),
        witness=vouched(witness) if witness else None,
        note=note,
        strength=STRENGTH,
        dosage_form="injectable_solution",
    )


def use(record, clinician, drawn, given, wasted="0", *, witness=None, returned="0", note=""):
    return substances_services.record_session_use(
        actor=actor(clinician),
        record=record,
        lot_number=LOT,
        drawn_mg=D(drawn),
        given_mg=D(given),
        wasted_mg=D(wasted),
        returned_mg=D(returned),
        witness=vouched(witness) if witness else None,
        note=note,
    )


def sign(record, clinician) -> None:
    """Signed on the row: signing is the signing part's business."""
    DosingRecord.objects.filter(pk=record.pk).update(
        signed_at=dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), signed_by=clinician
    )
    record.signed_at = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(name="record")
def record_fixture(patient, clinician):
    return dosing_record(patient, clinician)


@pytest.fixture(name="stock")
def stock_fixture(clinician):
    return receive(clinician)
