"""Scoring of the screening instruments: pure functions over plain values. No Django imports.

Answers are a list in item order: ints for Likert items, True/False for the C-SSRS
screener, None for an unanswered item. Bad input raises `AnswerError` (a ValueError) whose
message names the item, ready to show at the field.

Thresholds are module constants, each with its source; every function that uses one takes
it as a keyword argument so that a clinic's own setting can be passed in.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor

from kapcare.measures.instruments import (
    CSSRS_SCREEN,
    GAD7,
    LICENSED_SCALES,
    PCL5,
    PHQ9,
    Instrument,
)

# --- Flags: what the clinical team must see at once ---------------------------------------
# PHQ-9 item 9 answered above "Not at all": a safety alert and crisis resources
# (docs/clinical-reference.md#safety-review).
SUICIDAL_IDEATION = "suicidal_ideation"
# PHQ-9 item 9 left unanswered while the rest was prorated: nobody knows the answer, so
# the team is told rather than the question being silently averaged away.
SUICIDE_ITEM_UNANSWERED = "suicide_item_unanswered"
SUICIDE_RISK_HIGH = "suicide_risk_high"
SUICIDE_RISK_MODERATE = "suicide_risk_moderate"

# --- PCL-5 (National Center for PTSD) ------------------------------------------------------
# Total at or above which PTSD is provisionally likely. NCPTSD gives 31-33 as reasonable
# cutoffs (Bovin et al. 2016); the default is the top of that range
# (docs/clinical-reference.md#pcl-5).
PCL5_PROVISIONAL_PTSD_CUTOFF = 33
# An item rated 2 ("Moderately") or higher counts as a symptom endorsed.
PCL5_ENDORSED_AT = 2
# DSM-5 symptom clusters by item number, and how many endorsed items each needs.
PCL5_CLUSTERS: dict[str, tuple[int, ...]] = {
    "B": (1, 2, 3, 4, 5),
    "C": (6, 7),
    "D": (8, 9, 10, 11, 12, 13, 14),
    "E": (15, 16, 17, 18, 19, 20),
}
PCL5_CLUSTER_MINIMUM: dict[str, int] = {"B": 1, "C": 1, "D": 2, "E": 2}

# --- Outcomes (PHQ-9) -----------------------------------------------------------------------
# NQF 1884 (Depression Response at Six Months;
# docs/clinical-reference.md#response-and-remission): the index PHQ-9 must be greater than 9
# and response is a fall of at least 50 % from it.
RESPONSE_BASELINE_ABOVE = 9
RESPONSE_MINIMUM_FALL_PERCENT = 50
# CMS159 (Depression Remission at Twelve Months): remission is a PHQ-9 below 5.
REMISSION_BELOW = 5


class AnswerError(ValueError):
    """The answers cannot be scored as given; the message names the item."""


class IncompleteError(AnswerError):
    """More items are unanswered than the instrument's published tolerance allows."""

    def __init__(self, message: str, missing_items: Sequence[int]) -> None:
        super().__init__(message)
        self.missing_items = tuple(missing_items)


@dataclass(frozen=True)
class Score:
    """The result of scoring one completed instrument.

    `total` is None for the C-SSRS screener, which has no total. `missing_items` holds the
    numbers of unanswered items the total was prorated over; C-SSRS questions skipped by
    design are in `details["skipped_items"]` instead.
    """

    instrument: str
    total: int | None
    band: str
    flags: tuple[str, ...] = ()
    missing_items: tuple[int, ...] = ()
    item_values: tuple[int | bool | None, ...] = ()
    details: dict[str, object] = field(default_factory=dict)


def score(instrument_id: str, answers: Sequence[int | bool | None], **options: object) -> Score:
    """Score `answers` to the instrument `instrument_id` (a key of INSTRUMENTS).

    Keyword options go to the instrument's own function: `difficulty` for the PHQ-9,
    `cutoff` for the PCL-5.
    """
    scorer = SCORERS.get(instrument_id)
    if scorer is None:
        known = ", ".join(sorted(SCORERS))
        raise ValueError(f"Unknown instrument {instrument_id!r}; expected one of {known}.")
    return scorer(answers, **options)


def score_phq9(answers: Sequence[int | None], *, difficulty: int | None = None) -> Score:
    """PHQ-9 total 0-27 and its band (Kroenke, Spitzer & Williams 2001;
    docs/clinical-reference.md#phq-9).

    Up to two unanswered items are prorated: the total is the mean of the answered items
    times nine, rounded half up. With more than two the questionnaire is not scored. Source:
    NHS Data Dictionary, "Patient Health Questionnaire-9" ("If one or two values are
    missing … substituted with the average score of the non-missing items. Questionnaires
    with more than two missing values should be disregarded"), as Arrieta et al. 2017.

    Item 9 above 0 raises `suicidal_ideation`; item 9 unanswered raises
    `suicide_item_unanswered`. `difficulty` is the optional, unscored 10th question (0-3).
    """
    values, total, details = _score_likert(PHQ9, answers)
    allowed = PHQ9.unscored.option_values if PHQ9.unscored else ()
    if difficulty is not None and (
        isinstance(difficulty, bool) or not isinstance(difficulty, int) or difficulty not in allowed
    ):
        raise AnswerError(f"The difficulty question must be one of 0, 1, 2, 3; got {difficulty!r}.")
    item_9 = values[8]
    flags: tuple[str, ...] = ()
    if item_9 is None:
        flags = (SUICIDE_ITEM_UNANSWERED,)
    elif item_9 > 0:
        flags = (SUICIDAL_IDEATION,)
    return Score(
        instrument=PHQ9.id,
        total=total,
        band=PHQ9.band_for(total),
        flags=flags,
        missing_items=_missing(values),
        item_values=values,
        details={**details, "difficulty": difficulty},
    )


def score_gad7(answers: Sequence[int | None]) -> Score:
    """GAD-7 total 0-21 and its band (Spitzer et al. 2006; docs/clinical-reference.md#gad-7).

    One unanswered item is prorated (mean of the other six times seven, rounded half up);
    with two or more it is not scored. No published GAD-7 missing-item rule was found: one
    in seven is the project's choice, within the PHQ-9's published two in nine.
    """
    values, total, details = _score_likert(GAD7, answers)
    return Score(
        instrument=GAD7.id,
        total=total,
        band=GAD7.band_for(total),
        missing_items=_missing(values),
        item_values=values,
        details=details,
    )


def score_pcl5(
    answers: Sequence[int | None], *, cutoff: int = PCL5_PROVISIONAL_PTSD_CUTOFF
) -> Score:
    """PCL-5 total 0-80, scored both ways the National Center for PTSD describes.

    The band is "probable ptsd" at or above `cutoff` (a clinic setting; NCPTSD: 31-33),
    else "below threshold". `details` also carries the DSM-5 cluster severity scores and
    whether the DSM-5 cluster rule is met (see `meets_dsm5_cluster_rule`). Every item must
    be answered: no published rule for prorating the PCL-5 was found.
    """
    if isinstance(cutoff, bool) or not isinstance(cutoff, int) or not 0 < cutoff <= 80:
        raise ValueError(f"The PCL-5 cutoff must be a whole number from 1 to 80; got {cutoff!r}.")
    values, total, details = _score_likert(PCL5, answers)
    complete = [int(value) for value in values if value is not None]
    return Score(
        instrument=PCL5.id,
        total=total,
        band="probable ptsd" if total >= cutoff else "below threshold",
        item_values=values,
        details={
            **details,
            "cutoff": cutoff,
            "cluster_scores": _cluster_scores(complete),
            "meets_dsm5_cluster_rule": _meets_cluster_rule(complete, PCL5_ENDORSED_AT),
        },
    )


def pcl5_cluster_scores(answers: Sequence[int | None]) -> dict[str, int]:
    """Severity score of each DSM-5 cluster: the sum of its items (NCPTSD scoring notes):
    B intrusion (1-5), C avoidance (6-7), D cognition and mood (8-14), E arousal (15-20)."""
    values = _complete_pcl5(answers)
    return _cluster_scores(values)


def meets_dsm5_cluster_rule(
    answers: Sequence[int | None], *, endorsed_at: int = PCL5_ENDORSED_AT
) -> bool:
    """Provisional PTSD by the DSM-5 rule, as the National Center for PTSD scores the PCL-5:
    an item rated `endorsed_at` (2, "Moderately") or higher is a symptom endorsed, and the
    rule needs at least 1 B item (1-5), 1 C item (6-7), 2 D items (8-14) and 2 E items
    (15-20)."""
    values = _complete_pcl5(answers)
    return _meets_cluster_rule(values, endorsed_at)


def score_cssrs_screen(answers: Sequence[bool | None]) -> Score:
    """Triage of the C-SSRS Screen Version – Recent, per the Columbia Lighthouse Project's
    triage guidance for the screener (docs/clinical-reference.md#c-ssrs-screener-triage).

    Seven answers, True for yes: questions 1-6 and 6b ("Was this within the past 3
    months?"). Questions 3-5 are asked only after a yes to 2, and 6b only after a yes to 6;
    otherwise they stay None.

    - high risk: yes to 4 or 5 (ideation with intent, past month), or suicidal behaviour
      within the past 3 months (yes to 6 and 6b);
    - moderate risk: yes to 3 (a method in mind), or behaviour more than 3 months ago;
    - low risk: yes to 1 or 2 only;
    - no risk: no to everything.
    """
    values = _check_yes_no(CSSRS_SCREEN, answers)
    answer = {item.number: value for item, value in zip(CSSRS_SCREEN.items, values, strict=True)}
    wish_dead, thoughts, method, intent, plan, behaviour, recent = (
        answer[number] for number in range(1, 8)
    )
    triggers: dict[str, list[str]] = {"high": [], "moderate": [], "low": []}
    if intent:
        triggers["high"].append("4")
    if plan:
        triggers["high"].append("5")
    if behaviour and recent:
        triggers["high"].append("6b")
    if method:
        triggers["moderate"].append("3")
    if behaviour and not recent:
        triggers["moderate"].append("6")
    if wish_dead:
        triggers["low"].append("1")
    if thoughts:
        triggers["low"].append("2")

    risk = next((level for level in ("high", "moderate", "low") if triggers[level]), "no")
    flags = {"high": (SUICIDE_RISK_HIGH,), "moderate": (SUICIDE_RISK_MODERATE,)}.get(risk, ())
    skipped = tuple(
        item.number
        for item, value in zip(CSSRS_SCREEN.items, values, strict=True)
        if item.only_if_yes_to is not None and value is None
    )
    return Score(
        instrument=CSSRS_SCREEN.id,
        total=None,
        band=f"{risk} risk",
        flags=flags,
        item_values=values,
        details={
            "risk": risk,
            "triggered_by": tuple(triggers.get(risk, ())),
            "skipped_items": skipped,
        },
    )


def is_response(
    baseline: int,
    current: int,
    *,
    baseline_above: int = RESPONSE_BASELINE_ABOVE,
    minimum_fall_percent: int = RESPONSE_MINIMUM_FALL_PERCENT,
) -> bool:
    """Depression response as NQF 1884 defines it: a baseline PHQ-9 above `baseline_above`
    (9) and a current score at least `minimum_fall_percent` (50 %) lower."""
    _check_total("baseline", baseline)
    _check_total("current", current)
    if baseline <= baseline_above:
        return False
    return 100 * (baseline - current) >= minimum_fall_percent * baseline


def is_remission(phq9_total: int, *, below: int = REMISSION_BELOW) -> bool:
    """Depression remission as CMS159 defines it: a PHQ-9 total below `below` (5)."""
    _check_total("phq9_total", phq9_total)
    return phq9_total < below


def validate_licensed_total(scale_id: str, total: int) -> int:
    """Check a total recorded for a copyrighted scale against its published range
    (LICENSED_SCALES) and return it."""
    scale = LICENSED_SCALES.get(scale_id)
    if scale is None:
        known = ", ".join(sorted(LICENSED_SCALES))
        raise AnswerError(f"Unknown scale {scale_id!r}; expected one of {known}.")
    if (
        isinstance(total, bool)
        or not isinstance(total, int)
        or not scale.minimum <= total <= scale.maximum
    ):
        raise AnswerError(
            f"{scale.short_name} total must be a whole number from {scale.minimum} to "
            f"{scale.maximum}; got {total!r}."
        )
    return total


SCORERS: dict[str, Callable[..., Score]] = {
    PHQ9.id: score_phq9,
    GAD7.id: score_gad7,
    PCL5.id: score_pcl5,
    CSSRS_SCREEN.id: score_cssrs_screen,
}


# --- helpers ---------------------------------------------------------------------------------


def _check_count(instrument: Instrument, answers: Sequence[object]) -> None:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise AnswerError(f"{instrument.short_name} answers must be a list, one per item.")
    if len(answers) != instrument.item_count:
        noun = "answer" if len(answers) == 1 else "answers"
        raise AnswerError(
            f"{instrument.short_name} has {instrument.item_count} items; got {len(answers)} {noun}."
        )


def _check_likert(instrument: Instrument, answers: Sequence[object]) -> tuple[int | None, ...]:
    _check_count(instrument, answers)
    allowed = instrument.option_values
    choices = ", ".join(str(value) for value in allowed)
    for item, value in zip(instrument.items, answers, strict=True):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise AnswerError(f"Item {item.label} must be one of {choices}; got {value!r}.")
    return tuple(answers)  # type: ignore[arg-type]


def _check_yes_no(instrument: Instrument, answers: Sequence[object]) -> tuple[bool | None, ...]:
    _check_count(instrument, answers)
    for item, value in zip(instrument.items, answers, strict=True):
        if value is not None and not isinstance(value, bool):
            raise AnswerError(f"Item {item.label} must be yes (True) or no (False); got {value!r}.")
    by_number = dict(zip((item.number for item in instrument.items), answers, strict=True))
    labels = {item.number: item.label for item in instrument.items}

    missing = []
    for item in instrument.items:
        opened_by = item.only_if_yes_to
        if by_number[item.number] is None and (opened_by is None or by_number[opened_by]):
            missing.append(item.number)
    if missing:
        raise IncompleteError(
            f"{instrument.short_name} cannot be scored: "
            f"{_items_phrase([labels[n] for n in missing])} unanswered.",
            missing,
        )
    for item in instrument.items:
        opened_by = item.only_if_yes_to
        if opened_by is not None and by_number[item.number] and not by_number[opened_by]:
            raise AnswerError(
                f"Item {item.label} is asked only after a yes to item {labels[opened_by]}, "
                f"but item {labels[opened_by]} was answered no."
            )
    return tuple(answers)  # type: ignore[arg-type]


def _score_likert(
    instrument: Instrument, answers: Sequence[int | None]
) -> tuple[tuple[int | None, ...], int, dict[str, object]]:
    """Validate, check the missing-item tolerance and total, prorating where allowed:
    the mean of the answered items times the item count, rounded half up."""
    values = _check_likert(instrument, answers)
    missing = _missing(values)
    if len(missing) > instrument.max_missing:
        if instrument.max_missing:
            allowance = f"at most {instrument.max_missing} may be"
        else:
            allowance = "every item must be answered"
        raise IncompleteError(
            f"{instrument.short_name} cannot be scored: "
            f"{_items_phrase([str(n) for n in missing])} unanswered, and {allowance}.",
            missing,
        )
    answered = [value for value in values if value is not None]
    raw_total = sum(answered)
    if missing:
        prorated = Fraction(raw_total * instrument.item_count, len(answered))
        total = floor(prorated + Fraction(1, 2))
    else:
        total = raw_total
    return values, total, {"raw_total": raw_total, "is_prorated": bool(missing)}


def _missing(values: Sequence[object]) -> tuple[int, ...]:
    return tuple(number for number, value in enumerate(values, start=1) if value is None)


def _items_phrase(labels: Sequence[str]) -> str:
    """ "item 4 is" / "items 2, 5 and 9 are"."""
    if len(labels) == 1:
        return f"item {labels[0]} is"
    return f"items {', '.join(labels[:-1])} and {labels[-1]} are"


def _complete_pcl5(answers: Sequence[int | None]) -> list[int]:
    values = _check_likert(PCL5, answers)
    missing = _missing(values)
    if missing:
        raise IncompleteError(
            f"PCL-5 clusters need every item: "
            f"{_items_phrase([str(n) for n in missing])} unanswered.",
            missing,
        )
    return [int(value) for value in values if value is not None]


def _cluster_scores(values: Sequence[int]) -> dict[str, int]:
    return {
        cluster: sum(values[number - 1] for number in numbers)
        for cluster, numbers in PCL5_CLUSTERS.items()
    }


def _meets_cluster_rule(values: Sequence[int], endorsed_at: int) -> bool:
    return all(
        sum(values[number - 1] >= endorsed_at for number in numbers)
        >= PCL5_CLUSTER_MINIMUM[cluster]
        for cluster, numbers in PCL5_CLUSTERS.items()
    )


def _check_total(name: str, total: int) -> None:
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError(f"{name} must be a whole number of 0 or more; got {total!r}.")
