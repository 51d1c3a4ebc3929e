"""The patient's own questionnaire results in the portal: for each scored questionnaire a
chart of the totals over time, the same results as a table (the band in words), and what
the numbers mean in plain language.

What the patient sees is what the clinic's chart draws (`measures.chart.patient_histories`,
one query), less what is safety information for the care team: no item answers, no
item-level flags (such as "item 9 above 0") and not the C-SSRS screener's risk level, which
has no total and is triaged by a clinician. The meaning of a total is only the published
band (instrument definitions; the PCL-5 cut-off is the clinic's setting), never advice.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from kapcare.decorators import allowed
from kapcare.measures.chart import InstrumentHistory, MeasureRow, patient_histories
from kapcare.measures.instruments import GAD7, PCL5, PHQ9
from kapcare.patients.access import get_own_patient
from kapcare.policy import Action

# What each questionnaire asks, in a patient's words, from the instructions printed on it.
ABOUT = {
    PHQ9.id: (
        "how often, over the last 2 weeks, you were bothered by 9 problems that go with "
        "depression, such as feeling down or having little interest in doing things"
    ),
    GAD7.id: (
        "how often, over the last 2 weeks, you were bothered by 7 problems that go with "
        "anxiety, such as feeling nervous or not being able to stop worrying"
    ),
    PCL5.id: (
        "how much, in the past month, you were bothered by 20 problems that people sometimes "
        "have after a very stressful experience"
    ),
}

# Stored bands as a patient reads them: the same words, with the abbreviation spelled.
BAND_WORDS = {"probable ptsd": "probable PTSD"}


@dataclass(frozen=True)
class ScoreBand:
    """One range of totals and its published name ("10 to 14: moderate")."""

    low: int
    high: int
    words: str


@dataclass
class PortalMeasure:
    """One questionnaire's results as the patient sees them."""

    history: InstrumentHistory
    about: str
    bands: tuple[ScoreBand, ...]
    cutoff: int | None = None

    @property
    def instrument(self):
        return self.history.instrument

    @property
    def table(self) -> list[tuple[MeasureRow, str]]:
        """Each result with its band in the patient's words."""
        return [(row, band_words(row.band)) for row in self.history.rows]

    @property
    def latest(self) -> MeasureRow:
        return self.history.latest

    @property
    def latest_words(self) -> str:
        return band_words(self.latest.band)

    def chart_data(self) -> dict:
        """The clinic chart's series, with the bands in the patient's words and a grid line
        at the PCL-5 cut-off (the PCL-5 has no band boundaries to draw)."""
        data = self.history.chart_data()
        ticks = sorted({*data["ticks"], self.cutoff}) if self.cutoff else data["ticks"]
        return {**data, "ticks": ticks, "bands": [band_words(band) for band in data["bands"]]}


def band_words(band: str) -> str:
    return BAND_WORDS.get(band, band)


def portal_measure(history: InstrumentHistory, clinic) -> PortalMeasure:
    """The chart, table and help of one instrument; the PCL-5 has no published bands, so
    its help names the clinic's provisional-PTSD cut-off (`Clinic.pcl5_provisional_cutoff`)."""
    instrument = history.instrument
    bands = tuple(ScoreBand(band.low, band.high, band.label) for band in instrument.bands)
    cutoff = clinic.pcl5_provisional_cutoff if instrument.id == PCL5.id else None
    return PortalMeasure(
        history=history, about=ABOUT.get(instrument.id, ""), bands=bands, cutoff=cutoff
    )


@never_cache
@allowed(Action.USE_PATIENT_PORTAL)
def portal_measures(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's questionnaire totals over time. Fetching the record logs the
    read; the page then runs one query, whatever the number of results."""
    patient = get_own_patient(request, Action.VIEW_ASSESSMENTS)
    histories = patient_histories(patient)
    measures = [portal_measure(h, patient.clinic) for h in histories if h.has_total]
    return render(
        request,
        "measures/portal_measures.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "measures": measures,
            "has_unscored": any(not h.has_total for h in histories),
            "chart_data": {"charts": [measure.chart_data() for measure in measures]},
        },
    )
