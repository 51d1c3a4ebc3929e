"""Writes that change the course of care, each in one transaction with its access-log row;
the HTML views and the API both call these, never the models directly.

- `open_episode`, `change_state`, `update_plan`: the episode and its state machine.
- `add_session`, `record_session_status`: sessions, with their appointments booked through
  `scheduling.services` (all or nothing).
- `record_day_of_checklist`, `waive_gate`, `start_dosing_session`: the dosing gates.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.episodes import rules
from kapcare.episodes.models import (
    CareSession,
    Episode,
    EpisodeState,
    EpisodeTransition,
    SessionStatus,
)
from kapcare.refusals import Refused
from kapcare.scheduling import services as scheduling
from kapcare.scheduling.models import Room

# --- Episodes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeInput:
    model: str
    diagnosis_code: str
    diagnosis_text: str = ""
    treating_clinician: User | None = None
    therapist: User | None = None
    has_trauma_history: bool = False
    goals: str = ""
    dose_route: str = "iv"
    therapist_fee: Decimal | None = None
    planned_doses: int | None = None
    planned_preparation_sessions: int | None = None
    planned_integration_sessions: int | None = None


def _episode_problems(patient, data: EpisodeInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.model not in rules.MODELS:
        problems["model"] = "Choose one of the four models."
    if not rules.icd10_code_is_valid(data.diagnosis_code):
        problems["diagnosis_code"] = (
            "Enter an ICD-10-CM code: a letter, two digits, then optionally a dot and up to "
            "four more characters, e.g. F33.2."
        )
    clinician = data.treating_clinician
    if clinician is not None and (
        clinician.role != Role.CLINICIAN or clinician.clinic_id != patient.clinic_id
    ):
        problems["treating_clinician"] = "Choose one of the clinic's clinicians."
    if data.therapist is not None and data.therapist.role != Role.THERAPIST:
        problems["therapist"] = "This account is not an outside therapist's."
    if data.therapist is not None and data.model == rules.STANDALONE:
        problems["therapist"] = "A standalone infusion has no therapist; choose a KAP model."
    return problems


def open_episode(*, actor: Actor, patient, data: EpisodeInput) -> Episode:
    """Open an episode of care for `patient`, in the state "referred". The planned course
    defaults to the clinic's induction series and preparation (gate 3) settings."""
    problems = _episode_problems(patient, data)
    if problems:
        raise Refused(problems)
    clinic = patient.clinic
    kap = rules.is_kap(data.model)
    doses = data.planned_doses if data.planned_doses is not None else clinic.induction_doses
    preparation = data.planned_preparation_sessions
    if preparation is None:
        preparation = (
            rules.preparation_sessions_needed(
                data.has_trauma_history,
                clinic.preparation_sessions_required,
                clinic.preparation_sessions_with_trauma,
            )
            if kap
            else 0
        )
    integration = data.planned_integration_sessions
    if integration is None:
        integration = doses if kap else 0
    now = timezone.now()
    with transaction.atomic():
        episode = Episode.objects.create(
            clinic=clinic,
            patient=patient,
            model=data.model,
            state=EpisodeState.REFERRED,
            state_changed_at=now,
            diagnosis_code=rules.normalise_icd10(data.diagnosis_code),
            diagnosis_text=data.diagnosis_text.strip(),
            treating_clinician=data.treating_clinician,
            therapist=data.therapist if kap else None,
            has_trauma_history=data.has_trauma_history,
            goals=data.goals.strip(),
            dose_route=data.dose_route,
            therapist_fee=data.therapist_fee if kap else None,
            planned_doses=doses,
            planned_preparation_sessions=preparation if kap else 0,
            planned_integration_sessions=integration if kap else 0,
            created_by=actor.user,
        )
        EpisodeTransition.objects.create(
            episode=episode,
            from_state="",
            to_state=EpisodeState.REFERRED,
            reason="Episode opened.",
            changed_by=actor.user,
            changed_at=now,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=episode)
    return episode


def change_state(*, actor: Actor, episode: Episode, to_state: str, reason: str = "") -> Episode:
    """Move the episode along one allowed edge and record who, when and why."""
    with transaction.atomic():
        locked = Episode.objects.select_for_update().get(pk=episode.pk)
        problem = rules.transition_problem(locked.state, to_state, locked.model, reason)
        if problem:
            raise Refused({"to_state": problem})
        now = timezone.now()
        EpisodeTransition.objects.create(
            episode=locked,
            from_state=locked.state,
            to_state=to_state,
            reason=reason.strip(),
            changed_by=actor.user,
            changed_at=now,
        )
        locked.state, locked.state_changed_at = to_state, now
        locked.save(update_fields=["state", "state_changed_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    episode.state, episode.state_changed_at = locked.state, locked.state_changed_at
    return episode


# --- Sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInput:
    kind: str
    starts_at: datetime
    room: Room | None = None
    clinician: User | None = None
    run_by: User | None = None
    minutes: int | None = None


def session_minutes(clinic, kind: str) -> int:
    """How long a session of `kind` holds its room and clinician: a dosing session holds
    them for check-in, infusion and recovery (clinic settings)."""
    if kind == rules.DOSING:
        return clinic.checkin_minutes + clinic.infusion_minutes + clinic.recovery_minutes
    return clinic.therapy_session_minutes


def _session_problems(episode: Episode, data: SessionInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.kind not in rules.session_kinds_for(episode.model):
        problems["kind"] = (
            "A standalone infusion has dosing sessions only."
            if data.kind in rules.SESSION_KINDS
            else "Choose preparation, dosing or integration."
        )
    if episode.is_closed:
        problems["__all__"] = (
            f"This episode is {episode.get_state_display().lower()}; open a new one to plan "
            "sessions."
        )
    if data.kind == rules.DOSING and data.room is None:
        problems["room"] = "A dosing session needs a room."
    if data.kind == rules.DOSING and data.clinician is None:
        problems["clinician"] = "A dosing session needs a clinician."
    if data.clinician is not None and data.clinician.role != Role.CLINICIAN:
        problems["clinician"] = "Choose one of the clinic's clinicians."
    return problems


def add_session(*, actor: Actor, episode: Episode, data: SessionInput) -> CareSession:
    """Plan a session of the episode. When it takes place at the clinic (a room or a
    clinician is named) its appointment is booked in the same transaction, so a session
    never exists without the slot it needs."""
    problems = _session_problems(episode, data)
    if problems:
        raise Refused(problems)
    clinic = episode.clinic
    minutes = data.minutes or session_minutes(clinic, data.kind)
    starts_at = scheduling.whole_minutes(data.starts_at)
    ends_at = starts_at + timedelta(minutes=minutes)
    with transaction.atomic():
        appointment = None
        if data.room is not None or data.clinician is not None:
            appointment = scheduling.book(
                actor=actor,
                clinic=clinic,
                slot=scheduling.Slot(starts_at, ends_at, data.room, data.clinician),
                purpose=rules.SESSION_KINDS[data.kind],
                patient=episode.patient,
            )
        run_by = data.run_by or data.clinician
        if run_by is None and data.kind != rules.DOSING:
            run_by = episode.therapist
        session = CareSession.objects.create(
            episode=episode,
            patient_id=episode.patient_id,
            kind=data.kind,
            planned_start=starts_at,
            planned_end=ends_at,
            appointment=appointment,
            run_by=run_by,
            created_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=episode.patient, obj=session)
    return session


def record_session_status(
    *, actor: Actor, session: CareSession, to_status: str, note: str = ""
) -> CareSession:
    """Record that a session was done, missed or cancelled. A cancelled session frees its
    appointment; a dosing session becomes "in progress" only through
    `start_dosing_session`, which checks its gates."""
    if to_status == SessionStatus.IN_PROGRESS:
        raise Refused({"status": "Start a dosing session from its gates page."})
    if to_status in {SessionStatus.MISSED, SessionStatus.CANCELLED} and not note.strip():
        raise Refused({"note": "Say why, for the record."})
    with transaction.atomic():
        locked = CareSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
        problem = rules.session_transition_problem(locked.kind, locked.status, to_status)
        if problem:
            raise Refused({"status": problem})
        if to_status == SessionStatus.DONE and locked.planned_start > timezone.now():
            raise Refused({"status": "A session cannot be recorded as done before it starts."})
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = actor.user
        locked.status_note = note.strip()
        locked.save(
            update_fields=["status", "status_changed_at", "status_changed_by", "status_note"]
        )
        if to_status == SessionStatus.CANCELLED and locked.appointment_id is not None:
            scheduling.cancel(actor=actor, appointment=locked.appointment)
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked
