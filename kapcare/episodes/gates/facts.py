"""Gather the facts the dosing gates need for one session, from the records, in a fixed
number of queries whatever the patient's history holds; then evaluate `gates/rules.py` and add
what the page and the API show besides: each rule's waiver and the link that fixes it.

The page, the API and `services.start_dosing_session` all come through `gate_report`, so
the rules a clinician sees are the rules that decide the start.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Min, Q
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.consents.services import episode_consent_status
from kapcare.episodes import rules
from kapcare.episodes.gates import registry
from kapcare.episodes.gates import rules as gate_rules
from kapcare.episodes.models import (
    CareSession,
    DayOfChecklist,
    GateWaiver,
    SessionKind,
    SessionStatus,
)
from kapcare.measures.models import Assessment, AssessmentStatus, SafetyAlert
from kapcare.patients.models import BodyMeasurement, SexAtBirth
from kapcare.screening.status import eligibility_for, eligibility_on_days

# A dose counts as given once it has started.
GIVEN = (SessionStatus.IN_PROGRESS, SessionStatus.DONE)


def settings_for(clinic) -> gate_rules.GateSettings:
    """The clinic's gate settings, read here and only here."""
    return gate_rules.GateSettings(
        time_zone=clinic.time_zone,
        preparation_sessions_required=clinic.preparation_sessions_required,
        preparation_sessions_with_trauma=clinic.preparation_sessions_with_trauma,
        measures_recent_days=clinic.measures_recent_days,
        minimum_dose_interval_hours=clinic.minimum_dose_interval_hours,
        weight_recent_days=clinic.weight_recent_days,
        bp_warn_systolic=clinic.bp_warn_systolic,
        bp_warn_diastolic=clinic.bp_warn_diastolic,
        bp_hold_systolic=clinic.bp_hold_systolic,
        bp_hold_diastolic=clinic.bp_hold_diastolic,
        pre_dose_bp_valid_minutes=clinic.pre_dose_bp_valid_minutes,
    )


def dose_time(session: CareSession, now: datetime) -> datetime:
    """When the dose will be given, as far as the gates can tell: its planned start while
    that is ahead, now once it is due."""
    return max(now, session.planned_start)


@dataclass(frozen=True)
class Gathered:
    facts: gate_rules.GateFacts
    settings: gate_rules.GateSettings
    open_alert_ids: tuple[str, ...]
    checklist: DayOfChecklist | None


def _given_at(row: dict) -> datetime:
    return row["started_at"] or row["planned_start"]


def _counts(episode, row: dict) -> bool:
    """Whether a preparation or integration session done counts for the gates: always in a
    standalone episode (which has none of these gates), else as
    `rules.therapy_session_counts` says."""
    return not episode.is_kap or rules.therapy_session_counts(
        therapist_id=episode.therapist_id,
        run_by_id=row["run_by_id"],
        recorded_by_id=row["status_changed_by_id"],
        confirmation=row["therapist_confirmation"],
    )


def _not_counted(episode, rows: list[dict]) -> tuple[str, ...]:
    """Why each session done that does not count was left out, in words for the gate."""
    return tuple(_why_not_counted(episode, row) for row in rows if not _counts(episode, row))


def _why_not_counted(episode, row: dict) -> str:
    who = row["status_changed_by__full_name"] or "someone unknown"
    role = row["status_changed_by__role"]
    if episode.therapist_id is None:
        return f"recorded by {who}, and no therapist is named for the episode to confirm it"
    if row["status_changed_by_id"] == episode.therapist_id:
        return f"recorded by {who} for a session someone else ran"
    if role == Role.THERAPIST:
        return f"recorded by {who}, who is not the episode's therapist"
    staff = "the front desk" if role == Role.COORDINATOR else who
    return f"recorded by {staff} without the therapist's confirmation"


def _course_rows(patient_id: int) -> list[dict]:
    """Every session of the patient, as the course facts read them (one query)."""
    return list(
        CareSession.objects.filter(patient_id=patient_id).values(
            "id",
            "episode_id",
            "kind",
            "status",
            "planned_start",
            "started_at",
            "run_by_id",
            "status_changed_by_id",
            "status_changed_by__full_name",
            "status_changed_by__role",
            "therapist_confirmation",
        )
    )


def _course_facts(
    session: CareSession, dose_at: datetime, rows: list[dict] | None = None
) -> tuple[dict, datetime]:
    """The facts the patient's other sessions give (one query, none when the patient's
    `rows` are at hand): the doses before this one, the preparation and integration
    sessions done that count and why the others do not; and the moment of the episode's
    first dose (this one if none came before)."""
    episode = session.episode
    if rows is None:
        rows = _course_rows(session.patient_id)
    rows = [r for r in rows if r["id"] != session.pk]
    doses = [
        r
        for r in rows
        if r["kind"] == SessionKind.DOSING and r["status"] in GIVEN and _given_at(r) < dose_at
    ]
    episode_doses = [r for r in doses if r["episode_id"] == episode.pk]
    previous_episode_dose_at = max((_given_at(r) for r in episode_doses), default=None)
    done_here = [
        r
        for r in rows
        if r["episode_id"] == episode.pk
        and r["status"] == SessionStatus.DONE
        and r["planned_start"] < dose_at
    ]
    preparations = [r for r in done_here if r["kind"] == SessionKind.PREPARATION]
    integrations = [
        r
        for r in done_here
        if r["kind"] == SessionKind.INTEGRATION
        and previous_episode_dose_at is not None
        and r["planned_start"] > previous_episode_dose_at
    ]
    facts = {
        "previous_dose_at": max((_given_at(r) for r in doses), default=None),
        "previous_episode_dose_at": previous_episode_dose_at,
        "preparation_sessions_done": sum(1 for r in preparations if _counts(episode, r)),
        "preparation_not_counted": _not_counted(episode, preparations),
        "integration_done_since_previous_dose": any(_counts(episode, r) for r in integrations),
        "integration_not_counted": _not_counted(episode, integrations),
    }
    return facts, min((_given_at(r) for r in episode_doses), default=dose_at)


def _measure_facts(patient, first_episode_dose_at: datetime, dose_at: datetime) -> dict:
    """The latest PHQ-9 and GAD-7, and whether there is a baseline: a PHQ-9 within the
    recent window before the episode's first dose (a PHQ-9 from an earlier course does not
    count). One query."""
    baseline_from = first_episode_dose_at - timedelta(days=patient.clinic.measures_recent_days)
    measures = Assessment.objects.filter(
        patient_id=patient.pk, status=AssessmentStatus.COMPLETED, completed_at__lte=dose_at
    ).aggregate(
        phq9=Max("completed_at", filter=Q(instrument="phq9")),
        gad7=Max("completed_at", filter=Q(instrument="gad7")),
        baseline_phq9=Min(
            "completed_at",
            filter=Q(
                instrument="phq9",
                completed_at__gte=baseline_from,
                completed_at__lte=first_episode_dose_at,
            ),
        ),
    )
    return {
        "latest_phq9_at": measures["phq9"],
        "latest_gad7_at": measures["gad7"],
        "has_baseline_phq9": measures["baseline_phq9"] is not None,
    }


def _checklist_facts(checklist: DayOfChecklist | None) -> dict:
    """What the day-of checklist says, or that it was not filled in."""
    return {
        "checklist_recorded": checklist is not None,
        "checklist_recorded_at": checklist.updated_at if checklist else None,
        "fasting_confirmed": checklist is not None and checklist.fasting_confirmed,
        "escort_confirmed": checklist is not None and checklist.escort_confirmed,
        "pregnancy_test": checklist.pregnancy_test if checklist else gate_rules.PREGNANCY_NOT_DONE,
        "medication_changes_reviewed": checklist is not None
        and checklist.medication_changes_reviewed,
        "blood_pressure_systolic": checklist.blood_pressure_systolic if checklist else None,
        "blood_pressure_diastolic": checklist.blood_pressure_diastolic if checklist else None,
        "blood_pressure_taken_at": checklist.blood_pressure_taken_at if checklist else None,
    }


def gather_facts(session: CareSession, dose_at: datetime) -> Gathered:
    """The facts for `session`'s gates as of `dose_at`. `session` comes with its episode
    and its patient's clinic (the access helper and the service fetch them so)."""
    episode, patient = session.episode, session.patient
    settings = settings_for(patient.clinic)
    dose_day = dose_at.astimezone(settings.zone).date()

    eligibility = eligibility_for(patient, dose_day)
    consent, _, _ = episode_consent_status(episode, patient)
    course, first_episode_dose_at = _course_facts(session, dose_at)
    open_alerts = list(
        SafetyAlert.objects.filter(
            patient_id=patient.pk, reviewed_at__isnull=True, raised_at__lte=dose_at
        )
        .order_by("raised_at", "pk")
        .values_list("external_id", "raised_at")
    )
    checklist = DayOfChecklist.objects.filter(session_id=session.pk).first()
    weight_on = (
        BodyMeasurement.objects.filter(
            patient_id=patient.pk, weight_kg__isnull=False, measured_on__lte=dose_day
        )
        .order_by("-measured_on")
        .values_list("measured_on", flat=True)
        .first()
    )

    facts = gate_rules.GateFacts(
        model=episode.model,
        dose_at=dose_at,
        eligibility_state=eligibility.status.state,
        eligibility_is_eligible=eligibility.status.is_eligible,
        eligibility_label=eligibility.status.label,
        eligibility_detail=eligibility.status.detail,
        consent_status=consent,
        has_trauma_history=episode.has_trauma_history,
        **course,
        **_measure_facts(patient, first_episode_dose_at, dose_at),
        open_alerts=len(open_alerts),
        oldest_open_alert_at=open_alerts[0][1] if open_alerts else None,
        **_checklist_facts(checklist),
        pregnancy_test_applies=patient.sex_at_birth != SexAtBirth.MALE,
        weight_measured_on=weight_on,
    )
    return Gathered(facts, settings, tuple(str(i) for i, _ in open_alerts), checklist)


# --- What the page and the API show -----------------------------------------------------------


@dataclass(frozen=True)
class GateView:
    """One rule as shown: its result, whether a clinician waived it, and where to fix it."""

    rule: str
    title: str
    passed: bool
    message: str
    fix_url: str
    fix_label: str = ""
    warning: bool = False
    waiver: GateWaiver | None = None
    waivable: bool = True
    # The facts the rule stands on now; a waiver holds only while they are unchanged.
    basis: str = ""

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def blocks(self) -> bool:
        return not self.passed and not self.waived

    @property
    def status_label(self) -> str:
        """The result in words; the badge's colour only repeats it."""
        if self.passed:
            return "Passed, take note" if self.warning else "Passed"
        return "Waived" if self.waived else "Not passed"

    @property
    def badge(self) -> str:
        if self.passed:
            return "badge-warn" if self.warning else "badge-ok"
        return "badge-warn" if self.waived else "badge-danger"


@dataclass(frozen=True)
class GateReport:
    session: CareSession
    dose_at: datetime
    gates: list[GateView]
    checklist: DayOfChecklist | None = None

    @property
    def blocking(self) -> list[GateView]:
        return [g for g in self.gates if g.blocks]

    @property
    def can_start(self) -> bool:
        return not self.blocking

    @property
    def waivable(self) -> list[GateView]:
        return [g for g in self.gates if not g.passed and not g.waived and g.waivable]

    @property
    def waivers(self) -> list[GateWaiver]:
        return [g.waiver for g in self.gates if g.waiver is not None]


# What each fix link says (the link text names its destination, not "click here").
FIX_LABELS = {
    gate_rules.FIX_SCREENING: "Open the screening and eligibility",
    gate_rules.FIX_CONSENTS: "Open the patient's consents",
    gate_rules.FIX_MEASURES: "Send the questionnaires",
    gate_rules.FIX_ALERTS: "Review the safety alert",
    gate_rules.FIX_CHECKLIST: "Fill in the day-of checklist",
    gate_rules.FIX_BODY_MEASUREMENT: "Record today's weight",
    gate_rules.FIX_SESSIONS: "Open the episode's sessions",
}


def fix_url(fix: str, session: CareSession, open_alert_ids: tuple[str, ...]) -> str:
    """The page where a failing rule is fixed."""
    patient_id = session.patient.external_id
    if fix == gate_rules.FIX_SCREENING:
        return reverse("screening:detail", args=[patient_id])
    if fix == gate_rules.FIX_CONSENTS:
        return reverse("consents:patient_consents", args=[patient_id])
    if fix == gate_rules.FIX_MEASURES:
        return reverse("measures:send_link", args=[patient_id])
    if fix == gate_rules.FIX_ALERTS:
        if len(open_alert_ids) == 1:
            return reverse("measures:alert", args=[open_alert_ids[0]])
        return reverse("measures:alerts")
    if fix == gate_rules.FIX_CHECKLIST:
        return reverse("gates:session", args=[session.external_id]) + "#checklist"
    if fix == gate_rules.FIX_BODY_MEASUREMENT:
        return reverse("patients:body_measurement_create", args=[patient_id])
    if fix == gate_rules.FIX_SESSIONS:
        return reverse("episodes:detail", args=[session.episode.external_id])
    return ""


def gate_report(
    session: CareSession, now: datetime, *, dose_at: datetime | None = None
) -> GateReport:
    """Every gate of `session` with its waiver and fix link. `dose_at` defaults to
    `dose_time(session, now)`; the start passes `now`, when the dose is really given."""
    dose_at = dose_at or dose_time(session, now)
    gathered = gather_facts(session, dose_at)
    waivers = _waivers_of([session.pk]).get(session.pk, {})
    facts = gathered.facts
    views = [
        _rule_view(result, session, gathered.open_alert_ids, facts, waivers)
        for result in gate_rules.evaluate_gates(facts, gathered.settings)
    ]
    views += [extra_view(extra, waivers) for extra in registry.extra_gates(session, dose_at)]
    return GateReport(session=session, dose_at=dose_at, gates=views, checklist=gathered.checklist)


def _waivers_of(session_ids: list[int]) -> dict[int, dict[str, GateWaiver]]:
    """The latest waiver of each rule, by session (one query)."""
    found: dict[int, dict[str, GateWaiver]] = {}
    for waiver in (
        GateWaiver.objects.filter(session_id__in=session_ids)
        .select_related("waived_by")
        .order_by("waived_at", "id")
    ):
        found.setdefault(waiver.session_id, {})[waiver.rule] = waiver
    return found


def _holding(waivers: dict[str, GateWaiver], rule: str, basis: str) -> GateWaiver | None:
    """A rule's waiver, honoured only while the facts it was given on hold."""
    waiver = waivers.get(rule)
    return waiver if waiver is not None and waiver.basis == basis else None


def _rule_view(result, session, open_alert_ids, facts, waivers) -> GateView:
    basis = gate_rules.waiver_basis(result.rule, facts)
    waivable = gate_rules.is_waivable(result.rule)
    return GateView(
        rule=result.rule,
        title=result.title,
        passed=result.passed,
        message=result.message,
        fix_url="" if result.passed else fix_url(result.fix, session, open_alert_ids),
        fix_label="" if result.passed else FIX_LABELS.get(result.fix, ""),
        warning=result.warning,
        # The safety review is never waived: only the review itself passes it.
        waiver=_holding(waivers, result.rule, basis) if waivable else None,
        waivable=waivable,
        basis=basis,
    )


def extra_view(extra: registry.ExtraGate, waivers: dict[str, GateWaiver]) -> GateView:
    """A registered gate as shown, with its waiver (`waivers`: the session's, by rule)."""
    return GateView(
        rule=extra.rule,
        title=extra.title,
        passed=extra.passed,
        message=extra.message,
        # A pass with a warning keeps its link: where to look.
        fix_url="" if extra.passed and not extra.warning else extra.fix_url,
        fix_label="" if extra.passed and not extra.warning else extra.fix_label,
        warning=extra.warning,
        waiver=_holding(waivers, extra.rule, extra.message) if extra.waivable else None,
        waivable=extra.waivable,
        basis=extra.message,
    )


# The gates about the course rather than the day of the dose: gates 1 to 4.
COURSE_RULES = frozenset(
    {gate_rules.ELIGIBILITY, gate_rules.CONSENT, gate_rules.PREPARATION, gate_rules.INTEGRATION}
)


@dataclass(frozen=True)
class CourseGates:
    """The course gates of one dose, by rule, and the dose's waivers (for registered
    gates the caller evaluates itself, `extra_view`)."""

    views: dict[str, GateView]
    waivers: dict[str, GateWaiver]


def course_gates(doses: list[tuple[CareSession, datetime]]) -> list[CourseGates]:
    """For doses of one episode, each with when it was given: gates 1 to 4 (`COURSE_RULES`)
    as `gate_report` shows them, from the same facts, rules and waivers, in a fixed number
    of queries whatever the number of doses (the conformance report reads them all). The
    sessions come with their episode and their patient's clinic."""
    if not doses:
        return []
    episode, patient = doses[0][0].episode, doses[0][0].patient
    settings = settings_for(patient.clinic)
    days = {at: at.astimezone(settings.zone).date() for _, at in doses}
    eligibility = eligibility_on_days(patient, set(days.values()))
    consent, _, _ = episode_consent_status(episode, patient)
    rows = _course_rows(patient.pk)
    waivers = _waivers_of([session.pk for session, _ in doses])
    checks = [(r, check) for r, check in gate_rules.ALL_RULES if r in COURSE_RULES]
    applicable = set(gate_rules.rules_for(episode.model))
    found = []
    for session, dose_at in doses:
        status = eligibility[days[dose_at]].status
        course, _ = _course_facts(session, dose_at, rows)
        facts = gate_rules.GateFacts(
            model=episode.model,
            dose_at=dose_at,
            eligibility_state=status.state,
            eligibility_is_eligible=status.is_eligible,
            eligibility_label=status.label,
            eligibility_detail=status.detail,
            consent_status=consent,
            has_trauma_history=episode.has_trauma_history,
            **course,
        )
        held = waivers.get(session.pk, {})
        views = {
            rule: _rule_view(check(facts, settings), session, (), facts, held)
            for rule, check in checks
            if rule in applicable
        }
        found.append(CourseGates(views, held))
    return found


def evaluate_for_session(session: CareSession, now: datetime) -> list[GateView]:
    return gate_report(session, now).gates
