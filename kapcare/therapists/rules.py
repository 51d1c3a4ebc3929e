"""What a directory entry's credentials say, as pure functions over plain facts: the
warnings the clinic sees on the entry, on every episode that depends on the therapist and
on KAP-model doses, and whether the entry is verified (what patients may find).

docs/clinical-reference.md#licence-and-training: an expired licence or missing training shows as a
warning on every episode that depends on it. A licence is in force up to and including its expiry
date, as state boards print it ("expires 03/31/2026"); the clinic is warned
`licence_expiry_warning_days` ahead (a Clinic setting, default 30) so that it can ask for
the renewal before the licence lapses. The certificate of KAP training and ASKP3 membership
are informational: ASKP3 does not certify, and a programme's completion date is what staff
verify against the programme's own records.
"""

import datetime as dt
from dataclasses import dataclass

# The two-letter codes of the states, DC and the territories whose boards license
# psychotherapists (USPS abbreviations).
US_STATES = frozenset(
    {
        *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL"),
        *("IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE"),
        *("NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD"),
        *("TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI"),
    }
)


def is_us_state(code: str) -> bool:
    return code.upper() in US_STATES


@dataclass(frozen=True)
class CredentialFacts:
    """A directory entry's credentials as plain values."""

    licence_type: str = ""
    licence_state: str = ""
    licence_number: str = ""
    licence_expires_on: dt.date | None = None
    licence_verified: bool = False
    training_programme: str = ""
    training_completed_on: dt.date | None = None
    training_verified: bool = False
    has_training_certificate: bool = False
    is_askp3_member: bool = False
    askp3_verified: bool = False


def day_in_words(value: dt.date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def licence_missing_parts(facts: CredentialFacts) -> list[str]:
    parts = [
        ("type", facts.licence_type),
        ("state", facts.licence_state),
        ("number", facts.licence_number),
        ("expiry date", facts.licence_expires_on),
    ]
    return [name for name, value in parts if not value]


def is_licence_in_force(facts: CredentialFacts, today: dt.date) -> bool:
    """In force up to and including the expiry date."""
    return facts.licence_expires_on is not None and facts.licence_expires_on >= today


def is_verified(facts: CredentialFacts, today: dt.date) -> bool:
    """Licence and KAP training verified by clinic staff, and the licence in force on
    `today`: what patients may find (the same test as `TherapistProfile.objects.verified_on`)."""
    return facts.licence_verified and facts.training_verified and is_licence_in_force(facts, today)


def credential_warnings(facts: CredentialFacts, today: dt.date, warning_days: int) -> list[str]:
    """What the clinic must act on before relying on the therapist, in words: the licence
    missing, incomplete, unverified, expired or expiring within `warning_days`; the KAP
    training missing or unverified."""
    warnings = []
    missing = licence_missing_parts(facts)
    if len(missing) == 4:
        warnings.append("No licence on file.")
    elif missing:
        warnings.append(f"Licence incomplete: no {', no '.join(missing)}.")
    if len(missing) < 4 and not facts.licence_verified:
        warnings.append("Licence not verified by the clinic.")
    expires_on = facts.licence_expires_on
    if expires_on is not None:
        if expires_on < today:
            warnings.append(f"Licence expired on {day_in_words(expires_on)}.")
        elif (expires_on - today).days <= warning_days:
            days = (expires_on - today).days
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            on = day_in_words(expires_on)
            warnings.append(f"Licence expires on {on} ({when}), within {warning_days} days.")
    if not facts.training_programme and facts.training_completed_on is None:
        warnings.append("No KAP training on file.")
    elif not facts.training_verified:
        warnings.append("KAP training not verified by the clinic.")
    return warnings


def credential_notes(facts: CredentialFacts) -> list[str]:
    """What is worth knowing but asks nothing of the clinic before a dose."""
    notes = []
    if (facts.training_programme or facts.training_completed_on) and not (
        facts.has_training_certificate
    ):
        notes.append("No training certificate uploaded.")
    if facts.is_askp3_member and not facts.askp3_verified:
        notes.append("ASKP3 membership not verified.")
    return notes


# --- A therapist in the loop ------------------------------------------------------------------

# What the clinic and the therapist must share for the therapist to be in the loop: when the
# doses are (to hold preparation and integration around them) and what happened in each.
LOOP_SCOPES = ("schedule", "session_summaries")
LOOP_SCOPE_WORDS = {"schedule": "the schedule", "session_summaries": "session summaries"}


@dataclass(frozen=True)
class LoopFacts:
    """What the therapist-in-the-loop gate reads about a KAP episode's dose: the therapist
    it names (if any), the clinic's own directory entry for them (None when there is none),
    the scopes of the patient's live authorisations to them, and the clinic's settings."""

    has_therapist: bool
    credentials: CredentialFacts | None
    authorised_scopes: frozenset[str]
    dose_day: dt.date
    training_required: bool = True
    training_not_required_reason: str = ""


def therapist_in_loop(facts: LoopFacts) -> tuple[list[str], list[str]]:
    """Whether KAP has a therapist in the loop for this dose: (what blocks it, what to take
    note of), each in words. "KAP without trained therapeutic support is something different
    from KAP" (see docs/clinical-reference.md): the episode names its outside therapist, the
    patient authorises sharing at least the schedule and session summaries with them, and
    the clinic has verified their licence (in force on the dose's day) and their KAP
    training — which a clinic may downgrade to a note, giving its reason."""
    if not facts.has_therapist:
        return (["No therapist is named on this episode: KAP needs one in the loop."], [])
    blocks: list[str] = []
    missing = [scope for scope in LOOP_SCOPES if scope not in facts.authorised_scopes]
    if missing:
        blocks.append(
            "The patient has not authorised sharing "
            + " and ".join(LOOP_SCOPE_WORDS[scope] for scope in missing)
            + " with the therapist (or the authorisation has ended or been revoked)."
        )
    credentials = facts.credentials
    if credentials is None:
        return ([*blocks, "The therapist is not in the clinic's directory."], [])
    if not credentials.licence_verified:
        blocks.append("The therapist's licence is not verified by the clinic.")
    elif not is_licence_in_force(credentials, facts.dose_day):
        blocks.append("The therapist's licence is not in force on the day of the dose.")
    notes = []
    if not credentials.training_verified:
        if facts.training_required:
            blocks.append("The therapist's KAP training is not verified by the clinic.")
        else:
            notes.append(
                "The therapist's KAP training is not verified; the clinic does not require it: "
                f"{facts.training_not_required_reason}"
            )
    return blocks, notes
