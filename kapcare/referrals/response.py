"""What kapcare answers a referring system, as FHIR R4 JSON: a `transaction-response` Bundle
with one entry per entry received, in the same order (FHIR R4 §3.1.0.11.4 "Transaction
Processing Rules"), or an `OperationOutcome` for a bundle it could not take.

The answer names what became of each entry: the patient matched (200) or registered (201),
or the whole referral held (202) until a coordinator says who it is about; a condition or
medicine recorded in the screening (201); a questionnaire scored again (201, with a warning
when the total the referrer stated was wrong); anything else kapcare does not keep (200,
with a note). The contraindications and interacting medicines found are listed as
information on the patient's entry.
"""

from django.utils import timezone

from kapcare.fhir.responses import issue, operation_outcome
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.referrals.bundle import Problem
from kapcare.referrals.bundle import Referral as ReferralContent

NOT_KEPT = (
    "Not kept: kapcare imports the patient, conditions, medications, allergies and PHQ-9 "
    "or GAD-7 questionnaire responses of a referral."
)


def problems_outcome(problems: list[Problem], *, code: str = "invalid") -> dict:
    return operation_outcome(
        *(issue("error", code, problem.message, problem.expression) for problem in problems)
    )


def _outcome(severity: str, code: str, *messages: str) -> dict:
    return operation_outcome(*(issue(severity, code, message) for message in messages))


def _bundle(entries: list[dict]) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }


def held_for_review(content: ReferralContent) -> dict:
    held = _outcome(
        "information",
        "informational",
        "More than one patient of the clinic could be this person, or an identifier "
        "disagrees: the referral is held until a coordinator says who it is about. Nothing "
        "has been recorded yet.",
    )
    entries = [{"response": {"status": "202 Accepted"}} for _ in range(content.entry_count)]
    entries[content.patient_entry]["response"]["outcome"] = held
    return _bundle(entries)


def imported(content: ReferralContent, patient, screening, assessments, *, created: bool) -> dict:
    entries = [
        {
            "response": {
                "status": "200 OK",
                "outcome": _outcome("information", "informational", NOT_KEPT),
            }
        }
        for _ in range(content.entry_count)
    ]
    entries[content.patient_entry]["response"] = _patient_response(patient, screening, created)
    for item in [*content.conditions, *content.medications]:
        recorded = item in content.conditions or item.is_current
        entries[item.entry]["response"] = {
            "status": "201 Created" if recorded else "200 OK",
            "outcome": _outcome(
                "information",
                "informational",
                "Recorded in the medical screening, reported by the referrer."
                if recorded
                else "Not recorded: the medicine is not being taken now.",
            ),
        }
    for questionnaire, assessment in assessments:
        entries[questionnaire.entry]["response"] = _scored_response(questionnaire, assessment)
    return _bundle(entries)


def _patient_response(patient, screening, created: bool) -> dict:
    """The patient's entry: matched or registered, with each contraindication and
    interacting medicine the screening flagged."""
    found = [
        f"Flagged for the clinician's review: {answer.name} ({answer.get_severity_display()})."
        for answer in screening.condition_answers.all()
        if answer.reported_present
    ] + [
        f"Interacting medicine flagged for the clinician's review: {entry.name} — {flag['name']}."
        for entry in screening.medications.all()
        for flag in entry.interaction_flags
    ]
    return {
        "status": "201 Created" if created else "200 OK",
        "location": f"Patient/{patient.external_id}",
        "outcome": _outcome(
            "information",
            "informational",
            "Registered as a new patient." if created else "Matched to the clinic's patient.",
            "Conditions and medications recorded in the medical screening as reported by "
            "the referrer, not yet reviewed.",
            *found,
        ),
    }


def _scored_response(questionnaire, assessment) -> dict:
    """A questionnaire response's entry: scored again from its answers, warning when the
    total the referrer stated differs."""
    outcome = _outcome(
        "information",
        "informational",
        f"Scored from its answers: {INSTRUMENTS[assessment.instrument].short_name} "
        f"total {assessment.total}.",
    )
    stated = questionnaire.stated_total
    if stated is not None and stated != assessment.total:
        outcome["issue"].append(
            issue(
                "warning",
                "business-rule",
                f"The response stated a total of {stated}; kapcare recomputed "
                f"{assessment.total} from the item answers and kept that.",
            )
        )
    return {
        "status": "201 Created",
        "location": f"QuestionnaireResponse/{assessment.external_id}",
        "outcome": outcome,
    }
