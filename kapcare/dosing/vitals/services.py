"""Writes of the vitals part of the dosing record: a reading of the vital signs taken
together, each one a LOINC-coded observation with the threshold it crossed, and the same
for a device that may retry (an idempotency key)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.models import DosingRecord, Observation, VitalSource, VitalsRequestKey
from kapcare.dosing.recording import refuse_if_signed
from kapcare.dosing.vitals import rules
from kapcare.episodes.models import SessionStatus
from kapcare.refusals import Refused


@dataclass(frozen=True)
class VitalsReading:
    """One reading as stored: the values taken together (one observation each, sharing
    `reading_id`) and the alerts they raised against the clinic's thresholds."""

    reading_id: uuid.UUID
    taken_at: datetime
    source: str
    observations: list
    alerts: list

    @property
    def values(self) -> dict[str, int]:
        return {observation.vital: observation.value for observation in self.observations}


def record_vitals(
    *,
    actor: Actor,
    record: DosingRecord,
    taken_at: datetime,
    values: dict,
    source: str = VitalSource.MANUAL,
    entered_by=None,
) -> VitalsReading:
    """Store the vital signs taken together at `taken_at` (any of `rules.VITALS`;
    None for one not taken), one LOINC-coded observation each, with the threshold each
    crossed; log the write. The form, the API and the monitors' listener all call this.
    `entered_by` is the acting user unless said otherwise (a monitor's reading is
    entered under the clinician running the session, while the log names the system).

    Refused, by field: a signed record; no value at all; a value that cannot be a reading
    (`rules.plausibility_problems`); a time in the future (beyond the clock
    tolerance) or before the session's day; a cancelled or missed session."""
    refuse_if_signed(record)
    session = record.session
    if session.status in {SessionStatus.CANCELLED, SessionStatus.MISSED}:
        status = session.get_status_display().lower()
        raise Refused({"__all__": f"This session is {status}: no vitals can be recorded for it."})
    given = {key: value for key, value in values.items() if value is not None}
    if not given:
        raise Refused({"__all__": "Enter at least one vital sign."})
    problems = rules.plausibility_problems(given)
    clinic = record.patient.clinic
    problem = _taken_at_problem(taken_at, session.planned_start, clinic.zone, timezone.now())
    if problem:
        problems["taken_at"] = problem
    if problems:
        raise Refused(problems)
    alerts = rules.alerts_for(given, rules.VitalThresholds.from_settings(clinic))
    crossed = {alert.vital: alert.threshold for alert in alerts}
    reading_id = uuid.uuid4()
    entered_by = entered_by or actor.user
    rows = _observations(entered_by, record, reading_id, given, crossed, taken_at, source)
    with transaction.atomic():
        # Signing takes the record's row: a reading and a signature do not cross.
        locked = DosingRecord.objects.select_for_update().only("signed_at").get(pk=record.pk)
        refuse_if_signed(locked)
        Observation.objects.bulk_create(rows)
        record_access(actor, AccessAction.CREATE, patient=record.patient, obj=rows[0])
    return VitalsReading(
        reading_id=reading_id,
        taken_at=taken_at,
        source=source,
        observations=rows,
        alerts=alerts,
    )


def _observations(
    entered_by, record: DosingRecord, reading_id, given: dict, crossed: dict, taken_at, source
) -> list[Observation]:
    """One LOINC-coded observation per vital sign given, unsaved, with the threshold it
    crossed ("" for none)."""
    return [
        Observation(
            record=record,
            patient_id=record.patient_id,
            reading_id=reading_id,
            vital=vital.key,
            loinc_code=vital.loinc_code,
            value=given[vital.key],
            unit=vital.unit,
            taken_at=taken_at,
            alert_threshold=crossed.get(vital.key, ""),
            source=source,
            entered_by=entered_by,
        )
        for vital in rules.VITALS.values()
        if vital.key in given
    ]


class _AnsweredMeanwhile(Exception):
    """Another request with the same key stored its answer first: undo ours."""


KEY_REUSED = "This key was already used for a different reading; send a new key."


def record_vitals_once(
    *,
    actor: Actor,
    record: DosingRecord,
    key: str,
    fingerprint: str,
    answer: Callable[[VitalsReading], dict],
    **reading,
) -> tuple[int, dict]:
    """`record_vitals` for a device that may retry: the first request with `key` (per user
    and record) records the reading and stores `answer(reading)` with its status; a retry
    with the same `fingerprint` (of the body) gets the stored status and body back and
    records nothing; a retry with another body is refused at the key. Refusals are not
    stored (nothing was recorded, and the same request is refused again alike).

    Race-safe by the unique constraint on (user, record, key): the stored answer is inserted
    in the reading's transaction; when two requests with one key cross, the second insert
    fails (on PostgreSQL after waiting for the first to commit), its reading is rolled back
    and it answers with the first one's result."""
    keys = VitalsRequestKey.objects.filter(user_id=actor.user.pk, record_id=record.pk, key=key)
    try:
        with transaction.atomic():
            stored = keys.first()
            if stored is None:
                result = record_vitals(actor=actor, record=record, **reading)
                body = answer(result)
                try:
                    with transaction.atomic():
                        VitalsRequestKey.objects.create(
                            user=actor.user,
                            record=record,
                            key=key,
                            fingerprint=fingerprint,
                            status_code=201,
                            response=body,
                        )
                except IntegrityError as crossed:
                    raise _AnsweredMeanwhile from crossed
                return 201, body
    except _AnsweredMeanwhile:
        stored = keys.get()
    if stored.fingerprint != fingerprint:
        raise Refused({"idempotency_key": KEY_REUSED})
    # The answer shows the reading again: a read of the record.
    record_access(actor, AccessAction.VIEW, patient=record.patient, obj=record)
    return stored.status_code, stored.response


def _taken_at_problem(taken_at: datetime, session_start: datetime, zone, now: datetime) -> str:
    """Why a reading cannot have been taken at `taken_at`: still to come (beyond the
    clocks' tolerance), or before the day of the session (in the clinic's time zone)."""
    if taken_at > now + rules.CLOCK_TOLERANCE:
        return "This time is still to come: enter when the reading was taken."
    day = session_start.astimezone(zone)
    if taken_at.astimezone(zone).date() < day.date():
        return (
            f"This time is before the session's day ({day:%b} {day.day}): "
            "enter when the reading was taken."
        )
    return ""
