"""Reading a referring system's FHIR R4 `transaction` Bundle into plain values.

Each entry's resource is validated with `fhir.resources` (its R4B models, which read R4
resources of the kinds used here unchanged); a problem is reported at the entry, as a FHIRPath
expression (`Bundle.entry[3].resource.birthDate`), so the sender can find it. Only what the
clinic records is kept: the patient's identity, conditions, current medicines, allergies and
PHQ-9/GAD-7 responses. No Django here.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import date

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from kapcare.measures import scoring
from kapcare.referrals import rules
from kapcare.text import problem_in

# US Core's birth sex extension; without it the sex at birth is recorded as unknown (a FHIR
# `gender` is administrative, not the sex at birth).
BIRTH_SEX_EXTENSION = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
BIRTH_SEX_CODES = frozenset({"F", "M", "UNK"})
# Identifiers kept for matching are the referrer's record numbers; national and travel
# documents (v2 table 0203: SS, DL, PPN, SB) are not copied into the clinic's record.
UNKEPT_IDENTIFIER_TYPES = frozenset({"SS", "DL", "PPN", "SB"})
UNKEPT_IDENTIFIER_SYSTEMS = frozenset({"http://hl7.org/fhir/sid/us-ssn"})
MEDICATION_TYPES = frozenset(rules.CURRENT_MEDICATION_STATUSES)
# The longest text each of the patient's fields takes (the columns of `patients.Patient`):
# a longer one is refused at its place, never cut short.
IDENTIFIER_LIMIT = 255  # referrals.PatientIdentifier's system and value
PATIENT_TEXT_LIMITS = {
    "given_name": ("name", 100),
    "family_name": ("name", 100),
    "phone": ("telecom", 40),
    "email": ("telecom", 254),
    "address_line": ("address", 200),
    "city": ("address", 100),
    "state": ("address", 40),
    "postal_code": ("address", 12),
}


@dataclass(frozen=True)
class Problem:
    """Where (a FHIRPath expression) and what."""

    expression: str
    message: str


class BundleError(ValueError):
    def __init__(self, problems: list[Problem], *, status: int = 422):
        self.problems = problems
        self.status = status
        super().__init__("; ".join(f"{p.expression}: {p.message}" for p in problems))


@dataclass
class ReferredPatient:
    given_name: str
    family_name: str
    birth_date: str  # ISO date
    sex_at_birth: str
    identifiers: list[list[str]] = field(default_factory=list)  # [system, value]
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def born_on(self) -> date:
        return date.fromisoformat(self.birth_date)


@dataclass
class ReferredItem:
    """A condition or medicine as the referrer recorded it, with what it flags."""

    entry: int
    text: str
    codings: list[list[str]]  # [system, code, display]
    is_current: bool
    flags: list[str] = field(default_factory=list)  # catalogue codes

    def coding_labels(self) -> list[str]:
        return [rules.Coding(*c).label for c in self.codings]


@dataclass
class ReferredQuestionnaire:
    entry: int
    instrument: str
    answers: list
    stated_total: int | None
    authored: str = ""


@dataclass
class Referral:
    """Everything kept from one bundle."""

    patient: ReferredPatient
    patient_entry: int
    conditions: list[ReferredItem] = field(default_factory=list)
    medications: list[ReferredItem] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)
    questionnaires: list[ReferredQuestionnaire] = field(default_factory=list)
    entry_count: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Referral":
        return cls(
            patient=ReferredPatient(**data["patient"]),
            patient_entry=data["patient_entry"],
            conditions=[ReferredItem(**c) for c in data["conditions"]],
            medications=[ReferredItem(**m) for m in data["medications"]],
            allergies=list(data["allergies"]),
            questionnaires=[ReferredQuestionnaire(**q) for q in data["questionnaires"]],
            entry_count=data["entry_count"],
        )


# --- Reading ---------------------------------------------------------------------------------


def read_bundle(body: bytes) -> Referral:
    """The referral in `body`, or `BundleError` naming each problem (400 when the body is
    not JSON at all, 422 when it is not a referral kapcare can take)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleError(
            [Problem("Bundle", f"The body is not JSON: {error}.")], status=400
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleError([Problem("Bundle", "Send a FHIR Bundle (resourceType 'Bundle').")])
    if data.get("type") != "transaction":
        raise BundleError([Problem("Bundle.type", "A referral is a Bundle of type 'transaction'.")])
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BundleError([Problem("Bundle.entry", "The bundle has no entries.")])
    resources = _validated_resources(entries)
    return _referral(resources, len(entries))


def _validated_resources(entries: list) -> list[tuple[int, dict, str]]:
    """(index, resource as JSON, fullUrl) of each entry, each validated against its R4B
    model; every invalid entry is reported, not only the first."""
    problems, resources = [], []
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(Problem(f"{where}.resource", "The entry has no resource."))
            continue
        if text := problem_in(entry):
            problems.append(Problem(where, text))
            continue
        try:
            model = get_fhir_model_class(str(resource.get("resourceType")))
        except (ValueError, KeyError):
            problems.append(
                Problem(
                    f"{where}.resource.resourceType",
                    f"'{resource.get('resourceType')}' is not a FHIR R4 resource type.",
                )
            )
            continue
        try:
            model.model_validate(resource)
        except ValidationError as error:
            for detail in error.errors()[:5]:
                path = ".".join(str(part) for part in detail["loc"] if part != "__root__")
                problems.append(
                    Problem(f"{where}.resource" + (f".{path}" if path else ""), detail["msg"])
                )
            continue
        resources.append((index, resource, str(entry.get("fullUrl", ""))))
    if problems:
        raise BundleError(problems)
    return resources


def _referral(resources: list[tuple[int, dict, str]], entry_count: int) -> Referral:
    patients = [(i, r) for i, r, _ in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise BundleError(
            [
                Problem(
                    "Bundle.entry",
                    f"A referral names exactly one Patient (it names {len(patients)}).",
                )
            ]
        )
    patient_entry, patient = patients[0]
    medicines = {url: r for _, r, url in resources if r["resourceType"] == "Medication" and url}
    rows = rules.code_map()
    referral = Referral(
        patient=_patient(patient_entry, patient),
        patient_entry=patient_entry,
        entry_count=entry_count,
    )
    for index, resource, _ in resources:
        kind = resource["resourceType"]
        if kind == "Condition":
            condition = _condition(index, resource, rows)
            if condition is not None:
                referral.conditions.append(condition)
        elif kind in MEDICATION_TYPES:
            referral.medications.append(_medication(index, resource, medicines, rows))
        elif kind == "AllergyIntolerance":
            referral.allergies.append(_text(resource.get("code", {})) or "an unnamed allergy")
        elif kind == "QuestionnaireResponse":
            questionnaire = _questionnaire(index, resource)
            if questionnaire is not None:
                referral.questionnaires.append(questionnaire)
    return referral


def _patient(index: int, resource: dict) -> ReferredPatient:
    where = f"Bundle.entry[{index}].resource"
    names = resource.get("name") or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = " ".join(name.get("given") or []).strip()
    family = (name.get("family") or "").strip()
    problems = []
    if not given or not family:
        problems.append(Problem(f"{where}.name", "The patient needs a given and a family name."))
    if not resource.get("birthDate") or len(resource["birthDate"]) != 10:
        problems.append(
            Problem(f"{where}.birthDate", "The patient needs a full birth date (YYYY-MM-DD).")
        )
    if problems:
        raise BundleError(problems)
    sex = next(
        (
            e.get("valueCode")
            for e in resource.get("extension", [])
            if e.get("url") == BIRTH_SEX_EXTENSION and e.get("valueCode") in BIRTH_SEX_CODES
        ),
        "UNK",
    )
    telecom = resource.get("telecom") or []
    address = (resource.get("address") or [{}])[0]
    referred = ReferredPatient(
        given_name=given,
        family_name=family,
        birth_date=resource["birthDate"],
        sex_at_birth=sex,
        identifiers=[
            [i["system"], i["value"]] for i in resource.get("identifier", []) if _is_kept(i)
        ],
        phone=next((t["value"] for t in telecom if t.get("system") == "phone"), ""),
        email=next((t["value"] for t in telecom if t.get("system") == "email"), ""),
        address_line=", ".join(address.get("line") or []),
        city=address.get("city") or "",
        state=address.get("state") or "",
        postal_code=address.get("postalCode") or "",
    )
    too_long = [
        Problem(f"{where}.{element}", f"Longer than kapcare keeps ({limit} characters).")
        for name, (element, limit) in PATIENT_TEXT_LIMITS.items()
        if len(getattr(referred, name)) > limit
    ]
    too_long += [
        Problem(
            f"{where}.identifier", f"Longer than kapcare keeps ({IDENTIFIER_LIMIT} characters)."
        )
        for system, value in referred.identifiers
        if max(len(system), len(value)) > IDENTIFIER_LIMIT
    ][:1]
    if too_long:
        raise BundleError(too_long)
    return referred


def _is_kept(identifier: dict) -> bool:
    types = {c.get("code") for c in (identifier.get("type") or {}).get("coding", [])}
    return (
        bool(identifier.get("system") and identifier.get("value"))
        and identifier["system"] not in UNKEPT_IDENTIFIER_SYSTEMS
        and not types & UNKEPT_IDENTIFIER_TYPES
    )


def _codings(concept: dict) -> list[list[str]]:
    return [
        [c.get("system", ""), c.get("code", ""), c.get("display", "")]
        for c in concept.get("coding", [])
        if c.get("code")
    ]


def _text(concept: dict) -> str:
    if concept.get("text"):
        return concept["text"]
    return next((c.get("display") for c in concept.get("coding", []) if c.get("display")), "")


def _status(concept: dict | None) -> str | None:
    codes = [c.get("code") for c in (concept or {}).get("coding", [])]
    return codes[0] if codes else None


def _condition(index: int, resource: dict, rows) -> ReferredItem | None:
    if not rules.is_recorded_condition(_status(resource.get("verificationStatus"))):
        return None
    has_abated = any(key.startswith("abatement") for key in resource)
    is_active = rules.is_active_condition(
        _status(resource.get("clinicalStatus")), has_abated=has_abated
    )
    concept = resource.get("code", {})
    codings = _codings(concept)
    flags = rules.flags_for(
        tuple(rules.Coding(*c) for c in codings),
        kind=rules.CONTRAINDICATION,
        is_active=is_active,
        rows=rows,
    )
    return ReferredItem(
        entry=index,
        text=_text(concept) or "an unnamed condition",
        codings=codings,
        is_current=is_active,
        flags=[flag.catalogue for flag in flags],
    )


def _medication(index: int, resource: dict, medicines: dict, rows) -> ReferredItem:
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        reference = (resource.get("medicationReference") or {}).get("reference", "")
        concept = medicines.get(reference, {}).get("code", {})
    codings = _codings(concept)
    is_current = rules.is_current_medication(resource["resourceType"], resource.get("status"))
    flags = rules.flags_for(
        tuple(rules.Coding(*c) for c in codings),
        kind=rules.INTERACTION,
        is_active=is_current,
        rows=rows,
    )
    return ReferredItem(
        entry=index,
        text=_text(concept) or "an unnamed medicine",
        codings=codings,
        is_current=is_current,
        flags=[flag.catalogue for flag in flags],
    )


def _questionnaire(index: int, resource: dict) -> ReferredQuestionnaire | None:
    """A PHQ-9 or GAD-7 response as its answers, checked with the instrument's own scoring
    so that an unscorable one is refused here, naming the entry. Other questionnaires are
    not imported."""
    where = f"Bundle.entry[{index}].resource"
    codings = tuple(rules.Coding(c[0], c[1]) for c in _codings(resource.get("code", {}) or {}))
    instrument = rules.instrument_for(resource.get("questionnaire", ""), codings)
    if instrument is None or resource.get("status") not in ("completed", "amended"):
        return None
    try:
        answers, stated_total = rules.questionnaire_answers(instrument, resource.get("item", []))
        scoring.score(instrument, answers)
    except (rules.QuestionnaireError, scoring.AnswerError) as error:
        raise BundleError([Problem(f"{where}.item", str(error))]) from error
    return ReferredQuestionnaire(
        entry=index,
        instrument=instrument,
        answers=answers,
        stated_total=stated_total,
        authored=resource.get("authored", ""),
    )
