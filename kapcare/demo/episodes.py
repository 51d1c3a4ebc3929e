"""Demo courses of care: rooms and working hours, an episode in every state and every
model, past sessions done (one dose given under a recorded waiver, one integration
missed), and a week of booked sessions ahead, one of them blocked by a safety alert that
waits for review. KAP episodes name Rachel Kim (verified in the directory) or, for one,
Sam Ortega (not yet verified: see therapists.py); Rachel records the preparation and
integration sessions she held in her portal, under her patients' authorisations.

Episodes are opened before the consents are signed, so the consent each patient signs
carries their course's cost estimate. Everything goes through the services the pages call:
bookings cannot double-book, and a dose starts only when its gates pass (or a clinician
waives one, with a reason). Past sessions are given at their own time (`now=`) and their
times written back afterwards, as the questionnaire demo does.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.accounts.models import Role, User
from kapcare.accounts.second_person import SecondPerson
from kapcare.audit.log import Actor
from kapcare.demo import esketamine
from kapcare.demo.measures import likert_answers
from kapcare.demo.records import discharge_and_sign, record_reading
from kapcare.demo.sign_ins import PASSWORD
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.events import services as events_services
from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    DosageForm,
    EventKind,
    Lighting,
    Severity,
)
from kapcare.dosing.signing import services as signing_services
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.summary import services as summary_services
from kapcare.dosing.vitals import services as vitals_services
from kapcare.episodes import rules, services, therapy_sessions
from kapcare.episodes.check_in import services as check_in
from kapcare.episodes.models import (
    CareSession,
    DayOfChecklist,
    DoseRoute,
    Episode,
    EpisodeTransition,
    PregnancyTest,
    SessionKind,
    SessionStatus,
)
from kapcare.measures import services as measures
from kapcare.measures.models import Assessment, AssessmentStatus, Source
from kapcare.patients.models import Patient, SexAtBirth
from kapcare.patients.services import record_body_measurement
from kapcare.refusals import Refused
from kapcare.scheduling import services as scheduling
from kapcare.scheduling.models import Room
from kapcare.therapists.models import Modality

ROOMS = ["Suite 1 (Belmont)", "Suite 2 (Cumberland)", "Suite 3 (Radnor)"]
# The demo clinic's week: Monday to Friday, 08:00–17:00 (room for four dosing blocks a
# day). Every session of the story falls on one of these days: loaded on a weekend, the
# demo has no dose today (the clinic is closed) and today's doses are booked for Monday.
WORKING_DAYS = frozenset(range(5))
WORKING_HOURS = [(day, dt.time(8), dt.time(17)) for day in sorted(WORKING_DAYS)]
DOSE_HOURS = (9, 11, 13, 15)
THERAPY_HOUR = 16


@dataclass(frozen=True)
class Course:
    """One patient's episode: the model, where it stands, and its sessions in days from
    today (negative: done; positive: booked)."""

    model: str
    states: tuple[str, ...]
    diagnosis: tuple[str, str]
    goals: str = ""
    trauma: bool = False
    # Who the episode names as its outside therapist: RACHEL (verified) or SAM (not yet).
    therapist: str = ""
    # The therapist records the done preparation and integration sessions in their portal
    # (under the patient's authorisation); otherwise the front desk records them.
    recorded_by_therapist: bool = False
    therapist_fee: str | None = None
    preparation_days: tuple[int, ...] = ()
    dose_days: tuple[int, ...] = ()
    # Integration after the dose of the same position; None: none planned.
    integration_after: tuple[int | None, ...] = ()
    missed_integrations: tuple[int, ...] = ()  # dose positions whose integration was missed
    waivers: dict[int, tuple[str, str]] = field(default_factory=dict)  # dose position → rule
    # A dose position with a hypertension event during the infusion.
    hypertension_at: int | None = None
    # The dose of today (offset 0), started and under way when the demo is loaded.
    under_way_today: bool = False
    # The dose of today (offset 0), the patient checked in at the desk, not yet started.
    checked_in_today: bool = False
    # The last dose given: the patient's account and the therapist's summary released.
    summary_for_last_dose: bool = False
    closing_reason: str = ""
    # Where the episode goes once its doses are given.
    after_series: tuple[str, ...] = ()
    # Esketamine (Spravato) instead of ketamine (esketamine.py), with the dose positions
    # whose REMS form was sent.
    esketamine: bool = False
    rems_forms_sent: tuple[int, ...] = ()


RACHEL, SAM = "rachel", "sam"

DEPRESSION = ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features")
PTSD = ("F43.10", "Post-traumatic stress disorder, unspecified")
ANXIETY = ("F41.1", "Generalized anxiety disorder")

# Per patient index (see build.py).
COURSES = {
    # The portal patient: blended KAP with Rachel Kim, four doses given, two booked (the
    # first today: checked in, the day-of checklist still to fill); Rachel records her
    # sessions in her portal.
    0: Course(
        model=rules.BLENDED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=DEPRESSION,
        goals="Feel less stuck; reconnect with my music and with friends.",
        trauma=True,
        therapist=RACHEL,
        recorded_by_therapist=True,
        therapist_fee="150.00",
        preparation_days=(-24, -20),
        dose_days=(-16, -13, -9, -6, 0, 4),
        integration_after=(1, 1, 1, 1, 1, 1),
        missed_integrations=(2,),
        checked_in_today=True,
        summary_for_last_dose=True,
        waivers={
            3: (
                "integration",
                "Integration after the last dose was missed (Rachel Kim unwell) and is "
                "rebooked for tomorrow. Spoke with the patient and with Rachel: stable, "
                "PHQ-9 improving; agreed to go ahead.",
            )
        },
    ),
    # Bracketed: preparation done, the first dose booked this week.
    1: Course(
        model=rules.BRACKETED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=DEPRESSION,
        goals="Less rumination; sleep through the night.",
        therapist=RACHEL,
        therapist_fee="140.00",
        preparation_days=(-3,),
        dose_days=(0, 3),
        integration_after=(1, 1),
        under_way_today=True,
    ),
    # In-session: two doses given, integration after the second never happened, and a
    # PHQ-9 since then answered item 9: the next dose, booked today, waits for a safety
    # review (the Today board shows its gates failing).
    2: Course(
        model=rules.IN_SESSION,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=DEPRESSION,
        therapist=RACHEL,
        therapist_fee="180.00",
        preparation_days=(-21,),
        dose_days=(-17, -13, 0),
        integration_after=(1, None, None),
    ),
    # Preparing: the first of two preparation sessions (trauma history) done, recorded by
    # Rachel Kim in her portal.
    3: Course(
        model=rules.BLENDED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=PTSD,
        goals="Process the accident without shutting down.",
        trauma=True,
        therapist=RACHEL,
        recorded_by_therapist=True,
        therapist_fee="150.00",
        preparation_days=(-2, 5),
    ),
    11: Course(
        model=rules.BLENDED,
        states=(rules.SCREENING, rules.ELIGIBLE),
        diagnosis=ANXIETY,
        therapist=RACHEL,
    ),
    # Standalone infusions: six given, now in follow-up.
    5: Course(
        model=rules.STANDALONE,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED),
        diagnosis=DEPRESSION,
        dose_days=(-31, -28, -24, -21, -17, -14),
        hypertension_at=2,
        after_series=(rules.FOLLOW_UP,),
    ),
    6: Course(
        model=rules.BLENDED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.DISCONTINUED),
        diagnosis=ANXIETY,
        therapist=RACHEL,
        closing_reason="Moving to Denver for work; referred to a clinic there with her records.",
    ),
    # Consented, with Sam Ortega, whose licence and training the clinic has not verified
    # yet: the episode and its booked first dose show the credential warning.
    7: Course(
        model=rules.BLENDED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED),
        diagnosis=ANXIETY,
        therapist=SAM,
        therapist_fee="160.00",
        preparation_days=(3,),
        dose_days=(6,),
        integration_after=(1,),
    ),
    # Not eligible (psychosis, see screening.py).
    8: Course(
        model=rules.STANDALONE,
        states=(rules.SCREENING, rules.INELIGIBLE),
        diagnosis=DEPRESSION,
        closing_reason="Active psychosis: referred back to the treating psychiatrist.",
    ),
    9: Course(model=rules.BRACKETED, states=(rules.SCREENING,), diagnosis=DEPRESSION),
    10: Course(model=rules.BLENDED, states=(), diagnosis=PTSD, trauma=True),
    # Spravato: standalone esketamine under its REMS, two sessions given; the first
    # session's REMS form sent, the second's due (esketamine.py).
    12: Course(
        model=rules.STANDALONE,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED),
        diagnosis=DEPRESSION,
        goals="Get back to work; treatment-resistant depression after three antidepressants.",
        dose_days=(-10, -3),
        esketamine=True,
        rems_forms_sent=(0,),
    ),
    # A standalone course finished months ago.
    4: Course(
        model=rules.STANDALONE,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED),
        diagnosis=DEPRESSION,
        dose_days=(-150, -147, -143, -140, -136, -133),
        after_series=(rules.FOLLOW_UP, rules.COMPLETED),
    ),
    # Past KAP courses, one per model, finished some months ago and followed up since
    # (their follow-up questionnaires: outcomes.py), so the clinic's outcome figures compare
    # the models with standalone infusions.
    13: Course(
        model=rules.IN_SESSION,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=DEPRESSION,
        therapist=RACHEL,
        therapist_fee="180.00",
        preparation_days=(-214,),
        dose_days=(-210, -207, -203, -200, -196, -193),
        integration_after=(1, 1, 1, 1, 1, 1),
        after_series=(rules.FOLLOW_UP,),
    ),
    14: Course(
        model=rules.BRACKETED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=DEPRESSION,
        therapist=RACHEL,
        therapist_fee="140.00",
        preparation_days=(-184,),
        dose_days=(-180, -177, -173, -170, -166, -163),
        integration_after=(1, 1, 1, 1, 1, 1),
        after_series=(rules.FOLLOW_UP,),
    ),
    15: Course(
        model=rules.BLENDED,
        states=(rules.SCREENING, rules.ELIGIBLE, rules.CONSENTED, rules.PREPARING),
        diagnosis=ANXIETY,
        therapist=RACHEL,
        therapist_fee="150.00",
        preparation_days=(-124,),
        dose_days=(-120, -117, -113, -110, -106, -103),
        integration_after=(1, 1, 1, 1, 1, 1),
        after_series=(rules.FOLLOW_UP,),
    ),
}


def open_episodes(
    patients: list[Patient], nurse: Actor, therapists: dict[str, User]
) -> dict[int, Episode]:
    """Open every demo episode (state "referred"), before consents are signed;
    `therapists` by RACHEL and SAM."""
    clinic = patients[0].clinic
    episodes = {}
    for index, course in COURSES.items():
        episodes[index] = services.open_episode(
            actor=nurse,
            patient=patients[index],
            data=services.EpisodeInput(
                model=course.model,
                diagnosis_code=course.diagnosis[0],
                diagnosis_text=course.diagnosis[1],
                treating_clinician=nurse.user,
                therapist=therapists[course.therapist] if course.therapist else None,
                has_trauma_history=course.trauma,
                goals=course.goals,
                therapist_fee=Decimal(course.therapist_fee) if course.therapist_fee else None,
                planned_doses=max(len(course.dose_days), clinic.induction_doses),
                dose_route=DoseRoute.INTRANASAL if course.esketamine else DoseRoute.IV,
            ),
        )
    return episodes


def load_courses(
    episodes: dict[int, Episode], front_desk: Actor, nurse: Actor, admin: Actor
) -> None:
    """Rooms and hours, then each course's history and its booked week."""
    clinic = next(iter(episodes.values())).clinic
    # Each suite's bedside monitor, to try the HL7 listener with (README, "Bedside monitors").
    rooms = [
        scheduling.save_room(
            actor=admin, clinic=clinic, name=name, monitor_device_id=f"DEMO-MONITOR-{number}"
        )
        for number, name in enumerate(ROOMS, start=1)
    ]
    for weekday, starts, ends in WORKING_HOURS:
        scheduling.add_working_hours(
            actor=admin, clinician=nurse.user, weekday=weekday, starts=starts, ends=ends
        )
    today = timezone.localdate(timezone.now(), clinic.zone)
    esketamine.certify(clinic, admin, today)
    for index, course in COURSES.items():
        _run_course(episodes[index], course, today, rooms, front_desk, nurse)


def _at(clinic, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clinic.zone).astimezone(dt.UTC)


def story_day(today: dt.date, offset: int) -> dt.date:
    """The working day `offset` days from today: a day in the past moves back to the working
    day before it, today or a day ahead forward to the next, so that nothing the story
    has done moves into the future."""
    day = today + dt.timedelta(days=offset)
    step = dt.timedelta(days=-1 if offset < 0 else 1)
    while day.weekday() not in WORKING_DAYS:
        day += step
    return day


def working_days_after(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `day`."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= day.weekday() in WORKING_DAYS
    return day


@dataclass(frozen=True)
class Story:
    """When a course's steps before its first session happened, in story order: referred,
    screened (the screening completed and the eligibility decided), consented; the
    episode's states move every second working day in between."""

    referred: dt.date

    def state_changed(self, clinic, number: int) -> dt.datetime:
        """The moment of the episode's `number`-th change of state (1: the first)."""
        return _at(clinic, working_days_after(self.referred, 2 * number), 11)

    def screened(self, clinic) -> dt.datetime:
        return _at(clinic, working_days_after(self.referred, 3), 10)

    def consented(self, clinic) -> dt.datetime:
        return _at(clinic, working_days_after(self.referred, 5), 10)


def course_story(course: Course, today: dt.date) -> Story:
    """A course's story before its first session (or before today, when it has none):
    referred at least 16 days before, so that its four changes of state, its screening
    and its consent (eight working days) all come before the first session."""
    first = story_day(today, min((*course.preparation_days, *course.dose_days, 0)))
    return Story(referred=story_day(first, -16))


def stories(today: dt.date) -> dict[int, Story]:
    """Every demo course's story, by patient index (see build.py)."""
    return {index: course_story(course, today) for index, course in COURSES.items()}


def _run_course(episode, course: Course, today, rooms: list[Room], front_desk, nurse) -> None:
    clinic = episode.clinic
    story = course_story(course, today)
    moment = _at(clinic, story.referred, 11)
    _backdate_transition(episode, moment)  # the referral that opened it
    Episode.objects.filter(pk=episode.pk).update(created_at=moment)
    for number, state in enumerate(course.states, start=1):
        reason = course.closing_reason if state in rules.REASON_REQUIRED else ""
        services.change_state(actor=front_desk, episode=episode, to_state=state, reason=reason)
        _backdate_transition(episode, story.state_changed(clinic, number))

    # No dose before the day after the last preparation (doses follow preparation).
    not_before = None
    for offset in course.preparation_days:
        day = story_day(today, offset)
        session = _therapy_session(episode, rules.PREPARATION, day, front_desk)
        if day < today:
            _held(session, course, front_desk)
        not_before = _at(clinic, day + dt.timedelta(days=1), 0)

    for position, offset in enumerate(course.dose_days):
        target = story_day(today, offset)
        session = _dose(
            episode,
            target,
            not_before,
            rooms,
            front_desk,
            nurse,
            hours=_today_hours(clinic, today, course.under_way_today)
            if target == today
            else DOSE_HOURS,
        )
        not_before = session.planned_start + dt.timedelta(
            hours=episode.clinic.minimum_dose_interval_hours
        )
        day = timezone.localdate(session.planned_start, episode.clinic.zone)
        if day < today and course.esketamine:
            _give_dose(episode, session, None, nurse, front_desk, esketamine_position=position)
            esketamine.write_up(session, nurse, front_desk, sent=position in course.rems_forms_sent)
        elif day < today:
            _give_dose(episode, session, course.waivers.get(position), nurse, front_desk)
            _write_up(
                session,
                nurse,
                front_desk,
                hypertension=position == course.hypertension_at,
                summary=course.summary_for_last_dose and position == last_given(course, today),
            )
        elif day == today and course.under_way_today and _has_begun(session):
            _start_today(episode, session, nurse, front_desk)
        elif day == today and course.checked_in_today:
            check_in.check_in(actor=front_desk, session=session)
        gap = course.integration_after[position] if course.integration_after else None
        if gap is None:
            continue
        integration_day = working_days_after(day, gap)
        integration = _therapy_session(episode, rules.INTEGRATION, integration_day, front_desk)
        # The next dose after this integration, on a later day.
        not_before = max(not_before, _at(clinic, integration_day + dt.timedelta(days=1), 0))
        if integration_day < today:
            if position in course.missed_integrations:
                # The therapist was unwell: the front desk heard it and records it.
                services.record_session_status(
                    actor=front_desk,
                    session=integration,
                    to_status=SessionStatus.MISSED,
                    note="Therapist unwell; rebooked.",
                )
                _backdate_status(integration)
            else:
                _held(integration, course, front_desk, modality=THERAPY_MODALITIES[position % 2])

    for state in course.after_series:
        services.change_state(actor=nurse, episode=episode, to_state=state)


# How the demo therapist reports her sessions (modalities she lists in the directory) and
# the brief note for the clinic: coordination only, never psychotherapy notes.
THERAPY_MODALITIES = (Modality.IFS, Modality.ACT)
COORDINATION_NOTES = {
    rules.PREPARATION: "Preparation held: what to expect, intentions, safety plan reviewed.",
    rules.INTEGRATION: "Integration held; no safety concerns; ready for the next dose.",
}


def _held(session: CareSession, course: Course, front_desk: Actor, modality=Modality.IFS):
    """A past preparation or integration session, done: recorded by the therapist in their
    portal when the course says so (the patient's live authorisation lets them), by the
    front desk otherwise, with the therapist's confirmation so that it counts."""
    if course.recorded_by_therapist:
        therapist = Actor(user=session.run_by, ip_address=None, channel=front_desk.channel)
        start = timezone.localtime(session.planned_start, session.episode.clinic.zone)
        session = therapy_sessions.record_therapy_session(
            actor=therapist,
            episode=session.episode,
            session=session,
            data=therapy_sessions.TherapySessionInput(
                held_on=start.date(),
                start_time=start.time(),
                duration_minutes=60 if session.kind == rules.PREPARATION else 50,
                modality=modality,
                attended=True,
                coordination_note=COORDINATION_NOTES[session.kind],
            ),
        )
    else:
        services.record_session_status(
            actor=front_desk,
            session=session,
            to_status=SessionStatus.DONE,
            therapist_confirmation=_confirmation(session),
        )
    _backdate_status(session)


def _confirmation(session: CareSession) -> str:
    """How the therapist confirmed a session the front desk records: an email the day it
    was held (nothing when the episode names no therapist)."""
    therapist = session.episode.therapist
    if therapist is None:
        return ""
    held = timezone.localdate(session.planned_start, session.episode.clinic.zone)
    return f"Email from {therapist.full_name}, {held:%b} {held.day}"


def _therapy_session(episode, kind: str, day: dt.date, actor: Actor) -> CareSession:
    """A preparation or integration session in the therapist's own practice (no room), on
    `day`, at the end of the clinic's day."""
    return services.add_session(
        actor=actor,
        episode=episode,
        data=services.SessionInput(
            kind=kind, starts_at=_at(episode.clinic, day, THERAPY_HOUR), run_by=episode.therapist
        ),
    )


def _today_hours(clinic, today: dt.date, under_way: bool) -> tuple[int, ...]:
    """Today's dosing blocks in the order a dose tries them. The dose under way takes the
    last block that has begun by now (its booked start and the check-in behind it), so it
    is started inside its booking; today's other doses take the blocks still ahead first
    (checked in early, or waiting), leaving that block to it: the clinician gives one dose
    at a time."""
    now = timezone.now()
    checkin = dt.timedelta(minutes=clinic.checkin_minutes)
    begun = [hour for hour in DOSE_HOURS if _at(clinic, today, hour) + checkin <= now]
    ahead = [hour for hour in DOSE_HOURS if hour not in begun]
    if under_way and begun:
        return (begun[-1], *ahead, *begun[:-1])
    return (*ahead, *begun)


def _dose(
    episode,
    day: dt.date,
    not_before,
    rooms: list[Room],
    front_desk,
    nurse,
    hours: tuple[int, ...] = DOSE_HOURS,
):
    """Book a dosing session in the first free block (of `hours`, in that order) of the
    first working day from `day` on, no sooner than `not_before` (the minimum interval
    between doses, and after the integration of the dose before)."""
    last_refusal = None
    for _ in range(7):
        if day.weekday() not in WORKING_DAYS:
            day += dt.timedelta(days=1)
            continue
        for hour in hours:
            starts_at = _at(episode.clinic, day, hour)
            if not_before is not None and starts_at < not_before:
                continue
            for room in rooms:
                try:
                    return services.add_session(
                        actor=front_desk,
                        episode=episode,
                        data=services.SessionInput(
                            kind=SessionKind.DOSING,
                            starts_at=starts_at,
                            room=room,
                            clinician=nurse.user,
                        ),
                    )
                except Refused as refusal:
                    last_refusal = refusal
        day += dt.timedelta(days=1)
    raise last_refusal or RuntimeError(f"No dosing block free near {day}")


def _give_dose(
    episode,
    session: CareSession,
    waiver,
    nurse: Actor,
    front_desk: Actor,
    esketamine_position: int | None = None,
) -> None:
    """Check in, take the questionnaires and a weight if due, record the day-of
    checklist, prescribe the dose (checked by the nurse as the second person; esketamine's
    dose of `esketamine_position` for a Spravato course), start (waiving only what the
    course says, with its reason) and finish."""
    patient = episode.patient
    at = session.planned_start + dt.timedelta(minutes=episode.clinic.checkin_minutes)
    _questionnaires_before(patient, at, nurse)
    _weight_before(patient, at, nurse)
    _check_in(session, nurse, systolic=124, diastolic=80)
    # Checked in on arrival, before the dose.
    arrived = at - dt.timedelta(minutes=10)
    DayOfChecklist.objects.filter(session=session).update(
        updated_at=arrived, blood_pressure_taken_at=arrived
    )
    CareSession.objects.filter(pk=session.pk).update(
        checked_in_at=arrived - dt.timedelta(minutes=5), checked_in_by=front_desk.user
    )
    if esketamine_position is not None:
        esketamine.prescribe(session, esketamine_position, at, nurse, _bedside_nurse)
    else:
        _prescribe(episode, session, at, nurse, front_desk)
    if waiver is not None:
        rule, reason = waiver
        services.waive_gate(
            actor=nurse,
            session=session,
            rule=rule,
            reason=reason,
            reauthentication=step_up.reauthenticate(nurse.user, PASSWORD),
            now=at,
        )
    services.start_dosing_session(actor=nurse, session=session, now=at)


# The demo's doses in mg/kg per route, within the clinic's default maxima.
DEMO_MG_PER_KG = {"iv": "0.5", "im": "0.75", "sublingual": "1.5", "intranasal": "0.5"}


def _check_in(session: CareSession, nurse: Actor, *, systolic: int, diastolic: int) -> None:
    """The day-of checklist on arrival: fasting, escort, a pregnancy test where it applies,
    medications reviewed, the pre-dose blood pressure."""
    patient = session.patient
    services.record_day_of_checklist(
        actor=nurse,
        session=session,
        data=services.ChecklistInput(
            fasting_confirmed=True,
            escort_confirmed=True,
            pregnancy_test=PregnancyTest.NOT_APPLICABLE
            if patient.sex_at_birth == SexAtBirth.MALE
            else PregnancyTest.NEGATIVE,
            medication_changes_reviewed=True,
            blood_pressure_systolic=systolic,
            blood_pressure_diastolic=diastolic,
        ),
    )


DEMO_NURSE = "nurse@demo.kapcare.org"


def _bedside_nurse(clinic_id: int, at: dt.datetime) -> SecondPerson:
    """The demo's nurse as the second person of a dose's check or a waste, as if she had
    typed her own password on the clinician's screen at `at`."""
    user = User.objects.get(email=DEMO_NURSE, clinic_id=clinic_id, role=Role.NURSE)
    return SecondPerson(user=user, confirmed_at=at)


def _lot_of_the_month(clinic, day: dt.date, clinician: Actor, at: dt.datetime) -> str:
    """The lot the month's doses are drawn from: received into the register the first
    time (five 500 mg vials, counted by the clinician with the nurse), in date for a
    year from the first of the month."""
    lot_number = f"KET-{day:%y%m}A"
    if not ControlledSubstanceEntry.objects.filter(
        clinic_id=clinic.pk, lot_number=lot_number, kind="received"
    ).exists():
        substances_services.receive_stock(
            actor=clinician,
            clinic=clinic,
            lot_number=lot_number,
            lot_expiry=day.replace(day=1) + dt.timedelta(days=365),
            amount_mg=Decimal("2500"),
            witness=_bedside_nurse(clinic.pk, at),
            note="5 vials of 500 mg/10 mL.",
            strength="500 mg/10 mL",
            dosage_form=DosageForm.INJECTABLE_SOLUTION,
        )
    return lot_number


def _prescribe(episode, session: CareSession, at: dt.datetime, nurse: Actor, front_desk) -> None:
    """The clinician prescribes the dose from the day's weight and a lot of the register;
    the nurse checks it, typing her own password; in the in-session model the therapist
    sits in."""
    record = recording.record_for(nurse, session)
    day = timezone.localdate(at, episode.clinic.zone)
    lot_number = _lot_of_the_month(episode.clinic, day, nurse, at - dt.timedelta(minutes=9))
    record = dose_services.prescribe_dose(
        actor=nurse,
        record=record,
        route=episode.dose_route,
        mg_per_kg=Decimal(DEMO_MG_PER_KG[episode.dose_route]),
        infusion_minutes=episode.clinic.infusion_minutes,
        lot_number=lot_number,
        now=at - dt.timedelta(minutes=8),
    )
    dose_services.confirm_dose(
        actor=nurse,
        record=record,
        checker=_bedside_nurse(record.clinic_id, at - dt.timedelta(minutes=5)),
        now=at - dt.timedelta(minutes=5),
    )
    dose_services.record_set_and_setting(
        actor=nurse,
        record=record,
        data=dose_services.SettingInput(
            music="Calm ambient playlist",
            eye_shades=True,
            lighting=Lighting.DIM,
            therapist_present=episode.model == rules.IN_SESSION,
            intention="To look at what keeps me stuck, with curiosity.",
        ),
    )


def last_given(course: Course, today: dt.date) -> int:
    """The position of the course's last dose before today."""
    return max(i for i, offset in enumerate(course.dose_days) if offset < 0)


# Vital signs over a dose: (minutes from the dose's start, HR, SBP, DBP, SpO2, RR, MOAA/S).
# Blood pressure rises through the infusion and peaks near 40 minutes (+16/+11 mmHg on
# average in the Yale series: docs/clinical-reference.md#vital-sign-monitoring-series), then
# settles during the hour of observation.
VITALS_COURSE = [
    (-5, 74, 124, 80, 98, 14, 5),
    (10, 78, 131, 84, 98, 14, 4),
    (20, 80, 136, 88, 97, 13, 4),
    (30, 82, 139, 90, 97, 13, 3),
    (40, 81, 140, 91, 97, 13, 3),
    (55, 77, 134, 86, 98, 14, 4),
    (70, 75, 129, 83, 98, 14, 5),
    (85, 74, 126, 81, 98, 14, 5),
    (100, 73, 125, 80, 99, 14, 5),
]
# The session with a hypertension event: a peak above the clinic's alert level at 30 min.
HYPERTENSIVE_COURSE = {30: (88, 184, 104, 97, 14, 3), 40: (84, 158, 96, 97, 14, 3)}


def _treat_hypertension(record, nurse: Actor, started: dt.datetime) -> None:
    """The hypertension at 30 minutes as an adverse event, treated with labetalol."""
    event = events_services.record_adverse_event(
        actor=nurse,
        record=record,
        kind=EventKind.HYPERTENSION,
        severity=Severity.MODERATE,
        onset_at=started + dt.timedelta(minutes=30),
        description="184/104 at 30 minutes, no headache or chest pain.",
    )
    events_services.record_intervention(
        actor=nurse,
        event=event,
        drug="Labetalol",
        dose="10 mg IV",
        given_at=started + dt.timedelta(minutes=32),
    )


def _write_up(session, nurse: Actor, front_desk: Actor, *, hypertension: bool, summary: bool):
    """The rest of a past dose's record, as the nurse kept it: the dose's start and end,
    vital signs through the infusion and the hour after, the ketamine drawn, given and
    wasted (witnessed by the nurse), the discharge check, the discharge and the
    signature; for one session, the patient's account and the therapist's summary."""
    session.refresh_from_db()
    record = recording.record_for(nurse, session)
    started = session.started_at
    events_services.record_dose_started(actor=nurse, record=record, at=started)
    for minutes, *reading in VITALS_COURSE:
        if hypertension and minutes in HYPERTENSIVE_COURSE:
            reading = HYPERTENSIVE_COURSE[minutes]
        record_reading(record, nurse, started + dt.timedelta(minutes=minutes), reading)
        if hypertension and minutes == 30:
            _treat_hypertension(record, nurse, started)
    record = events_services.record_dose_ended(actor=nurse, record=record)
    _use_ketamine(record, nurse, front_desk)
    ended = record.dose_ended_at
    record = discharge_and_sign(
        record,
        nurse,
        checked_at=ended + dt.timedelta(minutes=62),
        discharged_at=ended + dt.timedelta(minutes=65),
        signed_at=ended + dt.timedelta(minutes=90),
    )
    if summary:
        patient = record.patient
        in_portal = Actor(user=patient.user, ip_address=None, channel=nurse.channel)
        signing_services.record_experience(
            actor=in_portal,
            record=record,
            experience="Calmer than last time. The music helped; I saw my grandmother's "
            "kitchen and felt safe there.",
            dissociation=6,
            bring_to_integration="Why feeling safe is so rare for me lately.",
        )
        summary_services.release_summary(
            actor=nurse,
            record=record,
            text=summary_services.draft_summary(record),
            reauthentication=step_up.reauthenticate(nurse.user, PASSWORD),
        )


# The demo's links in emails (the summary released to the demo therapist) point here.


def _use_ketamine(record, nurse: Actor, front_desk: Actor) -> None:
    """Draw whole milligrams from the prescription's lot, give the dose, waste the rest
    before the nurse as witness."""
    drawn = record.dose_mg.to_integral_value(rounding=ROUND_CEILING) + 2
    substances_services.record_session_use(
        actor=nurse,
        record=record,
        lot_number=record.lot_number,
        drawn_mg=drawn,
        given_mg=record.dose_mg,
        wasted_mg=drawn - record.dose_mg,
        witness=_bedside_nurse(record.clinic_id, record.dose_ended_at),
    )


def _dose_time(session: CareSession) -> dt.datetime:
    """When a booked dose is given: its booked start, after the check-in."""
    return session.planned_start + dt.timedelta(minutes=session.episode.clinic.checkin_minutes)


def _has_begun(session: CareSession) -> bool:
    """Whether today's booked dose would be under way by now (loaded before the day's first
    block, the dose is only booked)."""
    return _dose_time(session) <= timezone.now()


def _start_today(episode, session: CareSession, nurse: Actor, front_desk: Actor) -> None:
    """Today's dose, under way: checked in, the dose prescribed and checked, started at its
    booked time (after the check-in), its first readings taken."""
    at = _dose_time(session)
    arrived = at - dt.timedelta(minutes=10)
    patient = episode.patient
    check_in.check_in(actor=front_desk, session=session, now=arrived)
    _questionnaires_before(patient, at, nurse)
    _weight_before(patient, at, nurse)
    _check_in(session, nurse, systolic=132, diastolic=84)
    DayOfChecklist.objects.filter(session=session).update(
        updated_at=arrived, blood_pressure_taken_at=arrived
    )
    _prescribe(episode, session, at, nurse, front_desk)
    session = services.start_dosing_session(actor=nurse, session=session, now=at)
    record = recording.record_for(nurse, session)
    events_services.record_dose_started(actor=nurse, record=record, at=at)
    vitals_services.record_vitals(
        actor=nurse,
        record=record,
        taken_at=at,
        values={"hr": 82, "sbp": 132, "dbp": 84, "spo2": 98, "rr": 15, "sedation": 5},
    )


def _questionnaires_before(patient, at: dt.datetime, nurse: Actor) -> None:
    """PHQ-9 and GAD-7 at check-in when none is recent (gate 5), repeating the patient's
    last answers so that their course reads as it does in measures.py."""
    since = at - dt.timedelta(days=patient.clinic.measures_recent_days)
    for instrument, items in (("phq9", 9), ("gad7", 7)):
        completed = Assessment.objects.filter(
            patient_id=patient.pk, instrument=instrument, status=AssessmentStatus.COMPLETED
        )
        if completed.filter(completed_at__gte=since, completed_at__lte=at).exists():
            continue
        previous = completed.filter(completed_at__lte=at).order_by("-completed_at").first()
        later = completed.order_by("completed_at").first()
        total = (previous or later).total if (previous or later) else 12
        # PHQ-9's last item stays 0: item 9 above 0 is suicidal ideation (a safety alert).
        answers = likert_answers(total, items, 3, last_item=0 if instrument == "phq9" else 1)
        completion = measures.record_assessment(
            actor=nurse,
            patient=patient,
            instrument=instrument,
            answers=answers,
            source=Source.STAFF,
        )
        when = at - dt.timedelta(minutes=30)
        Assessment.objects.filter(pk=completion.assessment.pk).update(
            started_at=when, completed_at=when
        )


def _weight_before(patient, at: dt.datetime, nurse: Actor) -> None:
    """A weight on the day when none is recent (gate 8; the dose is per kilogram)."""
    day = timezone.localdate(at, patient.clinic.zone)
    since = day - dt.timedelta(days=patient.clinic.weight_recent_days)
    weights = patient.body_measurements.filter(weight_kg__isnull=False)
    if weights.filter(measured_on__gte=since, measured_on__lte=day).exists():
        return
    last = weights.order_by("-measured_on").values_list("weight_kg", flat=True).first()
    record_body_measurement(
        actor=nurse, patient=patient, measured_on=day, weight_kg=last, height_cm=None
    )


def _backdate_transition(episode, moment: dt.datetime) -> None:
    latest = EpisodeTransition.objects.filter(episode=episode).latest("id")
    EpisodeTransition.objects.filter(pk=latest.pk).update(changed_at=moment)
    Episode.objects.filter(pk=episode.pk).update(state_changed_at=moment)


def _backdate_status(session: CareSession) -> None:
    CareSession.objects.filter(pk=session.pk).update(
        status_changed_at=session.planned_end + dt.timedelta(minutes=5)
    )
