"""One episode's ASKP3 conformance report: each element judged, dose by dose, by the rule
the dosing gates use (`episodes.gate_facts.gate_report`: the nine rules and the registered
extra gates, with the waivers that held), plus the monitoring series of each dose and the
outcome measures around the course.

A fixed number of queries whatever the number of doses: the course gates of every dose
come from `gates.facts.course_gates` and the therapist's from
`therapists.registrations.therapist_gates_for_doses`, each reading the patient's records
once for all the doses."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from kapcare.conformance import rules
from kapcare.dosing.models import DosingRecord, Observation
from kapcare.dosing.vitals.rules import VitalSchedule
from kapcare.episodes import rules as episode_rules
from kapcare.episodes.gates import rules as gates
from kapcare.episodes.gates.facts import course_gates, extra_view
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.screening.models import MedicalScreening
from kapcare.therapists.registrations import THERAPIST_IN_LOOP, therapist_gates_for_doses

SCREENING = "screening_signed"
ELIGIBILITY = "eligibility"
CONSENT = "informed_consent"
THERAPIST = "therapist_qualified"
PREPARATION = "preparation"
MONITORING = "monitoring"
INTEGRATION = "integration"
OUTCOMES = "outcome_measurement"
ELEMENT_TITLES = {
    SCREENING: "Medical screening signed",
    ELIGIBILITY: "Eligibility decided",
    CONSENT: "Informed consent current",
    THERAPIST: "Therapist licensed, KAP-trained and verified",
    PREPARATION: "Preparation sessions",
    MONITORING: "Vital signs monitored during and after each dose",
    INTEGRATION: "Integration after each dose",
    OUTCOMES: "Outcome measurement (baseline and after)",
}
ELEMENTS = tuple(ELEMENT_TITLES)
KAP_ELEMENTS = frozenset({THERAPIST, PREPARATION, INTEGRATION})
GIVEN = (SessionStatus.IN_PROGRESS, SessionStatus.DONE)


@dataclass(frozen=True)
class Element:
    element: str
    title: str
    status: str
    detail: str
    url: str

    @property
    def status_words(self) -> str:
        return rules.STATUS_WORDS[self.status]


def _given_at(session) -> datetime:
    return session.started_at or session.planned_start


def _dose_label(number: int, at: datetime, zone) -> str:
    return f"Dose {number} ({timezone.localtime(at, zone):%b %-d, %Y})"


def _gate_check(view, label: str) -> rules.Check:
    waiver = view.waiver
    return rules.Check(
        dose=label,
        passed=view.passed,
        detail=view.message,
        url=view.fix_url,
        waiver_reason=waiver.reason if waiver is not None and not view.passed else "",
    )


def episode_conformance(episode, now: datetime | None = None) -> list[Element]:
    """Every ASKP3 element of `episode` with its status, detail and the page that fixes it."""
    return evaluate(episode, now).elements


@dataclass(frozen=True)
class Evaluation:
    elements: list[Element]
    first_dose_at: datetime | None


def evaluate(episode, now: datetime | None = None) -> Evaluation:
    """`episode_conformance`, with when the first dose was given (None: no dose yet)."""
    now = now or timezone.now()
    clinic = episode.clinic
    zone = clinic.zone
    patient = episode.patient
    doses = list(
        CareSession.objects.filter(episode=episode, kind=SessionKind.DOSING, status__in=GIVEN)
        .select_related("patient__clinic", "episode__patient", "episode__clinic")
        .order_by("planned_start", "id")
    )
    records = {
        record.session_id: record for record in DosingRecord.objects.filter(session__in=doses)
    }
    readings: dict[int, list[datetime]] = {}
    for record_id, taken_at in (
        Observation.objects.filter(record__in=records.values())
        .values_list("record_id", "taken_at")
        .distinct()
    ):
        readings.setdefault(record_id, []).append(taken_at)

    checks: dict[str, list[rules.Check]] = {element: [] for element in ELEMENTS}
    schedule = VitalSchedule.from_settings(clinic)
    given = [(session, _dose_at(session, records.get(session.pk))) for session in doses]
    course = course_gates(given)
    therapist = therapist_gates_for_doses(given)
    for number, (session, dose_at) in enumerate(given, start=1):
        record = records.get(session.pk)
        label = _dose_label(number, dose_at, zone)
        gates_of = course[number - 1]
        views = dict(gates_of.views)
        for extra in therapist[number - 1]:
            views[extra.rule] = extra_view(extra, gates_of.waivers)
        for element, rule in (
            (ELIGIBILITY, gates.ELIGIBILITY),
            (CONSENT, gates.CONSENT),
            (THERAPIST, THERAPIST_IN_LOOP),
        ):
            if rule in views:
                checks[element].append(_gate_check(views[rule], label))
        if number == 1 and gates.PREPARATION in views:
            checks[PREPARATION].append(_gate_check(views[gates.PREPARATION], label))
        if number > 1 and gates.INTEGRATION in views:
            # Integration after the previous dose is judged at this one.
            checks[INTEGRATION].append(
                _gate_check(
                    views[gates.INTEGRATION],
                    _dose_label(number - 1, _given_at(doses[number - 2]), zone),
                )
            )
        checks[MONITORING].append(
            _monitoring_check(session, record, readings, schedule, label, zone)
        )

    results = {
        ELIGIBILITY: rules.combine(
            ELIGIBILITY, checks[ELIGIBILITY], none_detail="No dose given yet."
        ),
        CONSENT: rules.combine(CONSENT, checks[CONSENT], none_detail="No dose given yet."),
        MONITORING: rules.combine(MONITORING, checks[MONITORING], none_detail="No dose given yet."),
    }
    results[SCREENING] = _screening(patient, doses)
    results[OUTCOMES] = _outcomes(patient, doses)
    if episode_rules.is_kap(episode.model):
        results[THERAPIST] = rules.combine(
            THERAPIST, checks[THERAPIST], none_detail="No dose given yet."
        )
        results[PREPARATION] = rules.combine(
            PREPARATION, checks[PREPARATION], none_detail="No dose given yet."
        )
        results[INTEGRATION] = _integration(episode, doses, checks[INTEGRATION], clinic, now, zone)
    else:
        for element in KAP_ELEMENTS:
            results[element] = rules.ElementStatus(
                element,
                rules.NOT_APPLICABLE,
                "A standalone infusion has no therapist, preparation or integration.",
            )
    elements = [
        Element(
            element,
            ELEMENT_TITLES[element],
            results[element].status,
            results[element].detail,
            results[element].url,
        )
        for element in ELEMENTS
    ]
    first = _given_at(doses[0]) if doses else None
    return Evaluation(elements, first)


def _dose_at(session, record) -> datetime:
    """When the dose was given: the record's start, else the session's."""
    return (record.dose_started_at if record else None) or _given_at(session)


def _monitoring_check(session, record, readings, schedule, label: str, zone) -> rules.Check:
    if record is None or record.dose_started_at is None:
        return rules.Check(label, False, "No dosing record with the dose's start.", "")
    url = reverse("dosing:record", args=[session.external_id])
    taken = readings.get(record.pk, [])
    if not taken:
        return rules.Check(label, False, "No vital signs recorded.", url)
    gaps = rules.monitoring_gaps(
        taken,
        dose_started_at=record.dose_started_at,
        dose_ended_at=record.dose_ended_at,
        discharged_at=record.discharged_at,
        schedule=schedule,
    )
    if gaps:
        words = ", ".join(
            f"due {_clock(due, zone)}, next at {_clock(came, zone)}" for due, came in gaps
        )
        return rules.Check(label, False, f"Readings missed: {words}.", url)
    return rules.Check(
        label,
        True,
        f"Every {schedule.every_minutes_during} min during and "
        f"{schedule.every_minutes_after} min after the dose.",
        url,
    )


def _clock(moment: datetime, zone) -> str:
    return f"{timezone.localtime(moment, zone):%-I:%M %p}"


def _screening(patient, doses) -> rules.ElementStatus:
    url = reverse("screening:detail", args=[patient.external_id])
    if not doses:
        return rules.ElementStatus(SCREENING, rules.NOT_APPLICABLE, "No dose given yet.")
    signed = (
        MedicalScreening.objects.filter(patient=patient, completed_at__lte=_given_at(doses[0]))
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    if signed is None:
        return rules.ElementStatus(
            SCREENING, rules.NOT_MET, "No medical screening was signed before the first dose.", url
        )
    return rules.ElementStatus(
        SCREENING,
        rules.MET,
        f"Signed on {timezone.localtime(signed, patient.clinic.zone):%b %-d, %Y}.",
    )


def _outcomes(patient, doses) -> rules.ElementStatus:
    url = reverse("measures:send_link", args=[patient.external_id])
    if not doses:
        return rules.ElementStatus(OUTCOMES, rules.NOT_APPLICABLE, "No dose given yet.")
    completed = Assessment.objects.filter(
        patient=patient, instrument="phq9", status=AssessmentStatus.COMPLETED
    )
    has_baseline = completed.filter(completed_at__lte=_given_at(doses[0])).exists()
    has_after = completed.filter(completed_at__gt=_given_at(doses[-1])).exists()
    if has_baseline and has_after:
        return rules.ElementStatus(
            OUTCOMES, rules.MET, "A PHQ-9 before the first dose and after the last."
        )
    missing = [
        words
        for words, has in (
            ("no baseline PHQ-9 before the first dose", has_baseline),
            ("no PHQ-9 after the last dose", has_after),
        )
        if not has
    ]
    return rules.ElementStatus(
        OUTCOMES, rules.NOT_MET, " and ".join(missing).capitalize() + ".", url
    )


def _integration(episode, doses, checks, clinic, now, zone) -> rules.ElementStatus:
    """Integration after each dose but the last is judged at the next dose (gate 4); after
    the last, the overdue-integration mark the episode carries (`unintegrated_dose_planned_end`
    past the clinic's `integration_window_hours`) says whether it is late."""
    checks = list(checks)
    pending = episode.unintegrated_dose_planned_end
    if doses and pending is not None:
        late = pending + timedelta(hours=clinic.integration_window_hours) < now
        if late:
            checks.append(
                rules.Check(
                    _dose_label(len(doses), _given_at(doses[-1]), zone),
                    False,
                    f"No integration session within {clinic.integration_window_hours} h "
                    "of the dose.",
                    reverse("episodes:detail", args=[episode.external_id]),
                )
            )
    return rules.combine(INTEGRATION, checks, none_detail="No dose given yet.")
