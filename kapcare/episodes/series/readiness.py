"""Before booking a series: is the patient screened, eligible and consented? Booking is
allowed either way (a coordinator plans ahead), but the dosing gates will stop each dose
until these are done, so the series page says so before "Book all" rather than on the day.

`readiness_warnings` is the pure part (plain values in, sentences out); `warnings_for`
reads the facts in a fixed number of queries (screening, eligibility, consent)."""

from django.utils import timezone

from kapcare.consents import rules as consent_rules
from kapcare.consents.services import episode_consent_status
from kapcare.screening.status import eligibility_for, latest_completed_screening

CONSENT_WORDS = {
    consent_rules.NOT_SIGNED: "The treatment consent is not signed yet.",
    consent_rules.OUTDATED: "The treatment consent must be signed again (a new version).",
    consent_rules.WITHDRAWN: "The patient withdrew their treatment consent.",
    consent_rules.MODEL_CHANGED: "The treatment consent was signed for another model of care.",
}


def readiness_warnings(
    *, is_screened: bool, is_eligible: bool, eligibility_label: str, consent_status: str
) -> list[str]:
    warnings = []
    if not is_screened:
        warnings.append("No medical screening has been completed yet.")
    if not is_eligible:
        warnings.append(f"Eligibility: {eligibility_label}.")
    if consent_status in CONSENT_WORDS:
        warnings.append(CONSENT_WORDS[consent_status])
    return warnings


def warnings_for(episode) -> list[str]:
    patient = episode.patient
    today = timezone.localdate(timezone=patient.clinic.zone)
    latest = latest_completed_screening(patient, with_answers=False)
    eligibility = eligibility_for(patient, today)
    consent_status, _, _ = episode_consent_status(episode, patient)
    return readiness_warnings(
        is_screened=latest is not None,
        is_eligible=eligibility.status.is_eligible,
        eligibility_label=eligibility.status.label,
        consent_status=consent_status,
    )
