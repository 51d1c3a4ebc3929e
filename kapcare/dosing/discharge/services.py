"""Writes of the discharge part of the dosing record: the discharge checks and the
discharge itself, with where the discharge stands. Every write locks the record's row, so
that it cannot cross a signature, and refuses once the record is signed. The rules are
pure: `discharge.rules`."""

from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from kapcare.accounts import second_person, step_up
from kapcare.accounts.models import Role
from kapcare.accounts.second_person import SecondPerson
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.discharge import rules
from kapcare.dosing.discharge.rules import ALDRETE_KEYS, DischargeSettings
from kapcare.dosing.esketamine import facts as esketamine_facts
from kapcare.dosing.models import DischargeAssessment, DosingRecord, Drug, Observation
from kapcare.dosing.recording import lock_for_events, refuse_unless_under_way
from kapcare.dosing.vitals import rules as vitals_rules
from kapcare.education import services as education
from kapcare.episodes import services as episode_services
from kapcare.episodes.models import DayOfChecklist
from kapcare.refusals import Refused


@dataclass(frozen=True)
class DischargeCheckInput:
    """A discharge check as typed: the five modified Aldrete items (0–2 each) and the
    other criteria."""

    activity: int
    respiration: int
    circulation: int
    consciousness: int
    oxygen_saturation: int
    alert_and_oriented: bool = False
    escort_present: bool = False
    aftercare_given: bool = False


# Every criterion met: 2 on each of the modified Aldrete's five items, oriented, escorted
# home, aftercare given. The demo and the synthetic network discharge their patients so.
ALL_CRITERIA_MET = DischargeCheckInput(
    activity=2,
    respiration=2,
    circulation=2,
    consciousness=2,
    oxygen_saturation=2,
    alert_and_oriented=True,
    escort_present=True,
    aftercare_given=True,
)


def record_discharge_assessment(
    *, actor: Actor, record: DosingRecord, data: DischargeCheckInput, now=None
):
    """Record a discharge check, now (or at `now`, for a record written up afterwards);
    the last one decides. Only after the dose ended."""
    problems = {
        key: "Choose 0, 1 or 2."
        for key in ALDRETE_KEYS
        if getattr(data, key) not in (0, 1, 2) or isinstance(getattr(data, key), bool)
    }
    if problems:
        raise Refused(problems)
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_for_events(record)
        refuse_unless_under_way(locked, "discharge checks are recorded")
        if locked.dose_ended_at is None or locked.dose_ended_at > now:
            raise Refused(
                {"__all__": "The dose has not ended: the discharge check comes after it."}
            )
        assessment = DischargeAssessment.objects.create(
            record=locked, assessed_at=now, assessed_by=actor.user, **asdict(data)
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=assessment)
    return assessment


@dataclass(frozen=True)
class DischargeStatus:
    """Where the discharge stands: the facts the rules read, what is still unmet, and the
    last discharge check (None before the first)."""

    facts: object  # rules.DischargeFacts
    problems: list[str]
    assessment: object | None

    @property
    def is_ready(self) -> bool:
        return not self.problems


def discharge_settings(clinic, drug: str = Drug.KETAMINE):
    """The clinic's discharge settings for `drug`: esketamine has its own observation
    minimum (`Clinic.esketamine_observation_minutes`)."""
    return DischargeSettings(
        observation_minutes=(
            clinic.esketamine_observation_minutes
            if drug == Drug.ESKETAMINE
            else clinic.discharge_observation_minutes
        ),
        aldrete_minimum=clinic.discharge_aldrete_minimum,
        vitals_within_percent=clinic.discharge_vitals_within_percent,
        time_zone=clinic.time_zone,
    )


def discharge_status(record: DosingRecord, now) -> DischargeStatus:
    """The discharge criteria of `record` at `now`, in three queries whatever the record
    holds: the heart rate and systolic readings, the last discharge check, and the
    pre-dose blood pressure of the day-of checklist."""
    readings = Observation.objects.filter(record_id=record.pk)
    baseline_heart_rate = latest_systolic = latest_heart_rate = None
    # The last reading since the dose ended, and the values in it out of the thresholds.
    latest_reading, latest_alerts = None, []
    started, ended = record.dose_started_at, record.dose_ended_at
    for vital, value, taken_at, reading_id, threshold in readings.order_by(
        "taken_at", "id"
    ).values_list("vital", "value", "taken_at", "reading_id", "alert_threshold"):
        if vital == "hr" and baseline_heart_rate is None and started and taken_at < started:
            baseline_heart_rate = value
        if ended is not None and ended <= taken_at <= now:
            if reading_id != latest_reading:
                latest_reading, latest_alerts = reading_id, []
            if threshold:
                latest_alerts.append(f"{vitals_rules.VITALS[vital].short_name} {value} {threshold}")
            if vital == "hr":
                latest_heart_rate = value
            elif vital == "sbp":
                latest_systolic = value
    assessment = (
        DischargeAssessment.objects.filter(record_id=record.pk).order_by("-assessed_at", "-id")
    ).first()
    baseline_systolic = (
        DayOfChecklist.objects.filter(session_id=record.session_id)
        .values_list("blood_pressure_systolic", flat=True)
        .first()
    )
    facts = rules.DischargeFacts(
        now=now,
        dose_ended_at=ended,
        assessed_at=assessment.assessed_at if assessment else None,
        aldrete=assessment.aldrete_score if assessment else None,
        alert_and_oriented=bool(assessment and assessment.alert_and_oriented),
        escort_present=bool(assessment and assessment.escort_present),
        aftercare_given=bool(assessment and assessment.aftercare_given),
        baseline_systolic=baseline_systolic,
        baseline_heart_rate=baseline_heart_rate,
        latest_systolic=latest_systolic,
        latest_heart_rate=latest_heart_rate,
        latest_alerts=tuple(latest_alerts),
    )
    problems = rules.discharge_problems(
        facts, discharge_settings(record.patient.clinic, record.drug)
    )
    # Esketamine: until sedation, dissociation and respiratory depression have resolved.
    effects = esketamine_facts.effects_problem(record, now)
    if effects:
        problems.append(effects)
    return DischargeStatus(facts=facts, problems=problems, assessment=assessment)


class DischargeRefused(Refused):
    """The discharge criteria are not met and no clinician gave a reason to go anyway;
    `unmet` lists them in words."""

    def __init__(self, unmet: list[str]):
        self.unmet = unmet
        super().__init__({"__all__": "Not ready for discharge: " + " ".join(unmet)})


SECOND_CLINICIAN_NEEDED = (
    "The vital signs are not back in range: a second clinician confirms this discharge "
    "with their own email and password."
)


def _second_clinician_of_override(
    actor: Actor, locked: DosingRecord, status: DischargeStatus, second: SecondPerson | None
):
    """Who confirms a discharge overridden while the vital signs are still out of range: a
    second clinician who authenticated at the moment (refused without one). None when the
    vital signs are in range, where the discharging clinician's reason is enough."""
    if not rules.vitals_out_of_range(
        status.facts, discharge_settings(locked.patient.clinic, locked.drug)
    ):
        return None
    if second is None:
        raise Refused({second_person.EMAIL_FIELD: SECOND_CLINICIAN_NEEDED})
    problem = second_person.second_person_problem(
        second,
        acting_user=actor.user,
        clinic_id=locked.clinic_id,
        roles={Role.CLINICIAN},
        as_what="the second clinician",
    )
    if problem:
        raise Refused({second_person.EMAIL_FIELD: problem})
    return second.user


def discharge(
    *,
    actor: Actor,
    record: DosingRecord,
    override_reason: str = "",
    second: SecondPerson | None = None,
    reauthentication: Reauthentication | None = None,
    now=None,
) -> DosingRecord:
    """Discharge the patient and record the session as done. Refused with what is unmet
    (`discharge_status`) until every criterion is met, unless a clinician writes why the
    patient may go anyway (kept in `discharge_override_reason`), re-entering their code
    (`step_up`: a decision against the criteria is theirs, for good); when the vital signs
    are still out of range (`rules.vitals_out_of_range`) a second clinician, who
    authenticated at the moment (`second`), confirms it too."""
    if getattr(actor.user, "role", None) != Role.CLINICIAN:
        raise Refused({"__all__": "Only a clinician may discharge a patient."})
    now = now or timezone.now()
    reason = override_reason.strip()
    with transaction.atomic():
        locked = lock_for_events(record)
        refuse_unless_under_way(locked, "a patient is discharged")
        status = discharge_status(locked, now)
        confirmed_by, overridden_with = None, ""
        if status.is_ready:
            reason = ""  # nothing was overridden
        elif not reason:
            raise DischargeRefused(status.problems)
        else:
            step_up.require(reauthentication, actor, what="discharge against the criteria")
            overridden_with = reauthentication.method
            confirmed_by = _second_clinician_of_override(actor, locked, status, second)
        locked.discharged_at = now
        locked.discharged_by = actor.user
        locked.discharge_override_reason = reason
        locked.discharge_confirmed_by = confirmed_by
        locked.discharge_confirmed_at = second.confirmed_at if confirmed_by else None
        locked.discharge_override_with = overridden_with
        locked.save(
            update_fields=[
                "discharged_at",
                "discharged_by",
                "discharge_override_reason",
                "discharge_override_with",
                "discharge_confirmed_by",
                "discharge_confirmed_at",
                "updated_at",
            ]
        )
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
        locked.session = episode_services.complete_dosing_session(
            actor=actor, session=locked.session, at=now
        )
        # The written after-care instructions the criteria ask for: emailed and printable.
        education.hand_over_after_care(
            actor=actor, session=locked.session, patient=locked.patient, now=now
        )
    return locked
