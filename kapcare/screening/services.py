"""Writes to the screening catalogue, patients' screenings and eligibility decisions.

Each runs in one transaction with its access-log row and is the only place its change is
made, for the web pages and a later API alike.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.patients.models import Patient
from kapcare.patients.services import record_body_measurement
from kapcare.refusals import Refused
from kapcare.screening import rules, status
from kapcare.screening.models import (
    ConditionAnswer,
    Contraindication,
    EligibilityDecision,
    HistorySource,
    MedicalScreening,
    MedicationEntry,
    MedicationInteraction,
    SubstanceUse,
)

# --- The catalogue ----------------------------------------------------------------------------


def ensure_default_catalogue(clinic) -> None:
    """Give `clinic` the default contraindications and interacting medicines the first time
    its catalogue is needed (no data migration: clinics made later get them the same way).

    Seeds only a clinic with no entries at all, so an admin's edits and deactivations are
    never undone. Two requests seeding at once are harmless: the unique name per clinic
    keeps one copy (`ignore_conflicts`).
    """
    if not Contraindication.objects.filter(clinic_id=clinic.pk).exists():
        Contraindication.objects.bulk_create(
            [
                Contraindication(
                    clinic_id=clinic.pk,
                    code=entry.code,
                    name=entry.name,
                    severity=entry.severity,
                    description=entry.description,
                    source=entry.source,
                    order=(index + 1) * 10,
                )
                for index, entry in enumerate(rules.DEFAULT_CONTRAINDICATIONS)
            ],
            ignore_conflicts=True,
        )
    if not MedicationInteraction.objects.filter(clinic_id=clinic.pk).exists():
        MedicationInteraction.objects.bulk_create(
            [
                MedicationInteraction(
                    clinic_id=clinic.pk,
                    code=entry.code,
                    name=entry.name,
                    keywords=", ".join(entry.keywords),
                    note=entry.note,
                    source=entry.source,
                    order=(index + 1) * 10,
                )
                for index, entry in enumerate(rules.DEFAULT_MEDICATION_INTERACTIONS)
            ],
            ignore_conflicts=True,
        )


def active_contraindications(clinic) -> list[Contraindication]:
    ensure_default_catalogue(clinic)
    return list(Contraindication.objects.filter(clinic_id=clinic.pk, is_active=True))


def active_interactions(clinic) -> list[rules.InteractionClass]:
    ensure_default_catalogue(clinic)
    return [
        entry.as_rule()
        for entry in MedicationInteraction.objects.filter(clinic_id=clinic.pk, is_active=True)
    ]


def save_catalogue_entries(*, actor: Actor, clinic, entries: list) -> int:
    """Store the admin's new and changed catalogue entries (contraindications or
    interacting medicines) for `clinic`; returns how many were saved.

    Entries are never deleted here or anywhere: deactivating one stops it being asked.
    Each change is logged (no patient involved).
    """
    saved = 0
    try:
        with transaction.atomic():
            for entry in entries:
                adding = entry._state.adding
                if not adding and entry.clinic_id != clinic.pk:
                    raise PermissionError("Catalogue entries belong to one clinic.")
                entry.clinic_id = clinic.pk
                entry.save()
                record_access(
                    actor, AccessAction.CREATE if adding else AccessAction.UPDATE, obj=entry
                )
                saved += 1
    except IntegrityError as error:
        raise Refused(
            {"__all__": "Another entry already has one of these names; names must differ."}
        ) from error
    return saved


# --- The history ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionReport:
    contraindication_id: int
    present: bool | None
    note: str = ""


@dataclass(frozen=True)
class MedicationReport:
    name: str
    dose: str = ""
    frequency: str = ""
    # Interaction classes (catalogue codes) the medication's own code maps to.
    interaction_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubstanceReport:
    substance: str
    frequency: str
    last_use: str = ""
    note: str = ""


@dataclass(frozen=True)
class HistoryReport:
    """Everything the history part of the screening holds, as plain values."""

    allergies: str
    pregnancy_status: str
    conditions: list[ConditionReport] = field(default_factory=list)
    medications: list[MedicationReport] = field(default_factory=list)
    substances: list[SubstanceReport] = field(default_factory=list)
    comments: str = ""


def _lock_patient(patient: Patient) -> None:
    """Serialise writes to one patient's screening (version numbers, decisions)."""
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))


def submit_history(
    *, actor: Actor, patient: Patient, report: HistoryReport, source: str
) -> MedicalScreening:
    """Store a submitted history as the patient's next screening version.

    Every active catalogue condition gets an answer (unanswered ones are stored as "not
    known"); the pregnancy entry is answered from the pregnancy question, which does not
    apply, and is stored as "not applicable", when the sex at birth is male. Each
    medication is flagged against the clinic's interacting classes as it is stored.
    """
    if source not in HistorySource.values:
        raise ValueError(f"Unknown history source {source!r}")
    pregnancy_status = report.pregnancy_status
    if not rules.pregnancy_question_applies(patient.sex_at_birth):
        pregnancy_status = rules.NOT_APPLICABLE
    reported = {c.contraindication_id: c for c in report.conditions}
    contraindications = active_contraindications(patient.clinic)
    interactions = active_interactions(patient.clinic)
    with transaction.atomic():
        _lock_patient(patient)
        last = MedicalScreening.objects.filter(patient_id=patient.pk).aggregate(v=Max("version"))
        screening = MedicalScreening.objects.create(
            patient=patient,
            version=(last["v"] or 0) + 1,
            history_source=source,
            history_entered_by=actor.user,
            allergies=report.allergies.strip(),
            reported_pregnancy_status=pregnancy_status,
            patient_comments=report.comments.strip(),
        )
        ConditionAnswer.objects.bulk_create(
            _condition_answers(screening, contraindications, reported, pregnancy_status)
        )
        MedicationEntry.objects.bulk_create(
            _medication_entries(screening, report.medications, interactions)
        )
        SubstanceUse.objects.bulk_create(
            [
                SubstanceUse(
                    screening=screening,
                    substance=use.substance,
                    frequency=use.frequency,
                    last_use=use.last_use,
                    note=use.note.strip(),
                )
                for use in report.substances
            ]
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=screening)
    return screening


def _condition_answers(screening, contraindications, reported, pregnancy_status) -> list:
    """An answer for every active catalogue condition, in the catalogue's order: the
    patient's, "not known" when unanswered, and the pregnancy entry from the pregnancy
    question."""
    answers = []
    for order, item in enumerate(contraindications):
        if item.is_pregnancy:
            present, note = rules.pregnancy_contraindication_present(pregnancy_status), ""
        else:
            answer = reported.get(item.pk)
            present = answer.present if answer else None
            note = answer.note.strip() if answer else ""
        answers.append(
            ConditionAnswer(
                screening=screening,
                contraindication=item,
                name=item.name,
                severity=item.severity,
                reported_present=present,
                patient_note=note,
                order=order,
            )
        )
    return answers


def _medication_entries(screening, medications, interactions) -> list:
    """Each named medication, flagged against the clinic's interacting classes."""
    return [
        MedicationEntry(
            screening=screening,
            name=medication.name.strip(),
            dose=medication.dose.strip(),
            frequency=medication.frequency.strip(),
            interaction_flags=[
                {"name": match.name, "note": match.note}
                for match in rules.interaction_flags(
                    medication.name, interactions, medication.interaction_codes
                )
            ],
            order=order,
        )
        for order, medication in enumerate(medications)
        if medication.name.strip()
    ]


# --- The clinician's review and sign-off ------------------------------------------------------


@dataclass(frozen=True)
class ReviewReport:
    """The clinician's part. `findings` maps a condition answer's id to (present, note);
    `medication_notes` maps a medication entry's id to a note."""

    screened_on: date | None
    systolic: int | None
    diastolic: int | None
    weight_kg: Decimal | None
    pregnancy_status: str
    clinician_notes: str = ""
    findings: dict[int, tuple[bool | None, str]] = field(default_factory=dict)
    medication_notes: dict[int, str] = field(default_factory=dict)


def review_screening(
    *,
    actor: Actor,
    patient: Patient,
    screening: MedicalScreening,
    review: ReviewReport,
    complete: bool,
    now: datetime | None = None,
) -> MedicalScreening:
    """Record the clinician's review of the latest screening version and, when `complete`,
    sign it off. A completed screening never changes again; a superseded version (the
    patient has sent a newer history) is not reviewed.

    On sign-off the weight is also added to the patient's weight history, so that dosing
    (mg/kg, gate 8) uses the weight taken at screening without typing it twice.
    """
    if screening.patient_id != patient.pk:
        raise PermissionError("This screening belongs to another patient.")
    problems = rules.blood_pressure_problems(review.systolic, review.diastolic)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        locked = _lock_for_review(patient, screening)
        if not rules.pregnancy_question_applies(patient.sex_at_birth):
            pregnancy_status = rules.NOT_APPLICABLE
        else:
            pregnancy_status = review.pregnancy_status or locked.reported_pregnancy_status
        answers = _apply_findings(locked, review, pregnancy_status)
        if complete:
            _refuse_incomplete(review, pregnancy_status, answers)
        medications = list(locked.medications.all())
        for entry in medications:
            entry.clinician_note = review.medication_notes.get(entry.pk, "").strip()
        ConditionAnswer.objects.bulk_update(answers, ["confirmed_present", "clinician_note"])
        MedicationEntry.objects.bulk_update(medications, ["clinician_note"])
        _save_review(locked, actor, review, pregnancy_status, complete=complete, now=now)
        record_access(actor, AccessAction.UPDATE, patient=patient, obj=locked)
        if complete:
            record_body_measurement(
                actor=actor,
                patient=patient,
                measured_on=review.screened_on,
                weight_kg=review.weight_kg,
                height_cm=None,
            )
    return locked


def _lock_for_review(patient: Patient, screening: MedicalScreening) -> MedicalScreening:
    """The screening, locked with its patient; refused when it is already signed or the
    patient has sent a newer history since."""
    _lock_patient(patient)
    locked = MedicalScreening.objects.select_for_update().get(pk=screening.pk)
    if locked.is_completed:
        raise Refused(
            {"__all__": "This screening is already completed and signed; it cannot change."}
        )
    newest = MedicalScreening.objects.filter(patient_id=patient.pk).aggregate(v=Max("version"))
    if locked.version != newest["v"]:
        raise Refused(
            {
                "__all__": "The patient has sent a newer health history since; review "
                "that version instead."
            }
        )
    return locked


def _apply_findings(locked: MedicalScreening, review: "ReviewReport", pregnancy_status) -> list:
    """The condition answers with the clinician's findings set (the pregnancy entry from
    the pregnancy status); not saved."""
    answers = list(locked.condition_answers.select_related("contraindication"))
    for answer in answers:
        if answer.contraindication.is_pregnancy:
            answer.confirmed_present = rules.pregnancy_contraindication_present(pregnancy_status)
            continue
        present, note = review.findings.get(answer.pk, (None, ""))
        answer.confirmed_present = present
        answer.clinician_note = note.strip()
    return answers


def _refuse_incomplete(review: "ReviewReport", pregnancy_status, answers) -> None:
    """Refused, field by field, when the screening cannot be signed off as it stands."""
    problems = rules.completion_problems(
        systolic=review.systolic,
        diastolic=review.diastolic,
        weight_kg=review.weight_kg,
        pregnancy_status=pregnancy_status,
        unreviewed_conditions=[a.name for a in answers if a.confirmed_present is None],
    )
    if review.screened_on is None:
        problems["screened_on"] = "Enter the date of the screening."
    if problems:
        raise Refused(problems)


def _save_review(
    locked, actor: Actor, review: "ReviewReport", pregnancy_status, *, complete, now=None
):
    now = now or timezone.now()
    locked.screened_on = review.screened_on
    locked.blood_pressure_systolic = review.systolic
    locked.blood_pressure_diastolic = review.diastolic
    locked.weight_kg = review.weight_kg
    locked.pregnancy_status = pregnancy_status
    locked.clinician_notes = review.clinician_notes.strip()
    locked.reviewed_by = actor.user
    locked.reviewed_at = now
    fields = [
        "screened_on",
        "blood_pressure_systolic",
        "blood_pressure_diastolic",
        "weight_kg",
        "pregnancy_status",
        "clinician_notes",
        "reviewed_by",
        "reviewed_at",
    ]
    if complete:
        locked.completed_by = actor.user
        locked.completed_at = now
        fields += ["completed_by", "completed_at"]
    locked.save(update_fields=fields)


# --- Eligibility ------------------------------------------------------------------------------


def decide_eligibility(
    *,
    actor: Actor,
    patient: Patient,
    decision: str,
    conditions: str = "",
    justification: str = "",
    now: datetime | None = None,
) -> EligibilityDecision:
    """Record a clinician's eligibility decision on the patient's latest screening.

    The screening is read again inside the transaction (the patient row locked), so the
    decision rests on what is stored now, not on the page the clinician loaded. Refused
    with field messages as `rules.decision_problems` says. Valid to the day before it
    turns `clinic.eligibility_valid_months` old, counted in the clinic's time zone.
    """
    clinic = patient.clinic
    thresholds = status.blood_pressure_thresholds(clinic)
    with transaction.atomic():
        _lock_patient(patient)
        screening = status.latest_screening(patient)
        findings = status.findings_for(screening, thresholds)
        problems = rules.decision_problems(
            decision, findings, conditions=conditions, justification=justification
        )
        if problems:
            raise Refused(problems)
        decided_at = now or timezone.now()
        decided_on = timezone.localtime(decided_at, clinic.zone).date()
        valid_until = None
        if decision != rules.NOT_ELIGIBLE:
            valid_until = rules.valid_until(decided_on, clinic.eligibility_valid_months)
        reasons = findings.reasons or (
            "No contraindication, interacting medication or blood-pressure concern recorded.",
        )
        made = EligibilityDecision.objects.create(
            patient=patient,
            screening=screening,
            decision=decision,
            reasons="\n".join(reasons),
            conditions=conditions.strip(),
            justification=justification.strip(),
            decided_by=actor.user,
            decided_at=decided_at,
            valid_until=valid_until,
            screening_snapshot=status.snapshot(screening, findings),
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=made)
    return made
