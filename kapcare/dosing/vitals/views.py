"""The vitals part of the dosing record: quick entry at the bedside, when the next reading
is due, the readings with the values out of range marked, the alerts, and a live chart.

- `part_context` gives the record page its part (`sections.PARTS`).
- `record_vitals` (POST) stores a reading through `services.record_vitals`, the function
  the API calls too; on bad input the record page comes back with the messages at the
  fields (422), nothing typed lost; after a reading that crossed a threshold the page shows
  its alerts at once (`?reading=` names the reading just stored, an opaque id). Posted by
  htmx (the bedside form does), it answers the vitals part alone — alerts, a fresh form,
  chart and readings — so the page is not reloaded; without JavaScript, the whole page.
- `live` is the chart, table and reminder alone, polled by htmx every 15 s. The page sends
  the fingerprint of what it shows (`seen`); when nothing changed the answer is 204 and
  htmx keeps the page as it is. Each answer that shows data is logged as a view; a 204
  shows nothing and is not logged (one row per change, not four a minute per screen).

Every function here runs a fixed number of queries, however many readings there are.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.models import DosingRecord, Drug, Observation, VitalSource
from kapcare.dosing.views import render_refused
from kapcare.dosing.vitals import rules, services
from kapcare.dosing.vitals.forms import VitalsForm
from kapcare.dosing.vitals.rules import HIGH, VITALS
from kapcare.policy import Action
from kapcare.refusals import submit

# Columns of the readings table and series of the chart, in this order.
CHART_VITALS = ("hr", "sbp", "dbp", "spo2", "rr")
POLL_SECONDS = 15


@dataclass(frozen=True)
class Cell:
    value: int
    unit: str
    threshold: str  # the limit the value crossed when entered, in words; "" if none

    @property
    def direction(self) -> str:
        return rules.direction_of(self.threshold)

    @property
    def is_high(self) -> bool:
        return self.direction == HIGH


@dataclass
class Reading:
    reading_id: str
    taken_at: datetime
    source: str
    entered_by: str
    cells: dict[str, Cell] = field(default_factory=dict)

    def cell(self, key: str) -> Cell | None:
        return self.cells.get(key)

    @property
    def columns(self) -> list[Cell | None]:
        return [self.cells.get(key) for key in (*CHART_VITALS, rules.SEDATION)]


@dataclass(frozen=True)
class AlertRow:
    taken_at: datetime
    name: str
    short_name: str
    value: int
    unit: str
    threshold: str
    direction: str
    reading_id: str


def readings_of(observations: list[Observation]) -> list[Reading]:
    """The observations grouped into readings (those taken together), oldest first."""
    readings: dict = {}
    for observation in observations:
        reading = readings.get(observation.reading_id)
        if reading is None:
            reading = readings[observation.reading_id] = Reading(
                reading_id=str(observation.reading_id),
                taken_at=observation.taken_at,
                source=observation.get_source_display(),
                entered_by=observation.entered_by.display_name,
            )
        reading.cells[observation.vital] = Cell(
            observation.value, observation.unit, observation.alert_threshold
        )
    return list(readings.values())


def alert_rows(observations: list[Observation]) -> list[AlertRow]:
    """Every value that crossed a threshold in this session, the latest first."""
    rows = []
    for observation in observations:
        if not observation.alert_threshold:
            continue
        vital = VITALS.get(observation.vital)
        rows.append(
            AlertRow(
                taken_at=observation.taken_at,
                name=vital.name if vital else observation.vital,
                short_name=vital.short_name if vital else observation.vital,
                value=observation.value,
                unit=observation.unit,
                threshold=observation.alert_threshold,
                direction=rules.direction_of(observation.alert_threshold),
                reading_id=str(observation.reading_id),
            )
        )
    rows.reverse()
    return rows


def chart_data(readings: list[Reading], zone) -> dict:
    """What `vitals-chart.js` draws: one line per vital over the readings' times (a gap
    where a reading lacks the value)."""
    return {
        "labels": [timezone.localtime(r.taken_at, zone).strftime("%H:%M") for r in readings],
        "series": [
            {
                "key": key,
                "label": f"{VITALS[key].short_name} ({VITALS[key].unit})",
                "values": [r.cells[key].value if key in r.cells else None for r in readings],
            }
            for key in CHART_VITALS
        ],
    }


def threshold_words(thresholds: rules.VitalThresholds) -> str:
    """ "SBP ≥ 180 or < 90; DBP ≥ 110; …": the clinic's alert limits, for the legend."""
    by_vital: dict[str, list[str]] = {}
    for vital, _direction, comparison, limit in thresholds.limits():
        by_vital.setdefault(vital, []).append(f"{comparison} {limit}")
    return "; ".join(
        f"{VITALS[vital].short_name} {' or '.join(limits)}" for vital, limits in by_vital.items()
    )


def live_context(record: DosingRecord) -> dict:
    """The chart, the readings, the alerts and when the next reading is due: one query."""
    observations = list(
        Observation.objects.filter(record_id=record.pk).select_related("entered_by")
    )
    clinic = record.patient.clinic
    zone = clinic.zone
    readings = readings_of(observations)
    now = timezone.now()
    due = rules.next_reading_due(
        now=now,
        last_taken_at=readings[-1].taken_at if readings else None,
        dose_started_at=record.dose_started_at,
        dose_ended_at=record.dose_ended_at,
        discharged_at=record.discharged_at,
        schedule=rules.VitalSchedule.from_settings(clinic),
    )
    seen = "|".join(
        str(part)
        for part in (
            len(observations),
            observations[-1].pk if observations else "",
            due.due_at.isoformat() if due else "",
            due.is_overdue if due else "",
            record.is_signed,
        )
    )
    schedule = rules.VitalSchedule.from_settings(clinic)
    return {
        "readings": readings,
        "readings_newest_first": readings[::-1],
        "schedule": schedule,
        "alerts": alert_rows(observations),
        "due": due,
        "phase": rules.phase_at(
            now, record.dose_started_at, record.dose_ended_at, record.discharged_at
        ),
        "chart": chart_data(readings, zone),
        "thresholds": threshold_words(rules.VitalThresholds.from_settings(clinic)),
        "fingerprint": hashlib.sha256(seen.encode()).hexdigest()[:16],
        "live_url": reverse("vitals:live", args=[record.session.external_id]),
        "is_polling": not record.is_signed,
        "poll_seconds": POLL_SECONDS,
        "record": record,
    }


def part_context(
    request: HttpRequest,
    record: DosingRecord,
    *,
    just_recorded: str | None = None,
    form: VitalsForm | None = None,
) -> dict:
    """The vitals part of the record page. `just_recorded` names the reading just stored
    (default: `?reading=` after a plain form post), whose alerts are shown at the top."""
    live = live_context(record)
    zone = record.patient.clinic.zone
    if just_recorded is None:
        just_recorded = request.GET.get("reading", "")
    if form is None:
        form = VitalsForm(
            initial={"taken_at": timezone.localtime(timezone.now(), zone).strftime("%H:%M")}
        )
    return {
        "form": form,
        "can_record": not record.is_signed
        and policy.can(request.user, Action.RECORD_VITALS, record),
        "new_alerts": [alert for alert in live["alerts"] if alert.reading_id == just_recorded],
        "action_url": reverse("vitals:record", args=[record.session.external_id]),
        "live": live,
        # A reading is saved in place, except on an esketamine record: its REMS blood
        # pressure checks are another part of the page, which the whole page shows afresh.
        "in_place": record.drug != Drug.ESKETAMINE,
    }


def _part_response(request: HttpRequest, record: DosingRecord, *, reading, form) -> HttpResponse:
    """The vitals part alone, for htmx: after a reading, a fresh form with its alerts, the
    chart and the readings; after a refusal, the form as typed with the messages (422,
    which `vitals-chart.js` lets htmx swap in). It shows the record, so it is logged."""
    record_access(
        Actor.from_request(request), AccessAction.VIEW, patient=record.patient, obj=record
    )
    part = part_context(
        request,
        record,
        just_recorded=str(reading.reading_id) if reading is not None else "",
        form=None if reading is not None else form,
    )
    if reading is not None and not reading.alerts:
        part["saved_message"] = "Reading recorded."
    return render(
        request, "dosing/_vitals_part.html", {"part": part}, status=200 if reading else 422
    )


@require_POST
@allowed(Action.RECORD_VITALS)
def record_vitals(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_VITALS, log_as=None)
    form = VitalsForm(request.POST)

    def write(data):
        clinic = record.patient.clinic
        day = timezone.localtime(record.session.planned_start, clinic.zone).date()
        return services.record_vitals(
            actor=Actor.from_request(request),
            record=record,
            taken_at=form.taken_at_on(day, clinic.zone),
            values=form.values(),
            source=VitalSource.MANUAL,
        )

    reading = submit(form, write)
    if request.headers.get("HX-Request"):
        return _part_response(request, record, reading=reading, form=form)
    if reading is not None:
        if not reading.alerts:
            messages.success(request, "Reading recorded.")
        url = reverse("dosing:record", args=[record.session.external_id])
        return redirect(f"{url}?reading={reading.reading_id}#vitals")
    return render_refused(request, record, vitals={"form": form})


@require_GET
@allowed(Action.VIEW_DOSING_RECORD)
def live(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, log_as=None)
    context = live_context(record)
    if request.GET.get("seen") == context["fingerprint"]:
        return HttpResponse(status=204)  # nothing new: the page keeps what it shows
    record_access(
        Actor.from_request(request), AccessAction.VIEW, patient=record.patient, obj=record
    )
    return render(request, "dosing/_vitals_live.html", {"live": context})
