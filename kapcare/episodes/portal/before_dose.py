"""The portal home's "Before your next dose" card: the patient's next planned dosing
session and what its gates will check on the day that the patient can see to themselves —
fasting, an escort home, a pregnancy test where it applies, and the PHQ-9 and GAD-7 not yet
completed within the clinic's window before that dose, each with its link to fill it in.

It reads the same facts as the gates (`gate_facts`): the dose time (`dose_time`), the
clinic's `measures_recent_days` (`settings_for`), the latest completed questionnaires up to
the dose, the day-of checklist and the rule for when a pregnancy test applies; and it
words them for the patient. Two queries, whatever the patient's history holds. Registered
in `patients.portal` from EpisodesConfig.ready()."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.episodes.gates import rules as gate_rules
from kapcare.episodes.gates.facts import dose_time, settings_for
from kapcare.episodes.models import CareSession, DayOfChecklist, SessionKind, SessionStatus
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.patients.models import SexAtBirth
from kapcare.patients.portal import NextStep
from kapcare.policy import Action

TEMPLATE = "episodes/_portal_before_dose.html"
# Right after the next sessions (course of care, 5), before everything else on the home.
ORDER = 6

# The questionnaires gate 5 asks for before every dose
# (docs/clinical-reference.md#questionnaires-before-a-dose).
GATE_QUESTIONNAIRES = ("phq9", "gad7")

_checklist = DayOfChecklist._meta
# The day-of checklist's own wording of the rule (gate 8); no clinic setting words it yet.
FASTING_RULE = str(_checklist.get_field("fasting_confirmed").help_text)
ESCORT_RULE = str(_checklist.get_field("escort_confirmed").help_text)


@dataclass(frozen=True)
class QuestionnaireDue:
    """One questionnaire not yet completed within the window before the dose."""

    instrument_id: str
    name: str
    url: str
    opens_on: datetime  # the start of the window: earlier answers will not count
    is_open: bool


def questionnaire_due(
    completed_at: datetime | None, dose_at: datetime, window_days: int, now: datetime
) -> tuple[bool, datetime]:
    """Gate 5's test from the patient's side: is a questionnaire still to do for a dose at
    `dose_at` (none completed within `window_days` before it), and from when do answers
    count. Pure."""
    opens = dose_at - timedelta(days=window_days)
    done = completed_at is not None and opens <= completed_at <= dose_at
    return not done, opens


def pregnancy_test_applies(patient, checklist: DayOfChecklist | None) -> bool:
    """As the gate reads it (`gate_facts`): for anyone not recorded male at birth, unless
    the clinician has already marked the test as not applying to this session."""
    if patient.sex_at_birth == SexAtBirth.MALE:
        return False
    return checklist is None or checklist.pregnancy_test != gate_rules.PREGNANCY_NOT_APPLICABLE


def before_dose_card(request, patient) -> dict | None:
    """The next planned dosing session (with its room, clinician and checklist) and the
    latest PHQ-9 and GAD-7 up to it; no card without a dosing session ahead."""
    if not policy.can(request.user, Action.VIEW_EPISODES, patient):
        return None
    now = timezone.now()
    session = (
        CareSession.objects.filter(
            patient_id=patient.pk,
            kind=SessionKind.DOSING,
            status=SessionStatus.PLANNED,
            planned_end__gt=now,
        )
        .select_related("appointment__room", "appointment__clinician", "run_by", "day_of_checklist")
        .order_by("planned_start", "id")
        .first()
    )
    if session is None:
        return None
    clinic = patient.clinic
    dose_at = dose_time(session, now)
    window_days = settings_for(clinic).measures_recent_days
    latest = Assessment.objects.filter(
        patient_id=patient.pk, status=AssessmentStatus.COMPLETED, completed_at__lte=dose_at
    ).aggregate(
        **{
            instrument: Max("completed_at", filter=Q(instrument=instrument))
            for instrument in GATE_QUESTIONNAIRES
        }
    )
    due = []
    for instrument in GATE_QUESTIONNAIRES:
        is_due, opens = questionnaire_due(latest[instrument], dose_at, window_days, now)
        if is_due:
            due.append(
                QuestionnaireDue(
                    instrument_id=instrument,
                    name=INSTRUMENTS[instrument].short_name,
                    url=reverse("measures:portal_questionnaire", args=[instrument]),
                    opens_on=opens,
                    is_open=opens <= now,
                )
            )
    try:
        checklist = session.day_of_checklist
    except DayOfChecklist.DoesNotExist:
        checklist = None
    appointment = session.appointment
    return {
        "session": session,
        "room": appointment.room if appointment else None,
        "clinician": (appointment.clinician if appointment else None) or session.run_by,
        "zone": clinic.time_zone,
        "fasting_rule": FASTING_RULE,
        "escort_rule": ESCORT_RULE,
        "pregnancy_test": pregnancy_test_applies(patient, checklist),
        "questionnaires_due": due,
        "window_days": window_days,
        "next_step": next((_fill_in(q) for q in due if q.is_open), None),
    }


def _fill_in(questionnaire: QuestionnaireDue) -> NextStep:
    return NextStep(f"Fill in the {questionnaire.name} before your dose", questionnaire.url, 20)


def register() -> None:
    """Called once from EpisodesConfig.ready()."""
    from kapcare.patients import portal as patient_portal

    patient_portal.register(
        patient_portal.PortalCard(
            key="before_next_dose", template=TEMPLATE, context=before_dose_card, order=ORDER
        )
    )
