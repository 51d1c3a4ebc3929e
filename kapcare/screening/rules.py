"""Medical screening and eligibility: the clinical rules, as pure functions over plain values.

No Django here. The models, services and pages call these; the dosing gates will too
(`eligibility_status` is gate 1's input).

Sources used throughout (cited by short name below):

- **Ketalar label**: ketamine hydrochloride injection, US prescribing information (Par
  Pharmaceutical), section 4 Contraindications — "patients for whom a significant
  elevation of blood pressure would constitute a serious hazard" and known
  hypersensitivity to ketamine.
- **Spravato label**: esketamine nasal spray, US prescribing information (Janssen).
  Section 4 Contraindications: aneurysmal vascular disease or arteriovenous malformation,
  history of intracerebral haemorrhage, hypersensitivity to esketamine or ketamine.
  Section 5 Warnings: blood pressure rises (assess before each dose; consider delaying if
  above 140/90), abuse and misuse, psychosis (assess benefit/risk). Section 7 Drug
  interactions: psychostimulants and MAOIs may raise blood pressure. Section 8: not
  recommended in pregnancy, while breastfeeding, or in severe hepatic impairment
  (Child-Pugh C). The EU SmPC also contraindicates a recent (≤ 6 weeks) cardiovascular
  event, including myocardial infarction.
- **Sanacora 2017**: Sanacora G, et al. (APA Council of Research Task Force) "A consensus
  statement on the use of ketamine in the treatment of mood disorders", JAMA Psychiatry
  2017;74(4):399–405 — cardiovascular and psychosis assessment, substance use history,
  careful weighing of risk in off-label use.
- **ASKP3**: American Society of Ketamine Physicians, Psychotherapists and Practitioners,
  best-practice guidance — a full history and physical including psychiatric and
  substance use history, medications and allergies documented before treatment. Which
  ASKP3 document (title, year) is still to be confirmed: docs/clinical-reference.md#askp3.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# --- Contraindication catalogue ---------------------------------------------------------------

ABSOLUTE = "absolute"
RELATIVE = "relative"


@dataclass(frozen=True)
class DefaultContraindication:
    """One entry of the catalogue a clinic starts with; the clinic's admin may edit it."""

    code: str
    name: str
    severity: str
    description: str
    source: str


# Why each entry is absolute (blocks "eligible") or relative (needs a clinician's written
# justification). Where the sources say "contraindicated" or "not recommended" for an
# elective treatment, the default is absolute; where they say "assess benefit and risk" or
# "monitor", it is relative. A clinic may change any severity; answers keep the severity
# they were given under.
DEFAULT_CONTRAINDICATIONS: tuple[DefaultContraindication, ...] = (
    DefaultContraindication(
        code="uncontrolled_hypertension",
        name="Uncontrolled hypertension",
        severity=ABSOLUTE,
        description=(
            "High blood pressure that is untreated or not at goal despite treatment. "
            "Ketamine raises blood pressure, most at about 40 minutes into an infusion."
        ),
        source=(
            "Absolute: Ketalar label §4 (contraindicated where a significant rise in blood "
            "pressure would be a serious hazard); Spravato label §5; Sanacora 2017."
        ),
    ),
    DefaultContraindication(
        code="controlled_hypertension",
        name="Hypertension, controlled on treatment",
        severity=RELATIVE,
        description="Diagnosed high blood pressure that is at goal on treatment.",
        source=(
            "Relative: Spravato label §5 (assess blood pressure before each dose and monitor "
            "after); Sanacora 2017 (cardiovascular risk to be weighed, not excluded outright)."
        ),
    ),
    DefaultContraindication(
        code="unstable_cardiovascular_disease",
        name="Unstable cardiovascular disease",
        severity=ABSOLUTE,
        description=(
            "E.g. unstable angina, decompensated heart failure, uncontrolled arrhythmia, "
            "severe valve disease."
        ),
        source=(
            "Absolute: Ketalar label §4 and §5 (cardiovascular stimulation); Spravato label "
            "§5 (cardiovascular and cerebrovascular conditions); Sanacora 2017."
        ),
    ),
    DefaultContraindication(
        code="recent_myocardial_infarction",
        name="Recent myocardial infarction (heart attack)",
        severity=ABSOLUTE,
        description="A heart attack or other acute cardiovascular event in the last 6 weeks.",
        source=(
            "Absolute: Spravato EU SmPC §4.3 (cardiovascular event, including myocardial "
            "infarction, within the previous 6 weeks); Sanacora 2017."
        ),
    ),
    DefaultContraindication(
        code="aneurysm",
        name="Aneurysm or arteriovenous malformation",
        severity=ABSOLUTE,
        description=(
            "Aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or "
            "peripheral arteries) or an arteriovenous malformation."
        ),
        source="Absolute: Spravato label §4 Contraindications.",
    ),
    DefaultContraindication(
        code="intracerebral_haemorrhage",
        name="History of bleeding in the brain (intracerebral haemorrhage)",
        severity=ABSOLUTE,
        description="Any past intracerebral haemorrhage.",
        source="Absolute: Spravato label §4 Contraindications.",
    ),
    DefaultContraindication(
        code="active_psychosis",
        name="Active psychosis",
        severity=ABSOLUTE,
        description="Current hallucinations, delusions or disorganised thinking.",
        source=(
            "Absolute: Sanacora 2017 (ketamine can worsen psychotic symptoms; active "
            "psychosis excluded from the trials); Spravato label §5."
        ),
    ),
    DefaultContraindication(
        code="psychotic_disorder_history",
        name="History of a psychotic disorder",
        severity=RELATIVE,
        description=(
            "A past diagnosis of schizophrenia, schizoaffective disorder, or an episode of "
            "psychosis (including mania with psychotic features), not active now."
        ),
        source=(
            "Relative: Spravato label §5 (assess benefit and risk before starting in "
            "patients with a history of psychosis); Sanacora 2017."
        ),
    ),
    DefaultContraindication(
        code="pregnancy",
        name="Pregnancy or breastfeeding",
        severity=ABSOLUTE,
        description=(
            "Answered through the pregnancy question, not as yes/no: pregnant or "
            "breastfeeding counts as present; 'possibly pregnant' must be resolved."
        ),
        source=(
            "Absolute: Spravato label §8.1–8.2 (not recommended in pregnancy or while "
            "breastfeeding; NMDA antagonists harm the developing brain in animal studies)."
        ),
    ),
    DefaultContraindication(
        code="active_substance_use_disorder",
        name="Active substance use disorder, including ketamine misuse",
        severity=ABSOLUTE,
        description=(
            "Current problematic use of alcohol or drugs, especially ketamine or other "
            "dissociatives (PCP, DXM)."
        ),
        source=(
            "Absolute: Spravato label boxed warning and §5 (abuse and misuse); Sanacora "
            "2017 (active substance use excluded; ketamine is a drug of misuse); ASKP3 guidance."
        ),
    ),
    DefaultContraindication(
        code="substance_use_disorder_history",
        name="History of substance use disorder, in remission",
        severity=RELATIVE,
        description="A past substance use disorder with no problematic use now.",
        source=(
            "Relative: Spravato label §5 (assess risk and monitor for abuse in patients "
            "with a substance use history); Sanacora 2017; ASKP3 guidance."
        ),
    ),
    DefaultContraindication(
        code="raised_intracranial_or_intraocular_pressure",
        name="Raised intracranial or intraocular pressure",
        severity=ABSOLUTE,
        description=(
            "E.g. an intracranial mass or hydrocephalus, untreated angle-closure glaucoma, "
            "or a recent penetrating eye injury."
        ),
        source=(
            "Absolute: Ketalar label §5 (ketamine can raise intracranial and intraocular "
            "pressure); for an elective treatment the risk is not taken (Sanacora 2017)."
        ),
    ),
    DefaultContraindication(
        code="severe_hepatic_impairment",
        name="Severe hepatic impairment",
        severity=ABSOLUTE,
        description="Severe liver disease (Child-Pugh class C).",
        source=(
            "Absolute: Spravato label §8.7 (not recommended in Child-Pugh C; ketamine is "
            "cleared by the liver, and repeated exposure has been linked to liver injury)."
        ),
    ),
    DefaultContraindication(
        code="ketamine_hypersensitivity",
        name="Allergy (hypersensitivity) to ketamine or esketamine",
        severity=ABSOLUTE,
        description="A known allergic reaction to ketamine, esketamine or their excipients.",
        source="Absolute: Ketalar label §4; Spravato label §4 Contraindications.",
    ),
    DefaultContraindication(
        code="prior_adverse_reaction_to_ketamine",
        name="Prior serious adverse reaction to ketamine",
        severity=RELATIVE,
        description=(
            "A serious reaction other than allergy, e.g. a severe emergence reaction, "
            "laryngospasm or a hypertensive crisis during earlier ketamine."
        ),
        source=(
            "Relative: Ketalar label §5 (emergence reactions, airway events); the clinician "
            "weighs what happened and how it can be prevented (ASKP3 guidance)."
        ),
    ),
)

PREGNANCY_CODE = "pregnancy"


# --- Interacting medications ------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultInteraction:
    code: str
    name: str
    keywords: tuple[str, ...]
    note: str
    source: str


DEFAULT_MEDICATION_INTERACTIONS: tuple[DefaultInteraction, ...] = (
    DefaultInteraction(
        code="benzodiazepines",
        name="Benzodiazepines",
        keywords=(
            "benzodiazepine",
            "alprazolam",
            "xanax",
            "lorazepam",
            "ativan",
            "clonazepam",
            "klonopin",
            "diazepam",
            "valium",
            "temazepam",
            "restoril",
            "chlordiazepoxide",
            "librium",
            "oxazepam",
            "clobazam",
            "onfi",
            "triazolam",
            "halcion",
            "midazolam",
            "clorazepate",
            "tranxene",
        ),
        note=(
            "May blunt the antidepressant response to ketamine, more so at higher doses "
            "(above about 8 mg diazepam-equivalent a day)."
        ),
        source=(
            "Andrashko et al. 2020, Front Psychiatry 11:844; Feeney et al. 2023, J Clin "
            "Psychiatry 84(1):22m14491; Frye et al. 2015, J Clin Psychiatry."
        ),
    ),
    DefaultInteraction(
        code="lamotrigine",
        name="Lamotrigine",
        keywords=("lamotrigine", "lamictal", "subvenite"),
        note=(
            "Reduces glutamate release and may blunt ketamine's dissociative (and possibly "
            "antidepressant) effects."
        ),
        source=(
            "Anand et al. 2000, Arch Gen Psychiatry 57(3):270–276; review: Wilkowska et al. "
            "2022, Cells 11(4):645 (mixed findings in patients)."
        ),
    ),
    DefaultInteraction(
        code="maois",
        name="Monoamine oxidase inhibitors (MAOIs)",
        keywords=(
            "maoi",
            "phenelzine",
            "nardil",
            "tranylcypromine",
            "parnate",
            "isocarboxazid",
            "marplan",
            "selegiline",
            "emsam",
            "eldepryl",
            "zelapar",
            "rasagiline",
            "azilect",
            "safinamide",
            "xadago",
            "moclobemide",
            "linezolid",
            "zyvox",
        ),
        note="Risk of a hypertensive reaction: ketamine and MAOIs both raise blood pressure.",
        source="Spravato label §7 (MAOIs may increase blood pressure; monitor closely).",
    ),
    DefaultInteraction(
        code="stimulants",
        name="Stimulants",
        keywords=(
            "stimulant",
            "amphetamine",
            "dextroamphetamine",
            "lisdexamfetamine",
            "methamphetamine",
            "adderall",
            "vyvanse",
            "dexedrine",
            "mydayis",
            "evekeo",
            "desoxyn",
            "methylphenidate",
            "dexmethylphenidate",
            "ritalin",
            "concerta",
            "focalin",
            "quillichew",
            "modafinil",
            "armodafinil",
            "provigil",
            "nuvigil",
            "phentermine",
        ),
        note="Adds to ketamine's rise in blood pressure and heart rate.",
        source=(
            "Spravato label §7 (psychostimulants such as amphetamines, methylphenidate, "
            "modafinil and armodafinil may increase blood pressure)."
        ),
    ),
)


@dataclass(frozen=True)
class InteractionClass:
    """A class of medicines that interacts with ketamine, as a clinic's catalogue has it."""

    name: str
    keywords: tuple[str, ...]
    note: str = ""
    code: str = ""


def parse_keywords(text: str) -> tuple[str, ...]:
    """Keywords typed by an admin, one per comma or line, lower-cased and without repeats."""
    seen: list[str] = []
    for part in re.split(r"[,\n;]", text or ""):
        word = " ".join(part.split()).lower()
        if word and word not in seen:
            seen.append(word)
    return tuple(seen)


def matches_keyword(medication_name: str, keyword: str) -> bool:
    """Does `keyword` occur in the name as a whole word, or its plural (so "ativan" flags
    "Ativan 1 mg" and "maoi" flags "MAOIs" but not "Maoism")? Case and extra spaces do not
    matter."""
    name = " ".join((medication_name or "").split()).lower()
    keyword = " ".join((keyword or "").split()).lower()
    if not name or not keyword:
        return False
    return re.search(rf"(?<![a-z0-9]){re.escape(keyword)}s?(?![a-z0-9])", name) is not None


def interaction_flags(
    medication_name: str, classes: Iterable[InteractionClass], coded: Iterable[str] = ()
) -> list[InteractionClass]:
    """The interacting classes a medication belongs to, by keyword (generic or brand
    name), or by the class's `code` when the medication came coded (a referral's RxNorm
    code, mapped in kapcare/referrals/data/codes.csv), in the catalogue's order. A name
    matched by neither is not flagged: the clinician's review of each medication remains
    the safety net."""
    coded = frozenset(coded)
    return [
        c
        for c in classes
        if (c.code and c.code in coded)
        or any(matches_keyword(medication_name, k) for k in c.keywords)
    ]


# --- Blood pressure and weight ----------------------------------------------------------------

# Plausibility limits: they catch typing slips (e.g. 1400 for 140, the two numbers swapped),
# not clinical judgement. A reading outside them is refused, never stored.
SYSTOLIC_RANGE = (60, 260)
DIASTOLIC_RANGE = (30, 160)


def blood_pressure_problems(systolic: int | None, diastolic: int | None) -> dict[str, str]:
    """Why a blood-pressure reading cannot be right, keyed by the field to show it at
    ("systolic" or "diastolic"); empty when it is plausible."""
    problems: dict[str, str] = {}
    if systolic is not None and not SYSTOLIC_RANGE[0] <= systolic <= SYSTOLIC_RANGE[1]:
        problems["systolic"] = (
            f"Systolic pressure must be between {SYSTOLIC_RANGE[0]} and {SYSTOLIC_RANGE[1]} "
            "mmHg; check the reading."
        )
    if diastolic is not None and not DIASTOLIC_RANGE[0] <= diastolic <= DIASTOLIC_RANGE[1]:
        problems["diastolic"] = (
            f"Diastolic pressure must be between {DIASTOLIC_RANGE[0]} and "
            f"{DIASTOLIC_RANGE[1]} mmHg; check the reading."
        )
    if systolic is not None and diastolic is not None and not problems and diastolic >= systolic:
        problems["diastolic"] = (
            "Diastolic pressure must be lower than systolic; were the two numbers swapped?"
        )
    if (systolic is None) != (diastolic is None):
        missing = "diastolic" if diastolic is None else "systolic"
        problems.setdefault(missing, "Enter both numbers of the reading, e.g. 128 / 82.")
    return problems


@dataclass(frozen=True)
class BloodPressureThresholds:
    """Warn and hold levels (mmHg). Defaults as gate 9 has them: warn at 140/90 (also the
    Spravato label's level for weighing a dose and ACC/AHA 2017 stage 2), hold at 160/100
    (JNC 7 stage 2). Clinics differ, so these are settings
    (docs/clinical-reference.md#pre-dose-blood-pressure)."""

    warn_systolic: int = 140
    warn_diastolic: int = 90
    hold_systolic: int = 160
    hold_diastolic: int = 100


BP_NORMAL = "normal"
BP_WARN = "warn"
BP_HOLD = "hold"


def classify_blood_pressure(
    systolic: int, diastolic: int, thresholds: BloodPressureThresholds
) -> str:
    """ "hold" at or above either hold level, "warn" at or above either warn level, else
    "normal"."""
    if systolic >= thresholds.hold_systolic or diastolic >= thresholds.hold_diastolic:
        return BP_HOLD
    if systolic >= thresholds.warn_systolic or diastolic >= thresholds.warn_diastolic:
        return BP_WARN
    return BP_NORMAL


# --- Pregnancy --------------------------------------------------------------------------------

NOT_PREGNANT = "not_pregnant"
PREGNANT = "pregnant"
BREASTFEEDING = "breastfeeding"
POSSIBLY_PREGNANT = "possibly_pregnant"
NOT_APPLICABLE = "not_applicable"

MALE = "M"


def pregnancy_question_applies(sex_at_birth: str) -> bool:
    """Asked unless the sex assigned at birth is recorded as male: female, unknown and
    declined are all asked, so that nobody who could be pregnant is skipped."""
    return sex_at_birth != MALE


def pregnancy_contraindication_present(status: str) -> bool | None:
    """Pregnant or breastfeeding: present. Possibly pregnant: unknown (None) until a test
    or the clinician resolves it. Anything else: absent."""
    if status in (PREGNANT, BREASTFEEDING):
        return True
    if status == POSSIBLY_PREGNANT:
        return None
    return False


# --- Substance use ----------------------------------------------------------------------------

ALCOHOL = "alcohol"
CANNABIS = "cannabis"
STIMULANTS = "stimulants"
OPIOIDS = "opioids"
DISSOCIATIVES = "dissociatives"

SUBSTANCES: tuple[tuple[str, str], ...] = (
    (ALCOHOL, "Alcohol"),
    (CANNABIS, "Cannabis"),
    (STIMULANTS, "Stimulants not prescribed to you (cocaine, methamphetamine, others)"),
    (OPIOIDS, "Opioids not prescribed to you (heroin, fentanyl, pain pills)"),
    (DISSOCIATIVES, "Ketamine or other dissociatives (PCP, DXM, nitrous oxide)"),
)

NEVER = "never"
NOT_IN_PAST_YEAR = "not_in_past_year"
MONTHLY_OR_LESS = "monthly_or_less"
WEEKLY = "weekly"
DAILY = "daily"

FREQUENCIES: tuple[tuple[str, str], ...] = (
    (NEVER, "Never"),
    (NOT_IN_PAST_YEAR, "Not in the past year"),
    (MONTHLY_OR_LESS, "Monthly or less"),
    (WEEKLY, "Weekly"),
    (DAILY, "Daily or almost daily"),
)

PAST_WEEK = "past_week"
PAST_MONTH = "past_month"
PAST_YEAR = "past_year"
OVER_A_YEAR = "over_a_year"

LAST_USES: tuple[tuple[str, str], ...] = (
    (PAST_WEEK, "In the past week"),
    (PAST_MONTH, "In the past month"),
    (PAST_YEAR, "In the past year"),
    (OVER_A_YEAR, "More than a year ago"),
)


def substance_use_problem(frequency: str, last_use: str) -> str | None:
    """Why a frequency and a last use cannot both be true, or None."""
    if frequency == NEVER:
        if last_use:
            return "You said never; leave 'last use' empty, or change how often."
        return None
    if not last_use:
        return "Say roughly when you last used it."
    if frequency == NOT_IN_PAST_YEAR and last_use != OVER_A_YEAR:
        return "You said not in the past year, so the last use was more than a year ago."
    if frequency in (MONTHLY_OR_LESS, WEEKLY, DAILY) and last_use == OVER_A_YEAR:
        return "Use in the past year cannot have been last more than a year ago."
    return None


def substance_use_flags(uses: Iterable[tuple[str, str]]) -> list[str]:
    """What in the substance-use answers needs the clinician's attention, given
    (substance, frequency) pairs.

    Any ketamine or dissociative use in the past year: ask about misuse (ketamine misuse is
    an absolute contraindication by default; Spravato boxed warning). Weekly or daily use
    of anything listed: assess for a substance use disorder (Sanacora 2017;
    docs/clinical-reference.md#substance-use).
    """
    labels = dict(SUBSTANCES)
    flags = []
    for substance, frequency in uses:
        label = labels.get(substance, substance)
        if substance == DISSOCIATIVES and frequency not in (NEVER, NOT_IN_PAST_YEAR, ""):
            flags.append(f"{label}: used in the past year; ask about misuse.")
        elif frequency in (WEEKLY, DAILY):
            how_often = dict(FREQUENCIES)[frequency].lower()
            flags.append(f"{label}: used {how_often}; assess for a substance use disorder.")
    return flags


# --- Completing a screening -------------------------------------------------------------------


def completion_problems(
    *,
    systolic: int | None,
    diastolic: int | None,
    weight_kg,
    pregnancy_status: str,
    unreviewed_conditions: Sequence[str],
) -> dict[str, str]:
    """What stops a clinician signing the screening off, keyed by field ("__all__" for the
    form as a whole). A completed screening has a plausible blood pressure, a weight, a
    pregnancy status that is not left at "possibly pregnant" (resolve it, e.g. with a
    test: docs/clinical-reference.md#day-of-checklist), and a yes or no from the clinician on every
    condition."""
    problems: dict[str, str] = {}
    if systolic is None:
        problems["systolic"] = "Record the blood pressure before completing the screening."
    if diastolic is None:
        problems["diastolic"] = "Record the blood pressure before completing the screening."
    if weight_kg is None:
        problems["weight"] = "Record the weight before completing the screening."
    if pregnancy_status == POSSIBLY_PREGNANT:
        problems["pregnancy_status"] = (
            "Resolve 'possibly pregnant' (e.g. with a pregnancy test) before completing."
        )
    if unreviewed_conditions:
        problems["__all__"] = "Confirm present or absent for: " + "; ".join(unreviewed_conditions)
    return problems


# --- Eligibility ------------------------------------------------------------------------------

ELIGIBLE = "eligible"
ELIGIBLE_WITH_CONDITIONS = "eligible_with_conditions"
NOT_ELIGIBLE = "not_eligible"


@dataclass(frozen=True)
class ScreeningFindings:
    """What a completed screening found, in the words the decision page shows."""

    is_completed: bool
    absolute_contraindications: tuple[str, ...] = ()
    relative_contraindications: tuple[str, ...] = ()
    medication_flags: tuple[str, ...] = ()
    blood_pressure: str = ""
    blood_pressure_level: str = ""
    other_flags: tuple[str, ...] = ()
    thresholds: BloodPressureThresholds = field(default_factory=BloodPressureThresholds)

    @property
    def blood_pressure_concern(self) -> str:
        """The blood pressure as a sentence when it is at or above the warn level."""
        t = self.thresholds
        if self.blood_pressure_level == BP_HOLD:
            return (
                f"Blood pressure at screening {self.blood_pressure} mmHg, at or above the "
                f"hold level ({t.hold_systolic}/{t.hold_diastolic})."
            )
        if self.blood_pressure_level == BP_WARN:
            return (
                f"Blood pressure at screening {self.blood_pressure} mmHg, at or above the "
                f"warning level ({t.warn_systolic}/{t.warn_diastolic})."
            )
        return ""

    @property
    def concerns(self) -> tuple[str, ...]:
        """Everything short of an absolute contraindication that a clinician must answer in
        writing before finding the patient eligible."""
        items = [f"Relative contraindication: {name}" for name in self.relative_contraindications]
        items += [f"Medication: {flag}" for flag in self.medication_flags]
        if self.blood_pressure_concern:
            items.append(self.blood_pressure_concern)
        items += list(self.other_flags)
        return tuple(items)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every finding, absolute ones first: the decision's recorded reasons."""
        absolute = [f"Absolute contraindication: {n}" for n in self.absolute_contraindications]
        return (*absolute, *self.concerns)


def decision_problems(
    decision: str, findings: ScreeningFindings, *, conditions: str, justification: str
) -> dict[str, str]:
    """Why an eligibility decision cannot be recorded as given, keyed by the field to show
    it at ("__all__" for the whole form); empty when it may be.

    - No decision without a screening completed by a clinician (gate 1;
      docs/clinical-reference.md#eligibility-decision-validity).
    - An absolute contraindication blocks "eligible" and "eligible with conditions".
    - Anything relative (a relative contraindication, an interacting medication, a blood
      pressure at or above the hold level, a substance-use flag) needs a written
      justification before "eligible" or "eligible with conditions": each absolute
      contraindication blocks, each relative one "needs a clinician's reasoned sign-off"
      (docs/clinical-reference.md#contraindications).
    - "Eligible with conditions" needs the conditions written down.
    - "Not eligible" without any absolute contraindication needs a justification.
    """
    if not findings.is_completed:
        return {
            "__all__": (
                "The medical screening must be completed and signed by a clinician before "
                "eligibility can be decided."
            )
        }
    problems: dict[str, str] = {}
    allows_treatment = decision in (ELIGIBLE, ELIGIBLE_WITH_CONDITIONS)
    if allows_treatment and findings.absolute_contraindications:
        names = "; ".join(findings.absolute_contraindications)
        problems["decision"] = (
            f"Absolute contraindication present: {names}. The patient cannot be found "
            "eligible while it is present; correct the screening if it is wrong."
        )
        return problems
    if decision == ELIGIBLE_WITH_CONDITIONS and not conditions.strip():
        problems["conditions"] = "Write the conditions the patient is eligible under."
    if allows_treatment and findings.concerns and not justification.strip():
        problems["justification"] = (
            "The screening raised "
            + "; ".join(findings.concerns)
            + " Write why treatment is still appropriate."
        )
    if (
        decision == NOT_ELIGIBLE
        and not findings.absolute_contraindications
        and not justification.strip()
    ):
        problems["justification"] = (
            "No absolute contraindication was recorded: write why the patient is not eligible."
        )
    return problems


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day
    (Jan 31 + 1 month = Feb 28 or 29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = _days_in_month(year, month)
    return date(year, month, min(day.day, last_day))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def valid_until(decided_on: date, valid_months: int) -> date:
    """The last day a decision is valid: the day before it turns `valid_months` old, since
    gate 1 asks for a decision "less than 12 months old" (the clinic's
    `eligibility_valid_months`; docs/clinical-reference.md#eligibility-decision-validity)."""
    return add_months(decided_on, valid_months) - timedelta(days=1)


def format_day(day: date) -> str:
    """A date as the pages show it, e.g. "Jan 14, 2027"."""
    return f"{day:%b} {day.day}, {day.year}"


# --- Eligibility status -----------------------------------------------------------------------

NOT_SCREENED = "not_screened"
EXPIRED = "expired"
REVIEW_NEEDED = "review_needed"


@dataclass(frozen=True)
class EligibilityStatus:
    """Where a patient stands, for the chart and the dosing gates. The label always says
    it in words; the badge class only adds colour."""

    state: str
    label: str
    badge: str
    valid_until: date | None = None
    detail: str = ""

    @property
    def is_eligible(self) -> bool:
        """May dosing go ahead as far as gate 1 is concerned?"""
        return self.state in (ELIGIBLE, ELIGIBLE_WITH_CONDITIONS)


def eligibility_status(
    decision, today: date, *, unresolved_absolute: Sequence[str] = ()
) -> EligibilityStatus:
    """The status a decision gives on `today` (the clinic's local date).

    `decision` is the latest decision or None; anything with `decision` and `valid_until`
    attributes will do. `unresolved_absolute` names absolute contraindications recorded by
    a screening completed after the decision: gate 1 asks for none, so an eligible
    decision then needs review.
    """
    if decision is None:
        return EligibilityStatus(NOT_SCREENED, "Not screened", "badge-new")
    if decision.decision == NOT_ELIGIBLE:
        return EligibilityStatus(NOT_ELIGIBLE, "Not eligible", "badge-danger")
    until = decision.valid_until
    if until is None or today > until:
        expired_on = until + timedelta(days=1) if until else today
        return EligibilityStatus(
            EXPIRED, f"Expired on {format_day(expired_on)}", "badge-warn", valid_until=until
        )
    if unresolved_absolute:
        return EligibilityStatus(
            REVIEW_NEEDED,
            "Review needed",
            "badge-danger",
            valid_until=until,
            detail="Absolute contraindication recorded after the decision: "
            + "; ".join(unresolved_absolute),
        )
    if decision.decision == ELIGIBLE_WITH_CONDITIONS:
        return EligibilityStatus(
            ELIGIBLE_WITH_CONDITIONS,
            f"Eligible with conditions until {format_day(until)}",
            "badge-warn",
            valid_until=until,
        )
    return EligibilityStatus(
        ELIGIBLE, f"Eligible until {format_day(until)}", "badge-ok", valid_until=until
    )
