"""What a referral says, in the clinic's terms: pure functions over plain values (no ORM,
no request), each table-driven tested.

- Which conditions and medicines a referring system sent are contraindications or
  interacting medicines of the screening catalogue, found by code (SNOMED CT, ICD-10-CM,
  RxNorm) in `data/codes.csv` (its sources in `data/README.md`).
- Which of them count: a condition still active (or, for a history entry such as a
  psychotic disorder, ever recorded); a medicine still being taken.
- A PHQ-9 or GAD-7 questionnaire response as the answers to each item, identified by LOINC
  (docs/clinical-reference.md#loinc); its total is recomputed by `kapcare.measures.scoring`,
  never read from the response.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kapcare.measures.instruments import INSTRUMENTS

CODES_FILE = Path(__file__).parent / "data" / "codes.csv"

# FHIR's canonical code system URIs (terminology.hl7.org "External code systems"), by the
# short names the codes file uses.
SYSTEMS = {
    "http://snomed.info/sct": "snomed",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10",
    "http://hl7.org/fhir/sid/icd-10": "icd10",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
}
SYSTEM_NAMES = {"snomed": "SNOMED CT", "icd10": "ICD-10", "rxnorm": "RxNorm"}

CONTRAINDICATION = "contraindication"
INTERACTION = "interaction"
# A row applies to an active condition only, or to one ever recorded (a history entry).
ACTIVE = "active"
EVER = "ever"


@dataclass(frozen=True)
class CodeRow:
    """One code of the map: `code` in `system` means the catalogue entry `catalogue`."""

    system: str
    code: str
    display: str
    catalogue: str
    kind: str
    applies: str
    source: str


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str = ""

    @property
    def label(self) -> str:
        name = SYSTEM_NAMES.get(SYSTEMS.get(self.system, ""), self.system or "no system")
        return f"{self.display or self.code} ({name} {self.code})"


@dataclass(frozen=True)
class Flag:
    """A catalogue entry (contraindication or interacting medicine) found by a code."""

    catalogue: str
    kind: str
    coding: Coding


@cache
def code_map(path: Path = CODES_FILE) -> tuple[CodeRow, ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(CodeRow(**row) for row in csv.DictReader(handle))


def _same_code(short_system: str, row_code: str, code: str) -> bool:
    """ICD-10 is hierarchical: a row for a category (`I16`) covers its subcodes (`I16.1`,
    also sent without the dot as `I161`). SNOMED CT and RxNorm codes match exactly."""
    if short_system != "icd10":
        return code == row_code
    wanted, given = row_code.replace(".", "").upper(), code.replace(".", "").upper()
    return given.startswith(wanted)


def flags_for(
    codings: tuple[Coding, ...], *, kind: str, is_active: bool, rows: tuple[CodeRow, ...]
) -> list[Flag]:
    """The catalogue entries `codings` stand for, each once, in the map's order. A row that
    applies to active conditions only is skipped when the condition has resolved."""
    found: dict[str, Flag] = {}
    for row in rows:
        if row.kind != kind or row.catalogue in found:
            continue
        if row.applies == ACTIVE and not is_active:
            continue
        for coding in codings:
            short = SYSTEMS.get(coding.system)
            if short == row.system and _same_code(short, row.code, coding.code):
                found[row.catalogue] = Flag(row.catalogue, row.kind, coding)
                break
    return list(found.values())


# --- Whether a record still holds ----------------------------------------------------------

# FHIR R4 Condition.clinicalStatus (condition-clinical) and verificationStatus
# (condition-ver-status) codes.
ACTIVE_CLINICAL_STATUSES = frozenset({"active", "recurrence", "relapse"})
NOT_A_FINDING = frozenset({"refuted", "entered-in-error"})
# MedicationRequest.status (medicationrequest-status) and MedicationStatement.status
# (medication-statement-status) that mean the medicine is being taken.
CURRENT_MEDICATION_STATUSES = {
    "MedicationRequest": frozenset({"active", "on-hold"}),
    "MedicationStatement": frozenset({"active", "intended", "on-hold"}),
}


def is_recorded_condition(verification_status: str | None) -> bool:
    """A refuted or mistaken condition is not recorded at all."""
    return verification_status not in NOT_A_FINDING


def is_active_condition(clinical_status: str | None, *, has_abated: bool) -> bool:
    """Active when its clinical status says so; with no status (allowed when unverified),
    active unless an abatement is recorded."""
    if clinical_status:
        return clinical_status in ACTIVE_CLINICAL_STATUSES
    return not has_abated


def is_current_medication(resource_type: str, status: str | None) -> bool:
    return status in CURRENT_MEDICATION_STATUSES.get(resource_type, frozenset())


# --- Questionnaire responses ---------------------------------------------------------------

# The LOINC answer list LL358-3 ("Not at all" … "Nearly every day"), shared by the PHQ-9 and
# GAD-7 items, with the values Kroenke 2001 and Spitzer 2006 score them at
# (docs/clinical-reference.md#loinc).
LOINC_ANSWER_VALUES = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
# Extensions that carry an answer's score on a coding (FHIR R4 core, and its newer name).
ORDINAL_EXTENSIONS = frozenset(
    {
        "http://hl7.org/fhir/StructureDefinition/ordinalValue",
        "http://hl7.org/fhir/StructureDefinition/itemWeight",
    }
)
# The instruments a referral may carry as a QuestionnaireResponse, by their LOINC panel.
IMPORTED_INSTRUMENTS = ("phq9", "gad7")


class QuestionnaireError(ValueError):
    """A response that cannot be read as the instrument's answers; the message says where."""


def loinc_code(link_id_or_url: str) -> str:
    """The last path part: '/44249-1/44250-9' → '44250-9';
    'http://loinc.org/q/44249-1' → '44249-1'; 'Questionnaire/44249-1|3.0' → '44249-1'."""
    return link_id_or_url.split("|")[0].rstrip("/").rsplit("/", 1)[-1].strip()


def instrument_for(questionnaire: str, codings: tuple[Coding, ...] = ()) -> str | None:
    """The instrument a response answers, by the LOINC panel code at the end of its
    `questionnaire` canonical URL or in the response's codes."""
    candidates = {loinc_code(questionnaire)} if questionnaire else set()
    candidates |= {c.code for c in codings if c.system == "http://loinc.org"}
    for instrument_id in IMPORTED_INSTRUMENTS:
        if INSTRUMENTS[instrument_id].loinc_panel in candidates:
            return instrument_id
    return None


def answer_value(answer: dict) -> int:
    """The score of one answer: an integer, a LOINC answer code of LL358-3, or a coding with
    its ordinal value."""
    if "valueInteger" in answer:
        return answer["valueInteger"]
    if "valueDecimal" in answer and float(answer["valueDecimal"]).is_integer():
        return int(answer["valueDecimal"])
    coding = answer.get("valueCoding")
    if coding:
        for extension in coding.get("extension", []):
            if extension.get("url") in ORDINAL_EXTENSIONS and "valueDecimal" in extension:
                return int(extension["valueDecimal"])
        if coding.get("code") in LOINC_ANSWER_VALUES:
            return LOINC_ANSWER_VALUES[coding["code"]]
    raise QuestionnaireError("the answer is not a score this item takes")


def _flatten(items: list[dict]) -> list[dict]:
    flat = []
    for item in items:
        flat.append(item)
        flat.extend(_flatten(item.get("item", [])))
        for answer in item.get("answer", []):
            flat.extend(_flatten(answer.get("item", [])))
    return flat


def questionnaire_answers(instrument_id: str, items: list[dict]) -> tuple[list, int | None]:
    """The answers to each scored item of `instrument_id` (None where unanswered), and the
    total the response itself stated (kept only to show it differed, never used)."""
    instrument = INSTRUMENTS[instrument_id]
    by_code = {item.loinc: index for index, item in enumerate(instrument.items) if item.loinc}
    answers: list[int | None] = [None] * len(instrument.items)
    stated_total = None
    for item in _flatten(items):
        code = loinc_code(item.get("linkId", ""))
        given = item.get("answer", [])
        if not given:
            continue
        if code == instrument.loinc_total:
            try:
                stated_total = answer_value(given[0])
            except QuestionnaireError:
                stated_total = None
            continue
        if code not in by_code:
            continue
        try:
            answers[by_code[code]] = answer_value(given[0])
        except QuestionnaireError as error:
            raise QuestionnaireError(f"item {item.get('linkId')}: {error}") from error
    return answers, stated_total
