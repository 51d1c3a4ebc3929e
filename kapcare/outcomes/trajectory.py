"""A patient's trajectory: PHQ-9, GAD-7 and PCL-5 totals over time, each dose marked
(route and date) and each integration session shown, with the baseline and the response
and remission thresholds drawn (docs/clinical-reference.md#outcome-definitions), and the
same facts as a table (the chart's accessible alternative).

Shown on the staff chart, in the shared record of a therapist the patient gave the
`measures` scope, and in the patient's portal; each asks the policy for VIEW_ASSESSMENTS
on the patient. Four queries whatever the length of the record.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models.functions import Coalesce
from django.utils import timezone

from kapcare import policy
from kapcare.episodes.models import CareSession, DoseRoute, SessionKind, SessionStatus
from kapcare.measures.chart import RESULTS_SHOWN, patient_histories
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.outcomes import definitions, svg
from kapcare.patients import chart as patient_chart
from kapcare.patients import portal as patient_portal
from kapcare.patients import shared as patient_shared
from kapcare.policy import Action

TEMPLATE = "outcomes/trajectory.html"
PORTAL_TEMPLATE = "outcomes/trajectory_card.html"
INSTRUMENT_IDS = ("phq9", "gad7", "pcl5")
# The latest doses and integration sessions drawn: more than two induction series.
EVENTS_SHOWN = 30
ROUTES = dict(DoseRoute.choices)


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str  # "dose" or "integration"
    route: str = ""

    @property
    def words(self) -> str:
        if self.kind == "dose":
            return f"Dose ({ROUTES.get(self.route, 'route not recorded')})"
        return "Integration session"


@dataclass(frozen=True)
class Threshold:
    label: str
    value: float
    y: float


@dataclass
class InstrumentChart:
    instrument_id: str
    name: str
    maximum: int
    rows: list = field(default_factory=list)
    baseline: definitions.Score | None = None
    thresholds: list[Threshold] = field(default_factory=list)
    line: svg.Line | None = None
    doses: list[tuple[float, Event]] = field(default_factory=list)
    integrations: list[tuple[float, Event]] = field(default_factory=list)
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def description(self) -> str:
        latest = self.rows[-1]
        baseline = f"baseline {self.baseline.total}; " if self.baseline else ""
        return (
            f"{self.name} totals from 0 to {self.maximum}: {len(self.rows)} results, "
            f"{baseline}latest {latest.total} on {latest.day:%b %-d, %Y}; "
            f"{len(self.doses)} doses and {len(self.integrations)} integration sessions "
            "marked. The table lists the same facts."
        )


def _events(patient) -> list[Event]:
    sessions = (
        CareSession.objects.filter(
            patient_id=patient.pk,
            kind__in=[SessionKind.DOSING, SessionKind.INTEGRATION],
            status=SessionStatus.DONE,
        )
        .annotate(when=Coalesce("started_at", "planned_start"))
        # The latest by planned start: the (patient, planned_start) index reads them newest
        # first and stops at the limit, however long the patient's history.
        .order_by("-planned_start")
        .values_list("when", "kind", "episode__dose_route", "dosing_record__route")[:EVENTS_SHOWN]
    )
    events = [
        Event(
            when=when,
            kind="dose" if kind == SessionKind.DOSING else "integration",
            route=recorded_route or planned_route,
        )
        for when, kind, planned_route, recorded_route in sessions
    ]
    return sorted(events, key=lambda event: event.when)


def _thresholds(instrument_id, baseline, clinic, maximum) -> list[Threshold]:
    if baseline is None:
        return []
    lines = [("Baseline", baseline.total)]
    if instrument_id == "phq9" and definitions.has_measurable_baseline(baseline.total):
        fall = clinic.response_fall_percent
        lines.append((f"Response ({fall} % fall)", baseline.total * (100 - fall) / 100))
        lines.append(
            (f"Remission (below {clinic.remission_phq9_below})", clinic.remission_phq9_below)
        )
    elif instrument_id == "gad7" and definitions.has_measurable_baseline(
        baseline.total, above=definitions.GAD7_BASELINE_ABOVE
    ):
        fall = definitions.GAD7_RESPONSE_FALL_PERCENT
        lines.append((f"Response ({fall} % fall)", baseline.total * (100 - fall) / 100))
        lines.append(
            (
                f"Remission (below {definitions.GAD7_REMISSION_BELOW})",
                definitions.GAD7_REMISSION_BELOW,
            )
        )
    elif instrument_id == "pcl5":
        meaningful = baseline.total - definitions.PCL5_MEANINGFUL_FALL
        if meaningful >= 0:
            lines.append(("Meaningful change (10-point fall)", meaningful))
    return [Threshold(label, value, svg.y_of(value, maximum)) for label, value in lines]


def trajectories(patient) -> tuple[list[InstrumentChart], list[tuple[datetime, str]]]:
    """Each instrument's chart, and every fact in time order for the table."""
    histories = [
        history
        for history in patient_histories(patient, latest=RESULTS_SHOWN)
        if history.instrument.id in INSTRUMENT_IDS
    ]
    events = _events(patient)
    if not histories:
        return [], []
    first_dose = next((event.when for event in events if event.kind == "dose"), None)
    moments = [row.completed_at for history in histories for row in history.rows]
    moments += [event.when for event in events]
    start, end = min(moments), max(moments)
    span_days = max((end - start).total_seconds() / 86400, 1)
    x_ticks_days = svg.nice_ticks(span_days)
    x_max = x_ticks_days[-1]

    def days(moment):
        return (moment - start).total_seconds() / 86400

    charts = []
    for history in histories:
        maximum = history.instrument.max_total
        scores = [definitions.Score(row.completed_at, row.total) for row in history.rows]
        baseline = None
        if first_dose is not None:
            baseline = definitions.baseline(scores, first_dose, patient.clinic.baseline_window_days)
        chart = InstrumentChart(
            instrument_id=history.instrument.id,
            name=history.instrument.short_name,
            maximum=maximum,
            rows=history.rows,
            baseline=baseline,
            thresholds=_thresholds(history.instrument.id, baseline, patient.clinic, maximum),
            line=svg.polyline(
                history.instrument.short_name,
                [(days(row.completed_at), row.total) for row in history.rows],
                x_max,
                maximum,
                0,
            ),
            doses=[(svg.x_of(days(e.when), x_max), e) for e in events if e.kind == "dose"],
            integrations=[
                (svg.x_of(days(e.when), x_max), e) for e in events if e.kind == "integration"
            ],
            y_ticks=[(svg.y_of(v, maximum), v) for v in sorted({0, maximum // 2, maximum})],
            x_ticks=[
                (
                    svg.x_of(tick, x_max),
                    f"{timezone.localtime(start + timedelta(days=tick)):%b %-d}",
                )
                for tick in x_ticks_days
            ],
        )
        charts.append(chart)
    table = [
        (row.completed_at, f"{INSTRUMENTS[history.instrument.id].short_name} {row.total}")
        for history in histories
        for row in history.rows
    ] + [(event.when, event.words) for event in events]
    return charts, sorted(table, key=lambda item: item[0])


def trajectory_context(request, patient) -> dict | None:
    """The section's context, or None unless the user may see the patient's measures."""
    if not policy.can(request.user, Action.VIEW_ASSESSMENTS, patient):
        return None
    charts, table = trajectories(patient)
    if not charts:
        return None
    return {"charts": charts, "table": table, "svg": svg}


def register() -> None:
    """Called once from OutcomesConfig.ready()."""
    patient_chart.register(
        patient_chart.ChartSection(
            key="trajectory", template=TEMPLATE, context=trajectory_context, order=21
        )
    )
    # Named, not a scope: the section needs the `measures` scope, which its context asks.
    patient_shared.register(
        patient_shared.SharedSection(
            key="trajectory", template=TEMPLATE, context=trajectory_context, order=41
        )
    )
    patient_portal.register(
        patient_portal.PortalCard(
            key="trajectory", template=PORTAL_TEMPLATE, context=trajectory_context, order=45
        )
    )
