"""Pure rules for consents and sharing: filling a document's particulars, checking a
typed signature, default expiry, and a patient's consent status. No Django imports."""

import calendar
import re
from datetime import date

# Particulars a document may name, as {{ name }}; anything else is left for the admin to
# see on the preview (and refused at publishing, see `unknown_placeholders`).
PLACEHOLDERS = {
    "clinic_name": "The clinic's name",
    "clinic_phone": "The clinic's phone number",
    "patient_name": "The patient's full name",
    "patient_birth_date": "The patient's date of birth",
    "therapist_name": "The therapist's name (sharing authorisation)",
    "therapist_email": "The therapist's email (sharing authorisation)",
    "shared_items": "What is shared, one line per scope (sharing authorisation)",
    "purpose": "Why it is shared (sharing authorisation)",
    "expires_on": "The last day the authorisation is in force (sharing authorisation)",
    "care_model": "The episode's model of care, in plain words (treatment consent)",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_PLACEHOLDER_NAME = re.compile(r"^[a-z_]+$")


def add_placeholder(name: str, description: str) -> None:
    """Accept `{{ name }}` in documents: a particular another app fills (see
    `consents.placeholders`). Registering the same name twice with the same description
    is harmless; a clash with another meaning is a programming error."""
    if not _PLACEHOLDER_NAME.match(name):
        raise ValueError(f"A placeholder name is lower-case letters and _: {name!r}.")
    if PLACEHOLDERS.get(name, description) != description:
        raise ValueError(f"The placeholder {name!r} already means something else.")
    PLACEHOLDERS[name] = description


# The sample patient a document's preview is filled with, so that the admin reads the text
# as a patient will (never a real patient's particulars on an editing page).
SAMPLE_PARTICULARS = {
    "patient_name": "Alex Sample",
    "patient_birth_date": "March 14, 1985",
    "therapist_name": "Dr. Jordan Example",
    "therapist_email": "jordan.example@example.org",
    "shared_items": "- Your dosing sessions\n- Your questionnaire scores",
    "purpose": "Coordinating your therapy with your care at the clinic",
    "expires_on": "December 31 of next year",
    "care_model": "ketamine-assisted psychotherapy with your own therapist",
}


def sample_particulars(clinic_name: str, clinic_phone: str) -> dict[str, str]:
    """Values for every known placeholder: the clinic's own, the sample patient's, and for
    a placeholder another app registered, its description in brackets."""
    values = {name: f"[{description}]" for name, description in PLACEHOLDERS.items()}
    values.update(SAMPLE_PARTICULARS)
    values.update(clinic_name=clinic_name, clinic_phone=clinic_phone or "the clinic")
    return values


def placeholder_names(text: str) -> set[str]:
    """The placeholders `text` names."""
    return set(_PLACEHOLDER.findall(text))


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """`text` with each {{ name }} in `values` replaced; other placeholders untouched."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that no document can fill, in order of appearance."""
    seen: list[str] = []
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def _normalise_name(name: str) -> str:
    return " ".join(name.casefold().split())


def typed_name_problem(typed: str, full_name: str) -> str | None:
    """Why a typed signature does not stand for the patient, or None.

    The patient types their full name as it is on their record; case and spacing do not
    matter (ESIGN Act: the signer's intent, shown by typing their own name).
    """
    if not typed.strip():
        return "Type your full name to sign."
    if _normalise_name(typed) != _normalise_name(full_name):
        return f"Type your full name as it is on your record: {full_name}."
    return None


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def default_expiry(today: date, months: int) -> date:
    """The default last day of a sharing authorisation: `months` from today (clinic setting,
    12 by default), the day before the anniversary."""
    return date.fromordinal(add_months(today, months).toordinal() - 1)


def expiry_problem(expires_on: date | None, today: date, longest_months: int) -> str | None:
    """Why an expiry date cannot be used, or None. It must be after today and, so that an
    authorisation cannot be open-ended in practice, no later than `longest_months` ahead
    (the clinic's default length)."""
    if expires_on is None:
        return "Enter the last day the authorisation is in force."
    if expires_on <= today:
        return "The expiry date must be after today."
    latest = default_expiry(today, longest_months)
    if expires_on > latest:
        return (
            f"An authorisation can last at most {longest_months} months; choose "
            f"{latest:%B} {latest.day}, {latest.year} or earlier."
        )
    return None


# --- Models of care, as the treatment consent names them ------------------------------------
# The keys are the episode's model values (`episodes.rules.MODELS`); a test keeps them equal.

STANDALONE_MODEL = "standalone"
KAP_DOCUMENT = "treatment"
STANDALONE_DOCUMENT = "standalone_infusion"

CARE_MODEL_WORDS = {
    "in_session": "**In-session ketamine-assisted psychotherapy (KAP).** A therapist is with "
    "you throughout each dosing session, and also meets you to prepare before your doses and "
    "to make sense of them afterwards (integration).",
    "bracketed": "**Bracketed ketamine-assisted psychotherapy (KAP).** You meet a therapist "
    "to prepare before your doses and for integration afterwards, on other days; no therapy "
    "takes place during the dose itself.",
    "blended": "**Blended ketamine-assisted psychotherapy (KAP).** The clinic gives the dose; "
    "your own outside therapist does the preparation and integration sessions and works "
    "with us under the authorisation you choose to sign.",
    STANDALONE_MODEL: "**Standalone ketamine infusions.** Doses of ketamine given and "
    "watched over by our medical staff, without psychotherapy: no preparation or "
    "integration sessions and no therapist are part of this treatment.",
}
NO_COURSE_WORDS = (
    "No course of care is open for you yet; the clinic agrees its model with you first."
)


def care_model_words(care_model: str | None) -> str:
    """The treatment the consent is for, in plain words (the `{{ care_model }}`)."""
    if care_model is None:
        return NO_COURSE_WORDS
    return CARE_MODEL_WORDS[care_model]


def document_kind_for(care_model: str) -> str:
    """The consent document an episode of `care_model` is signed on: the KAP consent for
    the three KAP models, the standalone-infusion consent, which promises no
    psychotherapy, for a standalone infusion."""
    return STANDALONE_DOCUMENT if care_model == STANDALONE_MODEL else KAP_DOCUMENT


# Treatment consent status for an episode, from the latest treatment signature for it.
NOT_SIGNED = "not_signed"
CURRENT = "current"
OUTDATED = "outdated"
WITHDRAWN = "withdrawn"
MODEL_CHANGED = "model_changed"
NO_COURSE = "no_course"


def consent_status(
    signed_version: int | None,
    is_withdrawn: bool,
    current_version: int,
    versions_requiring_reconsent: set[int],
    signed_for_model: str | None = None,
    episode_model: str | None = None,
) -> str:
    """Where an episode stands with its treatment consent (gate 2,
    docs/clinical-reference.md#treatment-consent: signed for this episode, naming its
    model, on the current template version of the right document, not revoked).

    A signature naming another model than the episode's now (the model was changed after
    signing) asks for re-consent: the patient agreed to a different treatment. A signature
    on an older version stays current unless a later version, up to the current one, was
    published as requiring re-consent.
    """
    if signed_version is None:
        return NOT_SIGNED
    if is_withdrawn:
        return WITHDRAWN
    if signed_for_model != episode_model:
        return MODEL_CHANGED
    later = range(signed_version + 1, current_version + 1)
    if any(number in versions_requiring_reconsent for number in later):
        return OUTDATED
    return CURRENT
