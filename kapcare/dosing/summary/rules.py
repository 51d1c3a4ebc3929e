"""The draft of a dosing session's summary for the patient's outside therapist: pure text
from plain values (no Django), which the clinician edits before releasing it.

What goes in (date, dose route, notable events, what the patient wants to bring to
integration; docs/clinical-reference.md#session-summary-for-the-therapist) follows HIPAA's
minimum necessary standard (45 CFR 164.502(b)): the dose as a band unless the clinic allows the
exact figure (`Clinic.summary_shows_exact_dose`), adverse events by kind and severity only,
no vital signs, no names of staff.

The dose bands are this product's wording for a therapist, not a clinical standard: they
only say roughly how strong the dose was, in mg/kg, whatever the route.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Upper bounds (mg/kg, inclusive) of the bands and their words; above the last: "higher".
LOW_UP_TO = Decimal("0.5")
MODERATE_UP_TO = Decimal("1.0")
BANDS = (
    (LOW_UP_TO, "low (≤ 0.5 mg/kg)"),
    (MODERATE_UP_TO, "moderate (0.5–1.0 mg/kg)"),
)
HIGHER = "higher (> 1.0 mg/kg)"

# The routes (episodes.DoseRoute values) as a therapist reads them.
ROUTE_WORDS = {
    "iv": "intravenous infusion",
    "im": "intramuscular injection",
    "sublingual": "sublingual (under the tongue)",
    "intranasal": "intranasal (nasal spray)",
}

DISSOCIATION_MAXIMUM = 10  # the patient's own 0–10 scale (PatientExperience.dissociation)


@dataclass(frozen=True)
class NotableEvent:
    """An adverse event in words, with its severity: "Hypertension", "moderate"."""

    kind: str
    severity: str


@dataclass(frozen=True)
class SummaryFacts:
    """What the summary is drafted from, already read from the record; `session_date` is
    the day in the clinic's time zone."""

    session_date: date
    route: str = ""
    mg_per_kg: Decimal | None = None
    dose_mg: Decimal | None = None
    shows_exact_dose: bool = False
    events: Sequence[NotableEvent] = field(default_factory=tuple)
    infusion_stopped_early: bool = False
    dissociation: int | None = None
    bring_to_integration: str = ""


def dose_band(mg_per_kg: Decimal) -> str:
    """The band a dose in mg/kg falls in: up to 0.5 low, up to 1.0 moderate, above that
    higher (each upper bound inclusive)."""
    for upper, words in BANDS:
        if mg_per_kg <= upper:
            return words
    return HIGHER


def route_in_words(route: str) -> str:
    return ROUTE_WORDS.get(route, "not recorded")


def _number(value: Decimal) -> str:
    """35.00 → "35", 0.500 → "0.5": the figure without trailing zeros."""
    return f"{value.normalize():f}"


def dose_in_words(facts: SummaryFacts) -> str:
    """The band, or the exact mg (with mg/kg when known) where the clinic allows it."""
    if facts.shows_exact_dose and facts.dose_mg is not None:
        per_kg = f" ({_number(facts.mg_per_kg)} mg/kg)" if facts.mg_per_kg is not None else ""
        return f"{_number(facts.dose_mg)} mg{per_kg}"
    if facts.mg_per_kg is None:
        return "not recorded"
    return dose_band(facts.mg_per_kg)


def notable_events(facts: SummaryFacts) -> list[str]:
    """Adverse events with their severity, then an infusion stopped early."""
    words = [f"{event.kind} ({event.severity.lower()})" for event in facts.events]
    if facts.infusion_stopped_early:
        words.append("the infusion was stopped early")
    return words


def _long_date(day: date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


def draft_summary(facts: SummaryFacts) -> str:
    """The summary's first draft, one statement per line."""
    events = notable_events(facts)
    lines = [
        f"Dosing session of {_long_date(facts.session_date)}.",
        f"Route: {route_in_words(facts.route)}.",
        f"Dose: {dose_in_words(facts)}.",
        f"Notable events: {'; '.join(events) if events else 'none'}.",
    ]
    words = facts.bring_to_integration.strip()
    if words:
        lines.append(f"What the patient wants to bring to integration, in their words: “{words}”")
    elif facts.dissociation is None:
        lines.append("The patient has not yet said what they want to bring to integration.")
    else:
        lines.append("The patient did not name anything to bring to integration.")
    if facts.dissociation is not None:
        lines.append(
            f"Dissociation, as the patient rated it: {facts.dissociation} of "
            f"{DISSOCIATION_MAXIMUM} (0 not at all, {DISSOCIATION_MAXIMUM} completely)."
        )
    return "\n".join(lines)
