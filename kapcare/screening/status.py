"""Reading a patient's screening and eligibility, for the pages, the chart and (later) the
dosing gates. Each function uses a fixed number of queries whatever the record holds."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from kapcare.screening import rules
from kapcare.screening.models import (
    ConditionAnswer,
    EligibilityDecision,
    MedicalScreening,
    MedicationEntry,
)


def blood_pressure_thresholds(clinic) -> rules.BloodPressureThresholds:
    """The clinic's blood-pressure warn and hold levels (gate 9;
    docs/clinical-reference.md#pre-dose-blood-pressure), read here and
    only here: the screening and the pre-dose gate use the same four settings."""
    return rules.BloodPressureThresholds(
        warn_systolic=clinic.bp_warn_systolic,
        warn_diastolic=clinic.bp_warn_diastolic,
        hold_systolic=clinic.bp_hold_systolic,
        hold_diastolic=clinic.bp_hold_diastolic,
    )


def screenings_with_answers():
    """Screenings with everything a page shows about them, in four queries."""
    return MedicalScreening.objects.select_related(
        "history_entered_by", "reviewed_by", "completed_by"
    ).prefetch_related(
        Prefetch(
            "condition_answers",
            queryset=ConditionAnswer.objects.select_related("contraindication").order_by(
                "order", "id"
            ),
        ),
        Prefetch("medications", queryset=MedicationEntry.objects.order_by("order", "id")),
        "substance_uses",
    )


def latest_screening(patient) -> MedicalScreening | None:
    """The newest version of the patient's screening, with its answers."""
    return screenings_with_answers().filter(patient_id=patient.pk).order_by("-version").first()


def latest_completed_screening(patient, *, with_answers=True) -> MedicalScreening | None:
    screenings = screenings_with_answers() if with_answers else MedicalScreening.objects
    return (
        screenings.filter(patient_id=patient.pk, completed_at__isnull=False)
        .order_by("-version")
        .first()
    )


def findings_for(
    screening: MedicalScreening | None, thresholds: rules.BloodPressureThresholds
) -> rules.ScreeningFindings:
    """What a screening found, from its prefetched answers. Before the clinician's review
    a condition counts as present when the patient reported it."""
    if screening is None:
        return rules.ScreeningFindings(is_completed=False, thresholds=thresholds)
    answers = list(screening.condition_answers.all())
    present = [a for a in answers if a.is_present]
    medication_flags = tuple(
        text for entry in screening.medications.all() for text in entry.flag_texts
    )
    level = ""
    if screening.blood_pressure:
        level = rules.classify_blood_pressure(
            screening.blood_pressure_systolic, screening.blood_pressure_diastolic, thresholds
        )
    other = rules.substance_use_flags(
        (u.substance, u.frequency) for u in screening.substance_uses.all()
    )
    pregnancy_asked = any(a.contraindication.is_pregnancy for a in answers)
    status = screening.current_pregnancy_status
    if not pregnancy_asked and rules.pregnancy_contraindication_present(status) is not False:
        other.append(f"Pregnancy: {screening.get_current_pregnancy_status_display()}.")
    return rules.ScreeningFindings(
        is_completed=screening.is_completed,
        absolute_contraindications=tuple(a.name for a in present if a.severity == rules.ABSOLUTE),
        relative_contraindications=tuple(a.name for a in present if a.severity == rules.RELATIVE),
        medication_flags=medication_flags,
        blood_pressure=screening.blood_pressure,
        blood_pressure_level=level,
        other_flags=tuple(other),
        thresholds=thresholds,
    )


def snapshot(screening: MedicalScreening, findings: rules.ScreeningFindings) -> dict:
    """What the decision was based on, kept with it as plain JSON."""
    return {
        "screening": str(screening.external_id),
        "version": screening.version,
        "completed_at": screening.completed_at.isoformat() if screening.completed_at else None,
        "completed_by": screening.completed_by.display_name if screening.completed_by else "",
        "screened_on": screening.screened_on.isoformat() if screening.screened_on else None,
        "absolute_contraindications": list(findings.absolute_contraindications),
        "relative_contraindications": list(findings.relative_contraindications),
        "medication_flags": list(findings.medication_flags),
        "blood_pressure": findings.blood_pressure,
        "blood_pressure_level": findings.blood_pressure_level,
        "weight_kg": str(screening.weight_kg) if screening.weight_kg is not None else None,
        "pregnancy_status": screening.current_pregnancy_status,
        "other_flags": list(findings.other_flags),
    }


@dataclass(frozen=True)
class Eligibility:
    """A patient's current decision and the status it gives today."""

    decision: EligibilityDecision | None
    status: rules.EligibilityStatus
    screening_changed_since: bool = False


def eligibility_for(patient, today, *, latest: MedicalScreening | None = None) -> Eligibility:
    """The latest decision and its status on `today` (the clinic's date).

    A screening completed after the decision that records an absolute contraindication
    turns an eligible status into "review needed" (gate 1). Pass the patient's `latest`
    screening (with its answers prefetched) when it is at hand: then this costs one query,
    and two only when a decision exists and the latest version is not completed.
    """
    return eligibility_on_days(patient, [today], latest=latest)[today]


def eligibility_on_days(
    patient, days, *, latest: MedicalScreening | None = None
) -> dict[date, Eligibility]:
    """`eligibility_for` on each of `days` (the doses of a course), in the queries of one
    day: the decision and the screening after it are read once, the status is the day's."""
    days = list(days)
    decision = (
        EligibilityDecision.objects.filter(patient_id=patient.pk)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
    if decision is None:
        return {day: Eligibility(None, rules.eligibility_status(None, day)) for day in days}
    completed = latest if latest is not None and latest.is_completed else None
    if completed is None:
        completed = latest_completed_screening(patient, with_answers=False)
    unresolved: tuple[str, ...] = ()
    changed = completed is not None and completed.completed_at > decision.decided_at
    if changed:
        if completed is latest:
            answers = [a for a in completed.condition_answers.all() if a.confirmed_present]
            unresolved = tuple(a.name for a in answers if a.severity == rules.ABSOLUTE)
        else:
            unresolved = tuple(
                ConditionAnswer.objects.filter(
                    screening_id=completed.pk, confirmed_present=True, severity=rules.ABSOLUTE
                ).values_list("name", flat=True)
            )
    return {
        day: Eligibility(
            decision=decision,
            status=rules.eligibility_status(decision, day, unresolved_absolute=unresolved),
            screening_changed_since=changed,
        )
        for day in days
    }
