"""Demo medical screenings: one patient found eligible, one eligible with conditions, one
not eligible, and one whose history waits for a clinician's review.

Everything goes through `kapcare.screening.services`, as the pages do, so the rules that
guard a real decision (an absolute contraindication blocks treatment; a relative one needs
a written justification) guard the demo too.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.patients.models import Patient
from kapcare.screening import rules, services
from kapcare.screening.models import (
    Contraindication,
    HistorySource,
    MedicalScreening,
    SubstanceChoice,
)


@dataclass(frozen=True)
class DemoScreening:
    present: tuple[str, ...] = ()
    medications: tuple[tuple[str, str, str], ...] = ()
    # substance -> (how often, last use); anything not named: never.
    substances: dict[str, tuple[str, str]] = field(default_factory=dict)
    systolic: int = 122
    diastolic: int = 78
    # None leaves the history waiting for the clinician's review.
    decision: str | None = None
    conditions: str = ""
    justification: str = ""
    by_patient: bool = False


# Per patient index (see build.py for who they are).
SCREENINGS = {
    # The portal patient sent the history from the portal; nothing of concern.
    0: DemoScreening(
        medications=(("Sertraline", "100 mg", "once daily"),),
        substances={SubstanceChoice.ALCOHOL: (rules.MONTHLY_OR_LESS, rules.PAST_MONTH)},
        decision=rules.ELIGIBLE,
        by_patient=True,
    ),
    1: DemoScreening(
        present=("controlled_hypertension",),
        medications=(
            ("Lisinopril", "10 mg", "once daily"),
            ("Lamotrigine", "100 mg", "twice daily"),
        ),
        systolic=138,
        diastolic=86,
        decision=rules.ELIGIBLE_WITH_CONDITIONS,
        conditions="Blood pressure under 150/95 before each dose; take lisinopril as usual "
        "on dosing days. Hold the evening lamotrigine before a session.",
        justification="Hypertension controlled on one agent for two years, reading today "
        "138/86. Lamotrigine may blunt the response; prescriber agrees to hold the evening "
        "dose before sessions.",
    ),
    # Not eligible: psychosis is an absolute contraindication
    # (docs/clinical-reference.md#contraindications).
    8: DemoScreening(
        present=("active_psychosis",),
        medications=(("Olanzapine", "10 mg", "at night"),),
        decision=rules.NOT_ELIGIBLE,
        justification="Referred back to the treating psychiatrist; we can screen again once "
        "stable for six months.",
    ),
    # Eligible, with nothing of concern: patients whose courses the episode demo runs.
    **{
        index: DemoScreening(decision=rules.ELIGIBLE)
        for index in (2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
    },
    # The history came in; the clinician has not reviewed it yet.
    9: DemoScreening(medications=(("Bupropion", "150 mg", "each morning"),)),
}


def load_screening(patients: list[Patient], nurse: Actor, screened: dict[int, dt.datetime]):
    """Screen the patients listed in SCREENINGS, each at the moment `screened` gives for
    them (their course's story: after the referral, before the consent); the history came
    in the day before. The portal patient (index 0) sends their history as themself, so it
    must already have a portal account."""
    catalogue = services.active_contraindications(patients[0].clinic)
    for index, plan in SCREENINGS.items():
        patient = patients[index]
        history_actor = Actor(user=patient.user, ip_address=None, channel=nurse.channel)
        screening = services.submit_history(
            actor=history_actor if plan.by_patient else nurse,
            patient=patient,
            report=_history(plan, catalogue),
            source=HistorySource.PATIENT if plan.by_patient else HistorySource.STAFF,
        )
        at = screened[index]
        # Not completed yet, so its row may still change (migration 0002's trigger).
        MedicalScreening.objects.filter(pk=screening.pk).update(
            created_at=at - dt.timedelta(days=1)
        )
        if plan.decision is None:
            continue
        latest_weight = (
            patient.body_measurements.filter(weight_kg__isnull=False)
            .order_by("-measured_on")
            .values_list("weight_kg", flat=True)
            .first()
        )
        findings = {
            answer.pk: (answer.contraindication.code in plan.present, "")
            for answer in screening.condition_answers.select_related("contraindication")
            if not answer.contraindication.is_pregnancy
        }
        services.review_screening(
            actor=nurse,
            patient=patient,
            screening=screening,
            review=services.ReviewReport(
                screened_on=timezone.localdate(at, patient.clinic.zone),
                systolic=plan.systolic,
                diastolic=plan.diastolic,
                weight_kg=latest_weight,
                pregnancy_status=rules.NOT_PREGNANT,
                findings=findings,
            ),
            complete=True,
            now=at,
        )
        services.decide_eligibility(
            actor=nurse,
            patient=patient,
            decision=plan.decision,
            conditions=plan.conditions,
            justification=plan.justification,
            now=at + dt.timedelta(minutes=20),
        )


def _history(plan: DemoScreening, catalogue: list[Contraindication]) -> services.HistoryReport:
    return services.HistoryReport(
        allergies="Penicillin (hives)" if plan.present else "None known",
        pregnancy_status=rules.NOT_PREGNANT,
        conditions=[
            services.ConditionReport(contraindication_id=item.pk, present=item.code in plan.present)
            for item in catalogue
            if not item.is_pregnancy
        ],
        medications=[services.MedicationReport(*medication) for medication in plan.medications],
        substances=[
            services.SubstanceReport(substance, *plan.substances.get(substance, (rules.NEVER, "")))
            for substance in SubstanceChoice.values
        ],
    )
