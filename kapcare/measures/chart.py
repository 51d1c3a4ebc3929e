"""What measures add to the patient chart: the Measures section (a small chart and a table
per instrument, PHQ-9 response and remission, licensed scale totals, open safety alerts)
and the timeline's events. Registered in `MeasuresConfig.ready()`; `patients` never
imports this module.

Every function here runs a fixed number of queries, whatever the length of the record.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.measures import scoring
from kapcare.measures.instruments import INSTRUMENTS, LICENSED_SCALES, PHQ9, Instrument
from kapcare.measures.models import (
    Assessment,
    AssessmentStatus,
    LicensedScaleResult,
    SafetyAlert,
)
from kapcare.patients import chart as patient_chart
from kapcare.patients import portal as patient_portal
from kapcare.patients import timeline
from kapcare.patients.timeline import NEWEST, TimelineEvent, TimelineWindow
from kapcare.policy import Action

SECTION_TEMPLATE = "measures/chart/section.html"
# Each instrument's latest results the chart's Measures section draws and lists (with the
# PHQ-9 baseline): more than a year of monthly questionnaires.
RESULTS_SHOWN = 15

# Flags in the words a clinician reads them in; shown in the table, never as colour alone.
FLAG_WORDS = {
    scoring.SUICIDAL_IDEATION: "Suicidal thoughts (item 9 above 0)",
    scoring.SUICIDE_ITEM_UNANSWERED: "Item 9 unanswered",
    scoring.SUICIDE_RISK_HIGH: "High suicide risk",
    scoring.SUICIDE_RISK_MODERATE: "Moderate suicide risk",
}

# The badge colour for each band; the band's words are always printed with it.
BAND_BADGES = {
    "minimal": "badge-ok",
    "no risk": "badge-ok",
    "below threshold": "badge-ok",
    "mild": "badge-warn",
    "low risk": "badge-warn",
    "moderate": "badge-warn",
    "moderate risk": "badge-warn",
    "moderately severe": "badge-danger",
    "severe": "badge-danger",
    "high risk": "badge-danger",
    "probable ptsd": "badge-danger",
}

RESPONSE = "Response"
REMISSION = "Remission"


@dataclass(frozen=True)
class Phq9Outcome:
    """A follow-up PHQ-9 measured against the patient's baseline."""

    change_percent: int
    is_response: bool
    is_remission: bool

    @property
    def change_text(self) -> str:
        """ "−61 %", "+8 %" or "0 %": the change of the total from the baseline."""
        if not self.change_percent:
            return "0 %"
        sign = "+" if self.change_percent > 0 else "−"
        return f"{sign}{abs(self.change_percent)} %"

    @property
    def words(self) -> str:
        if self.is_response and self.is_remission:
            return f"{RESPONSE} and {REMISSION.lower()}"
        if self.is_response:
            return RESPONSE
        if self.is_remission:
            return REMISSION
        return "Neither"


def phq9_outcome(baseline: int, current: int, *, fall_percent: int, remission_below: int):
    """Response (NQF 1884: a fall of `fall_percent` from a baseline above 9) and remission
    (CMS159: below `remission_below`) of one follow-up PHQ-9, both with the clinic's
    settings. None when the baseline is 9 or below: both measures count only patients whose
    index PHQ-9 was above 9, so neither applies."""
    if baseline <= scoring.RESPONSE_BASELINE_ABOVE:
        return None
    return Phq9Outcome(
        change_percent=round(100 * (current - baseline) / baseline),
        is_response=scoring.is_response(baseline, current, minimum_fall_percent=fall_percent),
        is_remission=scoring.is_remission(current, below=remission_below),
    )


@dataclass(frozen=True)
class MeasureRow:
    """One completed questionnaire as a row of the Measures table."""

    completed_at: datetime
    day: date
    total: int | None
    band: str
    flags: tuple[str, ...]
    is_prorated: bool
    is_baseline: bool = False
    outcome: Phq9Outcome | None = None

    @property
    def band_badge(self) -> str:
        return BAND_BADGES.get(self.band, "badge-new")

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class InstrumentHistory:
    """Every completed questionnaire of one instrument, oldest first."""

    instrument: Instrument
    rows: list[MeasureRow] = field(default_factory=list)
    baseline: MeasureRow | None = None

    @property
    def latest(self) -> MeasureRow:
        return self.rows[-1]

    @property
    def has_total(self) -> bool:
        return self.instrument.kind != "yes_no"

    @property
    def canvas_id(self) -> str:
        return f"measures-chart-{self.instrument.id}"

    @property
    def maximum(self) -> int:
        return self.instrument.max_total

    @property
    def outcome_applies(self) -> bool:
        return self.instrument.id == PHQ9.id

    @property
    def chart_label(self) -> str:
        """The canvas's accessible name: what the chart shows, in words."""
        shown = self.rows if len(self.rows) <= 6 else [self.rows[0], self.rows[-1]]
        points = "; ".join(f"{row.total} on {row.day:%b %-d, %Y}" for row in shown)
        if len(self.rows) > 6:
            points = f"{len(self.rows)} results, first and latest {points}"
        return (
            f"Line chart of {self.instrument.short_name} totals over time "
            f"(0 to {self.maximum}): {points}. The table below lists the same results."
        )

    def chart_data(self) -> dict:
        """What the glue script needs to draw this chart (sent with json_script)."""
        return {
            "canvas_id": self.canvas_id,
            "label": f"{self.instrument.short_name} total",
            "maximum": self.maximum,
            "ticks": sorted({0, self.maximum, *(band.low for band in self.instrument.bands)}),
            "labels": [f"{row.day:%b %-d, %Y}" for row in self.rows],
            "totals": [row.total for row in self.rows],
            "bands": [row.band for row in self.rows],
        }


def instrument_histories(assessments, clinic) -> list[InstrumentHistory]:
    """Group completed assessments (oldest first) by instrument, in the order the
    instruments are published, with PHQ-9 outcomes against the first PHQ-9 (the baseline)."""
    histories = {instrument_id: InstrumentHistory(i) for instrument_id, i in INSTRUMENTS.items()}
    for assessment in assessments:
        history = histories[assessment.instrument]
        is_baseline = history.outcome_applies and history.baseline is None
        outcome = None
        if history.outcome_applies and history.baseline is not None:
            outcome = phq9_outcome(
                history.baseline.total,
                assessment.total,
                fall_percent=clinic.response_fall_percent,
                remission_below=clinic.remission_phq9_below,
            )
        row = MeasureRow(
            completed_at=assessment.completed_at,
            day=timezone.localtime(assessment.completed_at).date(),
            total=assessment.total,
            band=assessment.band,
            flags=tuple(FLAG_WORDS.get(flag, flag) for flag in assessment.flags),
            is_prorated=bool(assessment.details.get("is_prorated")),
            is_baseline=is_baseline,
            outcome=outcome,
        )
        history.rows.append(row)
        if is_baseline:
            history.baseline = row
    return [history for history in histories.values() if history.rows]


@dataclass(frozen=True)
class LicensedRow:
    short_name: str
    name: str
    total: int
    maximum: int
    administered_on: date
    recorded_by: str


def patient_histories(patient, latest: int | None = None):
    """Each instrument's history for `patient` (oldest first), from one query.

    With `latest`, only each instrument's `latest` results and the PHQ-9 baseline (which
    the outcomes are measured from): one query per instrument and one for the baseline,
    each reading no more than it shows, however long the record."""
    completed = Assessment.objects.filter(
        patient_id=patient.pk, status=AssessmentStatus.COMPLETED
    ).only("instrument", "total", "band", "flags", "details", "completed_at")
    if latest is None:
        return instrument_histories(completed.order_by("completed_at", "pk"), patient.clinic)
    picked = {
        assessment.pk: assessment
        for instrument_id in INSTRUMENTS
        for assessment in completed.filter(instrument=instrument_id).order_by(
            "-completed_at", "-pk"
        )[:latest]
    }
    baseline = completed.filter(instrument=PHQ9.id).order_by("completed_at", "pk").first()
    if baseline is not None:
        picked[baseline.pk] = baseline
    assessments = sorted(picked.values(), key=lambda a: (a.completed_at, a.pk))
    return instrument_histories(assessments, patient.clinic)


def measures_section(request, patient) -> dict | None:
    """The Measures section's context: each instrument's latest `RESULTS_SHOWN` results
    and the PHQ-9 baseline, in a fixed number of queries whatever the number of results."""
    user = request.user
    if not policy.can(user, Action.VIEW_ASSESSMENTS, patient):
        return None
    histories = patient_histories(patient, latest=RESULTS_SHOWN)
    licensed = [
        LicensedRow(
            short_name=LICENSED_SCALES[result.scale].short_name,
            name=LICENSED_SCALES[result.scale].name,
            total=result.total,
            maximum=LICENSED_SCALES[result.scale].maximum,
            administered_on=result.administered_on,
            recorded_by=result.recorded_by.display_name,
        )
        for result in LicensedScaleResult.objects.filter(patient_id=patient.pk)
        .select_related("recorded_by")
        .order_by("-administered_on", "-recorded_at")
    ]
    open_alerts = []
    if policy.can(user, Action.VIEW_SAFETY_ALERTS, patient):
        open_alerts = list(
            SafetyAlert.objects.filter(patient_id=patient.pk, reviewed_at__isnull=True).order_by(
                "raised_at", "pk"
            )
        )
    return {
        "histories": histories,
        "results_shown": RESULTS_SHOWN,
        "has_earlier_results": any(len(h.rows) >= RESULTS_SHOWN for h in histories),
        "licensed": licensed,
        "open_alerts": open_alerts,
        "can_record_licensed_scale": policy.can(user, Action.RECORD_LICENSED_SCALE, patient),
        "can_send_link": policy.can(user, Action.SEND_QUESTIONNAIRE_LINK, patient),
        "can_enter": policy.can(user, Action.ENTER_ASSESSMENT_FOR_PATIENT, patient),
        "instruments": list(INSTRUMENTS.values()),
        "remission_below": patient.clinic.remission_phq9_below,
        "response_fall_percent": patient.clinic.response_fall_percent,
        "response_baseline_above": scoring.RESPONSE_BASELINE_ABOVE,
        "patient_id": patient.external_id,
    }


# --- Timeline ---------------------------------------------------------------------------


def assessment_events(patient, window: TimelineWindow = NEWEST) -> Iterator[TimelineEvent]:
    """ "PHQ-9 completed — moderate (12)", one per completed questionnaire; one query."""
    completed = window.newest(
        Assessment.objects.filter(patient_id=patient.pk, status=AssessmentStatus.COMPLETED).only(
            "instrument", "total", "band", "flags", "completed_at"
        ),
        "completed_at",
    )
    for assessment in completed:
        short_name = INSTRUMENTS[assessment.instrument].short_name
        result = assessment.band
        if assessment.total is not None:
            result = f"{assessment.band} ({assessment.total})"
        yield TimelineEvent(
            when=assessment.completed_at,
            title=f"{short_name} completed — {result}",
            detail=", ".join(FLAG_WORDS.get(flag, flag) for flag in assessment.flags),
            kind="measure",
        )


def licensed_scale_events(patient, window: TimelineWindow = NEWEST) -> Iterator[TimelineEvent]:
    """ "BDI-II total recorded — 21 of 63", one per licensed scale result; one query."""
    results = LicensedScaleResult.objects.filter(patient_id=patient.pk)
    for result in window.newest(results, "recorded_at"):
        scale = LICENSED_SCALES[result.scale]
        yield TimelineEvent(
            when=result.recorded_at,
            title=f"{scale.short_name} total recorded — {result.total} of {scale.maximum}",
            detail=f"administered {result.administered_on:%b %-d, %Y}",
            kind="measure",
        )


def alert_events(patient, window: TimelineWindow = NEWEST) -> Iterator[TimelineEvent]:
    """ "Safety alert raised" and "Safety review recorded"; one query: the alerts among
    the window's newest raised and the window's newest reviewed (a review can come long
    after its alert)."""
    alerts = SafetyAlert.objects.filter(patient_id=patient.pk)
    newest_raised = window.newest(alerts, "raised_at").values("pk")
    newest_reviewed = window.newest(alerts.filter(reviewed_at__isnull=False), "reviewed_at").values(
        "pk"
    )
    shown = SafetyAlert.objects.filter(
        Q(pk__in=newest_raised) | Q(pk__in=newest_reviewed)
    ).select_related("reviewed_by")
    for alert in shown:
        url = reverse("measures:alert", args=[alert.external_id])
        yield TimelineEvent(
            when=alert.raised_at,
            title="Safety alert raised",
            detail=alert.get_kind_display(),
            url=url,
            kind="alert",
        )
        if alert.reviewed_at is not None:
            yield TimelineEvent(
                when=alert.reviewed_at,
                title="Safety review recorded",
                detail=f"by {alert.reviewed_by.display_name}",
                url=url,
                kind="alert",
            )


def register() -> None:
    """Called once from MeasuresConfig.ready()."""
    patient_chart.register(
        patient_chart.ChartSection(
            key="measures", template=SECTION_TEMPLATE, context=measures_section, order=20
        )
    )
    patient_portal.register(
        patient_portal.PortalCard(
            key="questionnaires",
            template="measures/_portal_card.html",
            context=lambda request, patient: {},
            # After consents and sharing on the portal home (the next dose's questionnaires
            # are asked for at the top, in "Before your next dose").
            order=40,
        )
    )
    timeline.register(assessment_events)
    timeline.register(licensed_scale_events)
    timeline.register(alert_events)
