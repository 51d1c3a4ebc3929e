"""The public-domain screening instruments, as data: items in their published wording,
answer options, severity bands and LOINC codes. No Django imports.

Copyrighted scales (BDI-II, BAI, HAM-A, MADRS, CADSS) are not reproduced here: the clinic
records their totals only, checked against the published range in `LICENSED_SCALES`.

Where a LOINC code could not be confirmed from a published source, the field is left
empty rather than guessed; the comment next to it says so.
"""

from dataclasses import dataclass

LIKERT = "likert"
YES_NO = "yes_no"


@dataclass(frozen=True)
class Option:
    value: int | bool
    label: str


@dataclass(frozen=True)
class Item:
    """One question. `number` is its position in the answers list (1-based); `label` is
    what the form prints ("6b"). `only_if_yes_to` names the item whose "yes" opens this
    one (C-SSRS skip logic); such an item is left unanswered when that answer is "no"."""

    number: int
    text: str
    loinc: str = ""
    label: str = ""
    only_if_yes_to: int | None = None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", str(self.number))


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class UnscoredQuestion:
    """A question printed with an instrument but left out of its total (PHQ-9 item 10)."""

    text: str
    loinc: str
    options: tuple[Option, ...]

    @property
    def option_values(self) -> tuple[int | bool, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    short_name: str
    instructions: str
    loinc_panel: str
    # The code of the instrument's summary result: the total score, or, for the C-SSRS
    # screener, which has no total, the suicide risk level.
    loinc_total: str
    items: tuple[Item, ...]
    options: tuple[Option, ...]
    bands: tuple[Band, ...]
    # How many items may be unanswered and the total still be prorated (see scoring.py).
    max_missing: int
    kind: str
    source: str
    # Printed before the items, after the instructions ("In the past month, how much…").
    item_stem: str = ""
    unscored: UnscoredQuestion | None = None

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def option_values(self) -> tuple[int | bool, ...]:
        return tuple(option.value for option in self.options)

    @property
    def max_total(self) -> int:
        """Highest possible Likert total (items × top option)."""
        return self.item_count * max(int(value) for value in self.option_values)

    def band_for(self, total: int) -> str:
        for band in self.bands:
            if band.contains(total):
                return band.label
        raise ValueError(f"{self.short_name} has no band for a total of {total}.")


FREQUENCY_OPTIONS = (
    Option(0, "Not at all"),
    Option(1, "Several days"),
    Option(2, "More than half the days"),
    Option(3, "Nearly every day"),
)

PHQ9 = Instrument(
    id="phq9",
    name="Patient Health Questionnaire-9",
    short_name="PHQ-9",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    # LOINC codes as in docs/clinical-reference.md#loinc and the US Core and
    # US Behavioral Health Profiles PHQ-9 examples (HL7).
    loinc_panel="44249-1",
    loinc_total="44261-6",
    items=(
        Item(1, "Little interest or pleasure in doing things", "44250-9"),
        Item(2, "Feeling down, depressed, or hopeless", "44255-8"),
        Item(3, "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
        Item(4, "Feeling tired or having little energy", "44254-1"),
        Item(5, "Poor appetite or overeating", "44251-7"),
        Item(
            6,
            "Feeling bad about yourself — or that you are a failure or have let yourself "
            "or your family down",
            "44258-2",
        ),
        Item(
            7,
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "44252-5",
        ),
        Item(
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "44253-3",
        ),
        Item(
            9,
            "Thoughts that you would be better off dead or of hurting yourself in some way",
            "44260-8",
        ),
    ),
    options=FREQUENCY_OPTIONS,
    # Kroenke, Spitzer & Williams 2001: 5, 10, 15 and 20 mark mild, moderate, moderately
    # severe and severe depression.
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    # NHS Data Dictionary, "Patient Health Questionnaire-9": one or two missing values may
    # be replaced by the mean of the answered items; with more than two, disregard it.
    max_missing=2,
    kind=LIKERT,
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16:606-613. Developed with an educational "
        "grant from Pfizer Inc.; no permission required to reproduce, translate, display or "
        "distribute."
    ),
    unscored=UnscoredQuestion(
        text=(
            "If you checked off any problems, how difficult have these problems made it for "
            "you to do your work, take care of things at home, or get along with other "
            "people?"
        ),
        loinc="69722-7",
        options=(
            Option(0, "Not difficult at all"),
            Option(1, "Somewhat difficult"),
            Option(2, "Very difficult"),
            Option(3, "Extremely difficult"),
        ),
    ),
)

GAD7 = Instrument(
    id="gad7",
    name="Generalized Anxiety Disorder-7",
    short_name="GAD-7",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    # Panel and total as in docs/clinical-reference.md#loinc; item codes as in HL7's
    # Personal Health Record format IG GAD-7 example
    # (QuestionnaireResponse-ScoredAssessment-GAD7).
    loinc_panel="69737-5",
    loinc_total="70274-6",
    items=(
        Item(1, "Feeling nervous, anxious or on edge", "69725-0"),
        Item(2, "Not being able to stop or control worrying", "68509-9"),
        Item(3, "Worrying too much about different things", "69733-4"),
        Item(4, "Trouble relaxing", "69734-2"),
        Item(5, "Being so restless that it is hard to sit still", "69735-9"),
        Item(6, "Becoming easily annoyed or irritable", "69689-8"),
        Item(7, "Feeling afraid as if something awful might happen", "69736-7"),
    ),
    options=FREQUENCY_OPTIONS,
    # Spitzer et al. 2006: 5, 10 and 15 mark mild, moderate and severe anxiety.
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    # At most one of seven items may be prorated. A project decision, not a published rule:
    # no GAD-7 missing-item guidance was found; one in seven stays under PHQ-9's two in nine.
    max_missing=1,
    kind=LIKERT,
    source=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097. "
        "No permission required to reproduce, translate, display or distribute."
    ),
)

PCL5 = Instrument(
    id="pcl5",
    name="PTSD Checklist for DSM-5",
    short_name="PCL-5",
    # The paper form says "circle one of the numbers to the right"; the words below are
    # the same instruction for a screen.
    instructions=(
        "Below is a list of problems that people sometimes have in response to a very "
        "stressful experience. Please read each problem carefully and then select one of "
        "the numbers to indicate how much you have been bothered by that problem in the "
        "past month."
    ),
    item_stem="In the past month, how much were you bothered by:",
    # Panel 101697-1 and score 101698-9 come from a single secondary source (a project's
    # instruments page that looked them up on tx.fhir.org); spot-check them at loinc.org.
    # The item codes could not be confirmed anywhere, so they are left empty.
    loinc_panel="101697-1",
    loinc_total="101698-9",
    items=(
        Item(1, "Repeated, disturbing, and unwanted memories of the stressful experience?"),
        Item(2, "Repeated, disturbing dreams of the stressful experience?"),
        Item(
            3,
            "Suddenly feeling or acting as if the stressful experience were actually "
            "happening again (as if you were actually back there reliving it)?",
        ),
        Item(4, "Feeling very upset when something reminded you of the stressful experience?"),
        Item(
            5,
            "Having strong physical reactions when something reminded you of the stressful "
            "experience (for example, heart pounding, trouble breathing, sweating)?",
        ),
        Item(6, "Avoiding memories, thoughts, or feelings related to the stressful experience?"),
        Item(
            7,
            "Avoiding external reminders of the stressful experience (for example, people, "
            "places, conversations, activities, objects, or situations)?",
        ),
        Item(8, "Trouble remembering important parts of the stressful experience?"),
        Item(
            9,
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong "
            "with me, no one can be trusted, the world is completely dangerous)?",
        ),
        Item(
            10,
            "Blaming yourself or someone else for the stressful experience or what happened "
            "after it?",
        ),
        Item(11, "Having strong negative feelings such as fear, horror, anger, guilt, or shame?"),
        Item(12, "Loss of interest in activities that you used to enjoy?"),
        Item(13, "Feeling distant or cut off from other people?"),
        Item(
            14,
            "Trouble experiencing positive feelings (for example, being unable to feel "
            "happiness or have loving feelings for people close to you)?",
        ),
        Item(15, "Irritable behavior, angry outbursts, or acting aggressively?"),
        Item(16, "Taking too many risks or doing things that could cause you harm?"),
        Item(17, 'Being "superalert" or watchful or on guard?'),
        Item(18, "Feeling jumpy or easily startled?"),
        Item(19, "Having difficulty concentrating?"),
        Item(20, "Trouble falling or staying asleep?"),
    ),
    options=(
        Option(0, "Not at all"),
        Option(1, "A little bit"),
        Option(2, "Moderately"),
        Option(3, "Quite a bit"),
        Option(4, "Extremely"),
    ),
    # No severity bands: the National Center for PTSD publishes none. The provisional-PTSD
    # cutoff is a clinic setting applied in scoring.score_pcl5.
    bands=(),
    # No published rule for scoring a PCL-5 with unanswered items was found, so none is
    # prorated: every item must be answered.
    max_missing=0,
    kind=LIKERT,
    source=(
        "Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD "
        "Checklist for DSM-5 (PCL-5), 2013. National Center for PTSD; public domain."
    ),
)

CSSRS_SCREEN = Instrument(
    id="cssrs_screen",
    name="Columbia-Suicide Severity Rating Scale, Screen Version – Recent",
    short_name="C-SSRS screener",
    instructions=(
        "Ask questions 1 and 2. If the answer to 2 is yes, ask questions 3, 4 and 5; if it "
        "is no, go on to question 6. Questions 1 to 5 are about the past month. If the "
        "answer to 6 is yes, ask 6b."
    ),
    # Item codes and the risk-level code (93374-7) as in HL7's US Behavioral Health
    # Profiles C-SSRS example, which cites CMS's copy of the Screen Version. No panel code
    # could be confirmed, so it is left empty.
    loinc_panel="",
    loinc_total="93374-7",
    items=(
        Item(
            1,
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
            "93246-7",
        ),
        Item(2, "Have you actually had any thoughts of killing yourself?", "93247-5"),
        Item(3, "Have you been thinking about how you might do this?", "93248-3", only_if_yes_to=2),
        Item(
            4,
            "Have you had these thoughts and had some intention of acting on them?",
            "93249-1",
            only_if_yes_to=2,
        ),
        Item(
            5,
            "Have you started to work out or worked out the details of how to kill yourself? "
            "Do you intend to carry out this plan?",
            "93250-9",
            only_if_yes_to=2,
        ),
        Item(
            6,
            "Have you ever done anything, started to do anything, or prepared to do anything "
            "to end your life?",
            "93267-3",
        ),
        Item(7, "Was this within the past 3 months?", "93269-9", label="6b", only_if_yes_to=6),
    ),
    options=(Option(True, "Yes"), Option(False, "No")),
    # The screener has no total; scoring.score_cssrs_screen triages it.
    bands=(),
    max_missing=0,
    kind=YES_NO,
    source=(
        "Posner K et al. Columbia-Suicide Severity Rating Scale (C-SSRS), Screen Version – "
        "Recent. The Columbia Lighthouse Project; free to use in clinical settings."
    ),
)

INSTRUMENTS: dict[str, Instrument] = {
    instrument.id: instrument for instrument in (PHQ9, GAD7, PCL5, CSSRS_SCREEN)
}


@dataclass(frozen=True)
class LicensedScale:
    """A copyrighted scale: the clinic records its total, never its items."""

    id: str
    name: str
    short_name: str
    minimum: int
    maximum: int
    source: str


# Totals are items × the highest item score, as each scale's authors publish them.
LICENSED_SCALES: dict[str, LicensedScale] = {
    scale.id: scale
    for scale in (
        LicensedScale(
            "bdi2",
            "Beck Depression Inventory-II",
            "BDI-II",
            0,
            63,
            "Beck, Steer & Brown 1996: 21 items scored 0-3.",
        ),
        LicensedScale(
            "bai",
            "Beck Anxiety Inventory",
            "BAI",
            0,
            63,
            "Beck, Epstein, Brown & Steer 1988: 21 items scored 0-3.",
        ),
        LicensedScale(
            "hama",
            "Hamilton Anxiety Rating Scale",
            "HAM-A",
            0,
            56,
            "Hamilton 1959: 14 items scored 0-4.",
        ),
        LicensedScale(
            "madrs",
            "Montgomery-Åsberg Depression Rating Scale",
            "MADRS",
            0,
            60,
            "Montgomery & Åsberg 1979: 10 items scored 0-6.",
        ),
        LicensedScale(
            "cadss",
            "Clinician-Administered Dissociative States Scale (23-item)",
            "CADSS",
            0,
            92,
            "Bremner et al. 1998: the 23-item version used in ketamine studies, items scored 0-4.",
        ),
    )
}
