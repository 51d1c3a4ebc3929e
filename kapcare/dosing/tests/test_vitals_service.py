"""`vitals_services.record_vitals`: one LOINC-coded observation per value, the alerts against
the clinic's thresholds, and what it refuses (by field) — the page and the API both call
it. The other vitals tests import `NOW`, `actor`, `dosing_record` and `take` from here."""

import datetime as dt

import pytest
import time_machine

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord, Observation
from kapcare.dosing.vitals import services as vitals_services
from kapcare.episodes import services as episodes_services
from kapcare.refusals import Refused
from tests.factories import open_episode, plan_session

DOSE = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # the session's planned start, 9:00 AM
NOW = DOSE + dt.timedelta(minutes=20)  # 9:20 AM in Chicago


@pytest.fixture(autouse=True)
def at_twenty_past_nine():
    with time_machine.travel(NOW, tick=False):
        yield


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def dosing_record(patient, clinician) -> DosingRecord:
    """The record of a dosing session planned for DOSE (opened as the page opens it)."""
    session = plan_session(open_episode(patient, clinician), clinician, starts_at=DOSE)
    return recording.record_for(actor(clinician), session)


def take(record, by, taken_at=None, source="manual", **values):
    return vitals_services.record_vitals(
        actor=actor(by),
        record=record,
        taken_at=taken_at or NOW - dt.timedelta(minutes=1),
        values=values,
        source=source,
    )


@pytest.fixture
def record(patient, clinician):
    return dosing_record(patient, clinician)


def test_each_value_is_one_observation_with_its_loinc_code_and_unit(record, clinician):
    reading = take(record, clinician, hr=72, sbp=128, dbp=82, spo2=98, rr=14, sedation=5)

    rows = Observation.objects.filter(record=record).order_by("id")
    assert [(o.vital, o.loinc_code, o.value, o.unit) for o in rows] == [
        ("hr", "8867-4", 72, "/min"),
        ("sbp", "8480-6", 128, "mmHg"),
        ("dbp", "8462-4", 82, "mmHg"),
        ("spo2", "2708-6", 98, "%"),
        ("rr", "9279-1", 14, "/min"),
        ("sedation", "", 5, "{score}"),
    ]
    assert {o.reading_id for o in rows} == {reading.reading_id}


def test_the_observations_keep_time_source_patient_and_who_entered_them(record, clinician, patient):
    taken_at = NOW - dt.timedelta(minutes=3)

    take(record, clinician, taken_at=taken_at, source="device", hr=72)

    row = Observation.objects.get(record=record)
    assert (row.taken_at, row.source, row.patient_id, row.entered_by_id) == (
        taken_at,
        "device",
        patient.pk,
        clinician.pk,
    )


def test_a_value_not_taken_stores_nothing_for_it(record, clinician):
    take(record, clinician, hr=72, sbp=None, spo2=97)

    assert set(Observation.objects.values_list("vital", flat=True)) == {"hr", "spo2"}


def test_a_value_beyond_a_threshold_returns_its_alert_and_keeps_the_threshold(record, clinician):
    reading = take(record, clinician, sbp=185, dbp=95, hr=88)

    assert [(a.vital, a.value, a.threshold) for a in reading.alerts] == [("sbp", 185, "≥ 180")]
    stored = dict(Observation.objects.values_list("vital", "alert_threshold"))
    assert stored == {"sbp": "≥ 180", "dbp": "", "hr": ""}


def test_alerts_follow_the_clinics_own_thresholds(record, clinician, clinic):
    clinic.vitals_systolic_high = 160
    clinic.save(update_fields=["vitals_systolic_high"])
    record = recording.record_for(actor(clinician), record.session)  # as a new request reads it

    reading = take(record, clinician, sbp=165)

    assert [a.threshold for a in reading.alerts] == ["≥ 160"]


def test_implausible_values_are_refused_by_field_and_nothing_is_stored(record, clinician):
    with pytest.raises(Refused) as refusal:
        take(record, clinician, sbp=20, spo2=140, hr=80)

    assert set(refusal.value.problems) == {"sbp", "spo2"}
    assert not Observation.objects.exists()


def test_a_reading_without_any_value_is_refused(record, clinician):
    with pytest.raises(Refused) as refusal:
        take(record, clinician, hr=None)

    assert refusal.value.problems == {"__all__": "Enter at least one vital sign."}


def test_a_reading_up_to_two_minutes_ahead_of_the_clock_is_accepted(record, clinician):
    take(record, clinician, taken_at=NOW + dt.timedelta(minutes=2), hr=72)

    assert Observation.objects.count() == 1


def test_a_reading_further_in_the_future_is_refused_at_its_time(record, clinician):
    with pytest.raises(Refused) as refusal:
        take(record, clinician, taken_at=NOW + dt.timedelta(minutes=2, seconds=1), hr=72)

    assert set(refusal.value.problems) == {"taken_at"}


def test_a_reading_before_the_sessions_day_is_refused(record, clinician):
    # 11:59 PM on Nov 30 in Chicago, the evening before the session.
    evening_before = dt.datetime(2026, 12, 1, 5, 59, tzinfo=dt.UTC)

    with pytest.raises(Refused) as refusal:
        take(record, clinician, taken_at=evening_before, hr=72)

    assert refusal.value.problems == {
        "taken_at": "This time is before the session's day (Dec 1): "
        "enter when the reading was taken."
    }


def test_a_reading_early_on_the_sessions_day_is_accepted(record, clinician):
    take(record, clinician, taken_at=dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC), hr=72)

    assert Observation.objects.count() == 1


def test_a_signed_record_refuses_a_reading(record, clinician):
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=clinician)
    record.refresh_from_db()

    with pytest.raises(Refused) as refusal:
        take(record, clinician, hr=72)

    assert "signed" in refusal.value.problems["__all__"]
    assert not Observation.objects.exists()


def test_a_record_signed_meanwhile_refuses_the_reading(record, clinician):
    # The page was opened before another clinician signed.
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=clinician)

    with pytest.raises(Refused):
        take(record, clinician, hr=72)

    assert not Observation.objects.exists()


def test_a_cancelled_session_refuses_a_reading(record, clinician):
    record.session = episodes_services.record_session_status(
        actor=actor(clinician), session=record.session, to_status="cancelled", note="Unwell."
    )

    with pytest.raises(Refused) as refusal:
        take(record, clinician, hr=72)

    assert "cancelled" in refusal.value.problems["__all__"]


def test_the_reading_is_logged_as_created_for_the_patient(record, clinician, patient):
    before = AccessLogEntry.objects.count()

    take(record, clinician, hr=72, sbp=120)

    assert AccessLogEntry.objects.count() == before + 1
    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.patient_id, entry.actor_id, entry.object_type) == (
        AccessAction.CREATE,
        patient.pk,
        clinician.pk,
        "observation",
    )
