"""Writes of the events part of the dosing record: the course of the dose (start, end,
the infusion paused, resumed or stopped) and adverse events with their interventions.
Every write locks the record's row, so that it cannot cross a signature, and refuses once
the record is signed. The rules are pure: `events.rules`."""

from django.db import transaction
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.discharge.rules import clock_time
from kapcare.dosing.events import rules
from kapcare.dosing.models import (
    AdverseEvent,
    DosingRecord,
    EventKind,
    InfusionChange,
    InfusionChangeKind,
    Intervention,
    Severity,
)
from kapcare.dosing.recording import lock_for_events, refuse_unless_under_way
from kapcare.episodes.models import DoseRoute
from kapcare.refusals import Refused


def _clock_of(record: DosingRecord, value) -> str:
    return clock_time(value, record.patient.clinic.zone)


def _event_time_problem(at, now, *, earliest, earliest_label: str) -> str:
    """Why `at` cannot be the time of what is recorded; "" when it can. Times are typed
    in whole minutes, so `earliest` counts from the start of its minute: the time the
    form shows for it (e.g. the session's start, 8:30 for 8:30:05) is allowed."""
    if at > now:
        return "This time is still to come: enter when it happened."
    if earliest is not None and at < earliest.replace(second=0, microsecond=0):
        return f"This is before {earliest_label}."
    return ""


def record_dose_started(*, actor: Actor, record: DosingRecord, at=None) -> DosingRecord:
    """Record when the dose started: by default when the session was started (its gates
    passed), or the time given. The dose must have had its second check."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_for_events(record)
        refuse_unless_under_way(locked, "the dose's times are recorded")
        if not locked.is_confirmed:
            raise Refused(
                {"__all__": "A second clinician or nurse checks the dose before it starts."}
            )
        session = locked.session
        at = at or session.started_at
        problem = _event_time_problem(
            at,
            now,
            earliest=session.started_at,
            earliest_label=f"the session started ({_clock_of(locked, session.started_at)})",
        )
        if not problem and locked.dose_ended_at is not None and at > locked.dose_ended_at:
            problem = f"This is after the dose ended ({_clock_of(locked, locked.dose_ended_at)})."
        if problem:
            raise Refused({"at": problem})
        locked.dose_started_at = at
        locked.save(update_fields=["dose_started_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def record_dose_ended(*, actor: Actor, record: DosingRecord, at=None) -> DosingRecord:
    """Record when the dose ended. By default an IV infusion ends its prescribed duration
    after the start, plus any pause (`rules.planned_infusion_end`); a sublingual,
    IM or intranasal dose ends when it is taken (its start). The time may be adjusted to
    when it really ended; an infusion stopped early ends at the stop."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_for_events(record)
        refuse_unless_under_way(locked, "the dose's times are recorded")
        started = locked.dose_started_at
        if started is None:
            raise Refused({"at": "Record when the dose started first."})
        default = started
        if locked.route == DoseRoute.IV:
            changes = list(locked.infusion_changes.values_list("kind", "at"))
            state = rules.infusion_state([kind for kind, _ in changes])
            if state == rules.IS_PAUSED:
                raise Refused({"at": "The infusion is paused: resume it, or stop it early."})
            if state == rules.IS_STOPPED:
                raise Refused({"at": "The infusion was stopped early: it ended then."})
            minutes = locked.infusion_minutes or locked.patient.clinic.infusion_minutes
            default = rules.planned_infusion_end(started, minutes, changes)
            if at is None and default > now:
                raise Refused(
                    {
                        "at": f"The infusion runs until {_clock_of(locked, default)}: record "
                        "its end when it has ended, or enter when it actually ended."
                    }
                )
        at = at or default
        problem = _event_time_problem(
            at,
            now,
            earliest=started,
            earliest_label=f"the dose started ({_clock_of(locked, started)})",
        )
        if problem:
            raise Refused({"at": problem})
        locked.dose_ended_at = at
        locked.save(update_fields=["dose_ended_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def record_infusion_change(
    *, actor: Actor, record: DosingRecord, kind: str, at=None, reason: str = ""
):
    """Record that the IV infusion was paused, resumed or stopped early (a pause and a
    stop need a reason). A stop ends the dose at that time."""
    if kind not in InfusionChangeKind.values:
        raise Refused({"kind": "Choose whether the infusion was paused, resumed or stopped."})
    reason = reason.strip()
    if kind in rules.NEEDS_REASON and not reason:
        verb = "paused" if kind == InfusionChangeKind.PAUSED else "stopped early"
        raise Refused({"reason": f"Say why the infusion was {verb}."})
    now = timezone.now()
    at = at or now
    with transaction.atomic():
        locked = lock_for_events(record)
        refuse_unless_under_way(locked, "the infusion's changes are recorded")
        if locked.route != DoseRoute.IV:
            raise Refused({"kind": "Only an IV infusion can be paused or stopped."})
        if locked.dose_started_at is None:
            raise Refused({"__all__": "Record when the infusion started first."})
        if locked.dose_ended_at is not None:
            raise Refused(
                {"__all__": f"The infusion ended at {_clock_of(locked, locked.dose_ended_at)}."}
            )
        changes = list(locked.infusion_changes.values_list("kind", "at"))
        problem = rules.infusion_change_problem(rules.infusion_state([k for k, _ in changes]), kind)
        if problem:
            raise Refused({"kind": problem})
        earliest, label = locked.dose_started_at, "the infusion started"
        if changes:
            earliest, label = changes[-1][1], "the infusion's last change"
        problem = _event_time_problem(
            at, now, earliest=earliest, earliest_label=f"{label} ({_clock_of(locked, earliest)})"
        )
        if problem:
            raise Refused({"at": problem})
        change = InfusionChange.objects.create(
            record=locked, kind=kind, at=at, reason=reason, recorded_by=actor.user
        )
        if kind == InfusionChangeKind.STOPPED:
            locked.dose_ended_at = at
            locked.save(update_fields=["dose_ended_at", "updated_at"])
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=change)
    return change


def record_adverse_event(
    *,
    actor: Actor,
    record: DosingRecord,
    kind: str,
    severity: str,
    onset_at=None,
    description: str = "",
):
    """Record an adverse event of the session (nausea or vomiting, hypertension, an
    emergence reaction, agitation, respiratory depression, other) with its severity and
    onset; "other" needs a description. Allowed from the session's start until the
    record is signed, so that an event can be written up after the discharge."""
    problems = {}
    if kind not in EventKind.values:
        problems["kind"] = "Choose what happened."
    if severity not in Severity.values:
        problems["severity"] = "Choose mild, moderate or severe."
    description = description.strip()
    if kind == EventKind.OTHER and not description:
        problems["description"] = "Describe the event."
    if problems:
        raise Refused(problems)
    now = timezone.now()
    onset_at = onset_at or now
    with transaction.atomic():
        locked = lock_for_events(record)
        started = locked.session.started_at
        if started is None:
            raise Refused({"__all__": "The session has not started: no event to record yet."})
        problem = _event_time_problem(
            onset_at,
            now,
            earliest=started,
            earliest_label=f"the session started ({_clock_of(locked, started)})",
        )
        if problem:
            raise Refused({"onset_at": problem})
        event = AdverseEvent.objects.create(
            record=locked,
            patient_id=locked.patient_id,
            kind=kind,
            severity=severity,
            onset_at=onset_at,
            description=description,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=event)
    return event


def record_intervention(*, actor: Actor, event, drug: str, dose: str = "", given_at=None):
    """Record what was done for an adverse event: a drug with its dose, or another
    measure, and when; not before the event began."""
    drug, dose = drug.strip(), dose.strip()
    if not drug:
        raise Refused({"drug": "Name the drug given or the measure taken."})
    now = timezone.now()
    given_at = given_at or now
    with transaction.atomic():
        locked = lock_for_events(event.record)
        problem = _event_time_problem(
            given_at,
            now,
            earliest=event.onset_at,
            earliest_label=f"the event began ({_clock_of(locked, event.onset_at)})",
        )
        if problem:
            raise Refused({"given_at": problem})
        intervention = Intervention.objects.create(
            event=event,
            record=locked,
            drug=drug,
            dose=dose,
            given_at=given_at,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=intervention)
    return intervention
