"""Writes that change the course of care, each in one transaction with its access-log row;
the HTML views and the API both call these, never the models directly.

- `open_episode`, `change_state`, `update_plan`: the episode and its state machine.
- `add_session`, `record_session_status`: sessions, with their appointments booked through
  `scheduling.services` (all or nothing).
- `record_day_of_checklist`, `waive_gate`, `start_dosing_session`: the dosing gates.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kapcare import dates
from kapcare.accounts import step_up
from kapcare.accounts.models import Role, User
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.episodes import rules
from kapcare.episodes.booking_questions import Answer
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.gates import rules as gate_rules
from kapcare.episodes.models import (
    CareSession,
    DayOfChecklist,
    DoseRoute,
    Episode,
    EpisodeState,
    EpisodeTransition,
    GateWaiver,
    PregnancyTest,
    SessionKind,
    SessionStatus,
)
from kapcare.patients.models import Patient
from kapcare.refusals import Refused
from kapcare.scheduling import services as scheduling
from kapcare.scheduling.models import Room
from kapcare.therapists.invitations import name_therapist

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
        if to_state in rules.CLOSED_STATES:
            # A closed course holds no room, clinician or calendar entry any more.
            note = f"Episode {rules.STATES[to_state].lower()}: {reason.strip()}".rstrip(": ")
            for planned in locked.sessions.filter(status=SessionStatus.PLANNED):
                record_session_status(
                    actor=actor, session=planned, to_status=SessionStatus.CANCELLED, note=note
                )
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
    if not dates.is_clinic_date(data.starts_at):
        problems["starts_at"] = dates.OUT_OF_RANGE
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


def add_session(
    *, actor: Actor, episode: Episode, data: SessionInput, answers: Sequence[Answer] = ()
) -> CareSession:
    """Plan a session of the episode. When it takes place at the clinic (a room or a
    clinician is named) its appointment is booked in the same transaction, so a session
    never exists without the slot it needs. `answers`: the booking questions' writes
    (`booking_questions`: the coverage answer), kept in the same transaction."""
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
        for answer in answers:
            answer(actor)
    return session


# --- Series planning ----------------------------------------------------------------------


class SeriesRefused(Refused):
    """Sessions of a series that could not be booked: `rows` maps each one's place in the
    list to its problems, by field. Nothing of the series was booked."""

    def __init__(self, rows: dict[int, dict[str, str]]):
        self.rows = rows
        count = len(rows)
        super().__init__(
            {
                "__all__": f"{count} session{'' if count == 1 else 's'} could not be booked, "
                "so nothing was booked."
            }
        )


def add_sessions(
    *,
    actor: Actor,
    episode: Episode,
    sessions: list[SessionInput],
    answers: Sequence[Answer] = (),
) -> list[CareSession]:
    """Plan and book several sessions of the episode, all or nothing: a series planned in
    one step. Every session is tried, so that each conflict is named at its own row; when
    any is refused the whole transaction is rolled back (appointments, sessions and their
    access-log rows) and `SeriesRefused` says which. `answers` (the booking questions'
    writes) are kept once, with the series."""
    refused: dict[int, dict[str, str]] = {}
    created: list[CareSession] = []
    with transaction.atomic():
        for index, data in enumerate(sessions):
            try:
                with transaction.atomic():
                    created.append(add_session(actor=actor, episode=episode, data=data))
            except Refused as refusal:
                refused[index] = refusal.problems
        if refused:
            transaction.set_rollback(True)
        else:
            for answer in answers:
                answer(actor)
    if refused:
        raise SeriesRefused(refused)
    return created


def record_session_status(
    *,
    actor: Actor,
    session: CareSession,
    to_status: str,
    note: str = "",
    therapist_confirmation: str = "",
) -> CareSession:
    """Record that a session was done, missed or cancelled. A cancelled session frees its
    appointment; a dosing session becomes "in progress" only through
    `start_dosing_session`, which checks its gates. Staff recording a KAP preparation or
    integration session as done, when the episode names a therapist, attach the
    therapist's `therapist_confirmation` (`rules.needs_therapist_confirmation`): only the
    therapist's own record, or their confirmation, lets it count towards gates 3 and 4."""
    _refuse_status_request(session, to_status, note)
    confirmation = _checked_confirmation(therapist_confirmation)
    with transaction.atomic():
        locked = (
            CareSession.objects.select_for_update(of=("self",))
            .select_related("episode__therapist")
            .get(pk=session.pk)
        )
        _refuse_status_change(locked, to_status)
        _refuse_unconfirmed_therapy_session(actor, locked, to_status, confirmation)
        _save_status(actor, locked, to_status, note.strip(), confirmation)
        if to_status == SessionStatus.CANCELLED and locked.appointment_id is not None:
            scheduling.cancel(actor=actor, appointment=locked.appointment)
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def _refuse_status_request(session: CareSession, to_status: str, note: str) -> None:
    """Refuse a status this page may never record, or a miss or cancellation without why."""
    if to_status == SessionStatus.IN_PROGRESS:
        raise Refused({"status": "Start a dosing session from its gates page."})
    if session.kind == SessionKind.DOSING and to_status == SessionStatus.DONE:
        raise Refused({"status": DOSING_DONE_BY_DISCHARGE})
    if to_status in {SessionStatus.MISSED, SessionStatus.CANCELLED} and not note.strip():
        raise Refused({"note": "Say why, for the record."})


def _checked_confirmation(therapist_confirmation: str) -> str:
    """The therapist's confirmation as it will be kept, or Refused at its field."""
    confirmation = therapist_confirmation.strip()
    if "\x00" in confirmation:
        raise Refused({"therapist_confirmation": "Remove the null character."})
    if len(confirmation) > CONFIRMATION_MAX_CHARS:
        raise Refused(
            {"therapist_confirmation": f"Keep it to {CONFIRMATION_MAX_CHARS} characters."}
        )
    return confirmation


def _refuse_status_change(locked: CareSession, to_status: str) -> None:
    """Refuse a change the session's current status does not allow, or "done" too early."""
    problem = rules.session_transition_problem(locked.kind, locked.status, to_status)
    if problem:
        raise Refused({"status": problem})
    if to_status == SessionStatus.DONE and locked.planned_start > timezone.now():
        raise Refused({"status": "A session cannot be recorded as done before it starts."})


def _refuse_unconfirmed_therapy_session(
    actor: Actor, locked: CareSession, to_status: str, confirmation: str
) -> None:
    """Staff recording the named therapist's session as done must say how they confirmed it."""
    episode = locked.episode
    needs_confirmation = rules.needs_therapist_confirmation(
        model=episode.model,
        kind=locked.kind,
        to_status=to_status,
        therapist_id=episode.therapist_id,
        recorder_id=actor.user.pk,
    )
    if needs_confirmation and not confirmation:
        raise Refused(
            {
                "therapist_confirmation": f"Say how and when {episode.therapist} confirmed "
                'this session was held (e.g. "email, Dec 3"): without the therapist\'s '
                "confirmation it does not count towards the dosing gates."
            }
        )


def _save_status(
    actor: Actor, locked: CareSession, to_status: str, note: str, confirmation: str
) -> None:
    """Write the new status, who set it and when; a confirmation is kept only with "done"."""
    locked.status = to_status
    locked.status_changed_at = timezone.now()
    locked.status_changed_by = actor.user
    locked.status_note = note
    locked.therapist_confirmation = confirmation if to_status == SessionStatus.DONE else ""
    locked.save(
        update_fields=[
            "status",
            "status_changed_at",
            "status_changed_by",
            "status_note",
            "therapist_confirmation",
        ]
    )


# The field's length in `CareSession.therapist_confirmation`.
CONFIRMATION_MAX_CHARS = 300

DOSING_DONE_BY_DISCHARGE = (
    "A dosing session is done when the patient is discharged: open its dosing record."
)


def complete_dosing_session(*, actor: Actor, session: CareSession, at=None) -> CareSession:
    """A dose under way is done: called by the dosing record's discharge, which checks the
    discharge criteria first (the only way a dosing session is done)."""
    with transaction.atomic():
        locked = CareSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
        if locked.kind != SessionKind.DOSING or locked.status != SessionStatus.IN_PROGRESS:
            raise Refused({"status": "Only a dosing session under way can be completed."})
        locked.status = SessionStatus.DONE
        locked.status_changed_at = at or timezone.now()
        locked.status_changed_by = actor.user
        locked.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


# --- Episode pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TherapistInput:
    """An outside therapist named by email; the name is needed only to invite someone
    who has no account yet."""

    email: str
    name: str = ""


def therapist_problems(therapist: TherapistInput | None, model: str) -> dict[str, str]:
    """What is wrong with the therapist named for an episode of `model`, by field."""
    if therapist is None or not therapist.email.strip():
        return {}
    if not rules.is_kap(model):
        return {}  # a standalone infusion has no therapist: the email is ignored
    account = User.objects.filter(email__iexact=therapist.email.strip()).first()
    if account is None and not therapist.name.strip():
        return {
            "therapist_name": "This therapist has no account yet; enter their name and they "
            "will be invited by email."
        }
    if account is not None and account.role != Role.THERAPIST:
        return {"therapist_email": "This email belongs to an account that is not a therapist's."}
    if account is not None and not account.is_active:
        return {"therapist_email": "This therapist's account is deactivated."}
    return {}


def find_or_invite_therapist(
    *, actor: Actor, clinic, therapist: TherapistInput | None, model: str
) -> User | None:
    """The therapist's account. A therapist named for the first time becomes an entry in the
    clinic's directory, invited by email to accept it (the email names the clinic and
    carries the link, never the patient); until then nobody can sign in as them. None for
    a standalone infusion or when no therapist is named. Runs in the caller's transaction,
    so a refused episode invites nobody."""
    problems = therapist_problems(therapist, model)
    if problems:
        raise Refused(problems)
    if therapist is None or not therapist.email.strip() or not rules.is_kap(model):
        return None
    return name_therapist(
        actor=actor,
        clinic=clinic,
        email=therapist.email,
        full_name=therapist.name.strip(),
    )


def open_episode_naming_therapist(
    *,
    actor: Actor,
    patient,
    data: EpisodeInput,
    therapist: TherapistInput | None,
) -> Episode:
    """`open_episode` with the therapist named by email, invited if new, all or nothing:
    what the episode form and `POST /api/v1/episodes` call."""
    problems = _episode_problems(patient, data) | therapist_problems(therapist, data.model)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        account = find_or_invite_therapist(
            actor=actor,
            clinic=patient.clinic,
            therapist=therapist,
            model=data.model,
        )
        data = EpisodeInput(**{**data.__dict__, "therapist": account})
        return open_episode(actor=actor, patient=patient, data=data)


@dataclass(frozen=True)
class PlanInput:
    """What the course is planned to be, as the edit page changes it."""

    dose_route: str
    planned_doses: int
    planned_preparation_sessions: int
    planned_integration_sessions: int
    therapist_fee: Decimal | None = None
    treating_clinician: User | None = None
    therapist: TherapistInput | None = None
    model: str | None = None  # None: the episode keeps its model
    planned_esketamine_mg: int | None = None  # intranasal only; None: 56 mg


def _plan_problems(episode: Episode, data: PlanInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    model = data.model or episode.model
    if model not in rules.MODELS:
        problems["model"] = "Choose one of the four models."
        model = episode.model
    if data.dose_route not in DoseRoute.values:
        problems["dose_route"] = "Choose a route from the list."
    if data.planned_doses < 1:
        problems["planned_doses"] = "Plan at least one dose."
    if data.planned_esketamine_mg not in (None, 56, 84):
        problems["planned_esketamine_mg"] = "Choose 56 or 84 mg."
    if data.planned_preparation_sessions < 0:
        problems["planned_preparation_sessions"] = "Enter zero or more sessions."
    if data.planned_integration_sessions < 0:
        problems["planned_integration_sessions"] = "Enter zero or more sessions."
    if data.therapist_fee is not None and data.therapist_fee < 0:
        problems["therapist_fee"] = "Enter zero or more."
    clinician = data.treating_clinician
    if clinician is not None and (
        clinician.role != Role.CLINICIAN or clinician.clinic_id != episode.clinic_id
    ):
        problems["treating_clinician"] = "Choose one of the clinic's clinicians."
    return problems | therapist_problems(data.therapist, model)


def update_plan(*, actor: Actor, episode: Episode, data: PlanInput) -> Episode:
    """Change the planned course: the model of care, route, doses, preparation and
    integration sessions, the therapist's fee, the treating clinician and the therapist
    (invited if new). A standalone infusion keeps no therapist, fee, preparation or
    integration. A new model makes the patient's signed treatment consent, which names the
    old one, no longer current: the consent gate asks for re-consent before the next dose
    (`consents.services.episode_consent_status`)."""
    problems = _plan_problems(episode, data)
    if problems:
        raise Refused(problems)
    model = data.model or episode.model
    kap = rules.is_kap(model)
    with transaction.atomic():
        therapist = find_or_invite_therapist(
            actor=actor,
            clinic=episode.clinic,
            therapist=data.therapist,
            model=model,
        )
        episode.model = model
        episode.dose_route = data.dose_route
        episode.planned_doses = data.planned_doses
        intranasal = data.dose_route == DoseRoute.INTRANASAL
        episode.planned_esketamine_mg = data.planned_esketamine_mg if intranasal else None
        episode.planned_preparation_sessions = data.planned_preparation_sessions if kap else 0
        episode.planned_integration_sessions = data.planned_integration_sessions if kap else 0
        episode.therapist_fee = data.therapist_fee if kap else None
        episode.treating_clinician = data.treating_clinician
        episode.therapist = therapist
        episode.save(
            update_fields=[
                "model",
                "dose_route",
                "planned_doses",
                "planned_esketamine_mg",
                "planned_preparation_sessions",
                "planned_integration_sessions",
                "therapist_fee",
                "treating_clinician",
                "therapist",
                "updated_at",
            ]
        )
        record_access(actor, AccessAction.UPDATE, patient=episode.patient, obj=episode)
    return episode


# --- Gates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistInput:
    """What the day-of checklist form (or the API) sends."""

    fasting_confirmed: bool = False
    escort_confirmed: bool = False
    pregnancy_test: str = PregnancyTest.NOT_DONE
    medication_changes_reviewed: bool = False
    medication_changes: str = ""
    blood_pressure_systolic: int | None = None
    blood_pressure_diastolic: int | None = None


# A dose can be given once the patient consented on the episode, until it closes.
DOSING_STATES = frozenset(
    {
        EpisodeState.CONSENTED,
        EpisodeState.PREPARING,
        EpisodeState.IN_TREATMENT,
        EpisodeState.FOLLOW_UP,
    }
)
FIRST_DOSE_STATES = frozenset({EpisodeState.CONSENTED, EpisodeState.PREPARING})


def _locked_session(session: CareSession) -> CareSession:
    """The session's row, locked until the transaction ends, with what the gates read."""
    return (
        CareSession.objects.select_for_update(of=("self",))
        .select_related("episode", "patient__clinic")
        .get(pk=session.pk)
    )


def _planned_dosing_problem(session: CareSession) -> str | None:
    if session.kind != SessionKind.DOSING:
        return "Only a dosing session has gates and a day-of checklist."
    if session.status != SessionStatus.PLANNED:
        return f"This dosing session is already {session.get_status_display().lower()}."
    return None


def _is_clinician(actor: Actor) -> bool:
    return getattr(actor.user, "role", None) == Role.CLINICIAN


def record_day_of_checklist(
    *, actor: Actor, session: CareSession, data: ChecklistInput
) -> DayOfChecklist:
    """Record (or correct) the day-of checklist of a planned dosing session: gate 8's
    confirmations and gate 9's pre-dose blood pressure, whose time is noted when it
    changes."""
    problems = gate_rules.blood_pressure_entry_problems(
        data.blood_pressure_systolic, data.blood_pressure_diastolic
    )
    if data.pregnancy_test not in PregnancyTest.values:
        problems["pregnancy_test"] = "Choose a pregnancy test result from the list."
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        locked = _locked_session(session)
        problem = _planned_dosing_problem(locked)
        if problem:
            raise Refused({"__all__": problem})
        checklist = DayOfChecklist.objects.filter(session_id=locked.pk).first()
        creating = checklist is None
        if creating:
            checklist = DayOfChecklist(session=locked, patient_id=locked.patient_id)
        reading = (data.blood_pressure_systolic, data.blood_pressure_diastolic)
        if reading != (checklist.blood_pressure_systolic, checklist.blood_pressure_diastolic):
            checklist.blood_pressure_taken_at = timezone.now() if reading[0] is not None else None
        checklist.blood_pressure_systolic, checklist.blood_pressure_diastolic = reading
        checklist.fasting_confirmed = data.fasting_confirmed
        checklist.escort_confirmed = data.escort_confirmed
        checklist.pregnancy_test = data.pregnancy_test
        checklist.medication_changes_reviewed = data.medication_changes_reviewed
        checklist.medication_changes = data.medication_changes.strip()
        checklist.recorded_by = actor.user
        checklist.save()
        action = AccessAction.CREATE if creating else AccessAction.UPDATE
        record_access(actor, action, patient=locked.patient, obj=checklist)
    return checklist


def waive_gate(
    *,
    actor: Actor,
    session: CareSession,
    rule: str,
    reason: str,
    reauthentication: Reauthentication | None,
    now: datetime | None = None,
) -> GateWaiver:
    """A clinician lets a planned dose go ahead although `rule` fails, with a written
    reason, re-entering their code (`step_up`: the waiver is kept for good under their
    name). Only a rule that fails now can be waived; what it said is kept with the
    waiver, for this session only."""
    reason = reason.strip()
    if not _is_clinician(actor):
        raise Refused({"__all__": "Only a clinician may waive a gate."})
    if not reason:
        raise Refused({"reason": "Write why the dose may go ahead although this rule fails."})
    step_up.require(reauthentication, actor, what="waive a gate")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_session(session)
        problem = _planned_dosing_problem(locked)
        if problem:
            raise Refused({"__all__": problem})
        gate = next((g for g in gate_facts.gate_report(locked, now).gates if g.rule == rule), None)
        if gate is None:
            raise Refused({"rule": "Choose one of this session's gates."})
        if gate.waived:
            raise Refused({"rule": f"“{gate.title}” is already waived for this session."})
        if gate.passed:
            raise Refused({"rule": f"“{gate.title}” passes; there is nothing to waive."})
        if not gate.waivable:
            raise Refused({"rule": f"“{gate.title}” cannot be waived: {gate.message}"})
        waiver = GateWaiver.objects.create(
            session=locked,
            patient_id=locked.patient_id,
            rule=rule,
            reason=reason,
            failure=gate.message,
            basis=gate.basis,
            waived_by=actor.user,
            waived_at=now,
            waived_with=reauthentication.method,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=waiver)
    return waiver


def start_dosing_session(
    *, actor: Actor, session: CareSession, now: datetime | None = None
) -> CareSession:
    """Start a planned dosing session, only when every gate passes or is waived.

    The gates are evaluated again inside the transaction, with the session's row locked and
    the dose given now, so that nothing that changed since the page was shown slips
    through. The first dose of an episode moves it to "in treatment"."""
    if not _is_clinician(actor):
        raise Refused({"__all__": "Only a clinician may start a dosing session."})
    now = now or timezone.now()
    with transaction.atomic():
        # The patient's row first: two doses of one patient started at the same moment
        # must see each other (gate 7), so starts of one patient go one at a time.
        Patient.objects.select_for_update().filter(pk=session.patient_id).first()
        locked = _locked_session(session)
        problem = _planned_dosing_problem(locked)
        if problem:
            raise Refused({"__all__": problem})
        _refuse_start_on_another_day(locked, now)
        episode = locked.episode
        _refuse_start_outside_dosing_states(episode)
        report = gate_facts.gate_report(locked, now, dose_at=now)
        if report.blocking:
            raise Refused({g.rule: f"{g.title}: {g.message}" for g in report.blocking})
        _save_started(actor, locked, now)
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
        if episode.state in FIRST_DOSE_STATES:
            change_state(
                actor=actor,
                episode=episode,
                to_state=EpisodeState.IN_TREATMENT,
                reason="First dose started.",
            )
    return locked


def _refuse_start_on_another_day(locked: CareSession, now: datetime) -> None:
    """A dose is started on the clinic's calendar day it is booked for, not before or after."""
    zone = locked.patient.clinic.zone
    booked_day = timezone.localdate(locked.planned_start, zone)
    if timezone.localdate(now, zone) != booked_day:
        raise Refused(
            {
                "__all__": f"This dose is booked for {booked_day:%A %B} {booked_day.day}: "
                "start it on that day, or move the session first."
            }
        )


def _refuse_start_outside_dosing_states(episode: Episode) -> None:
    """A dose is given only between consent and the episode's close."""
    if episode.state not in DOSING_STATES:
        raise Refused(
            {
                "__all__": f"The episode is “{episode.get_state_display()}”: a dose is "
                "given only once the patient has consented, and not after the episode "
                "has closed."
            }
        )


def _save_started(actor: Actor, locked: CareSession, now: datetime) -> None:
    """The session is in progress from `now`, started by the actor."""
    locked.status = SessionStatus.IN_PROGRESS
    locked.started_at = locked.status_changed_at = now
    locked.started_by = locked.status_changed_by = actor.user
    locked.save(
        update_fields=[
            "status",
            "started_at",
            "started_by",
            "status_changed_at",
            "status_changed_by",
        ]
    )
