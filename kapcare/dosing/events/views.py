"""The events part of the dosing record.

- `events_context` gives the record page the course of the dose (start, end, the infusion
  paused, resumed or stopped with the reason) and the adverse events with their
  interventions, and the forms to add each.
- The POST views write through `services` (which log inside their transaction) and go
  back to the record page; on bad input or a refusal the record page comes back with the
  messages at the fields (422) and nothing typed lost, and the redisplay is logged.

Each part runs a fixed number of queries, however many events or readings there are.
"""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.events import rules, services
from kapcare.dosing.events.forms import (
    AdverseEventForm,
    DoseTimeForm,
    InfusionChangeForm,
    InterventionForm,
    on_day,
)
from kapcare.dosing.models import DosingRecord, Intervention
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.episodes.models import DoseRoute, SessionStatus
from kapcare.policy import Action
from kapcare.refusals import submit

# --- The parts of the record page -----------------------------------------------------------


def _session_day(record: DosingRecord):
    session = record.session
    return timezone.localdate(
        session.started_at or session.planned_start, record.patient.clinic.zone
    )


def _clock(value, zone) -> str:
    return timezone.localtime(value, zone).strftime("%H:%M") if value else ""


def is_under_way(record: DosingRecord) -> bool:
    return record.session.status == SessionStatus.IN_PROGRESS and record.discharged_at is None


def events_context(
    request: HttpRequest,
    record: DosingRecord,
    *,
    intervention: tuple[str, InterventionForm] | None = None,
) -> dict:
    """The events part; `intervention` is a refused form to show again at its event."""
    changes = list(record.infusion_changes.select_related("recorded_by"))
    events = list(
        record.events.select_related("recorded_by").prefetch_related(
            Prefetch("interventions", queryset=Intervention.objects.select_related("recorded_by"))
        )
    )
    zone = record.patient.clinic.zone
    is_iv = record.route == DoseRoute.IV
    state = rules.infusion_state([change.kind for change in changes])
    planned_end = None
    if is_iv and record.dose_started_at and record.dose_ended_at is None:
        planned_end = rules.planned_infusion_end(
            record.dose_started_at,
            record.infusion_minutes or record.patient.clinic.infusion_minutes,
            [(change.kind, change.at) for change in changes],
        )
    end_default = record.dose_ended_at or (planned_end if is_iv else record.dose_started_at)
    event_rows = []
    for event in events:
        key = str(event.external_id)
        form = (
            intervention[1]
            if intervention and intervention[0] == key
            else InterventionForm(event_key=key)
        )
        event_rows.append((event, form))
    session_id = record.session.external_id
    return {
        "record": record,
        "is_iv": is_iv,
        "changes": changes,
        "infusion_state": state,
        "planned_end": planned_end,
        "event_rows": event_rows,
        "can_record": not record.is_signed
        and policy.can(request.user, Action.RECORD_ADVERSE_EVENT, record),
        "is_under_way": is_under_way(record),
        "has_started": record.session.started_at is not None,
        "start_form": DoseTimeForm(
            moment=DoseTimeForm.STARTED,
            initial={"at": _clock(record.dose_started_at or record.session.started_at, zone)},
        ),
        "end_form": DoseTimeForm(
            moment=DoseTimeForm.ENDED, initial={"at": _clock(end_default, zone)}
        ),
        "infusion_form": InfusionChangeForm(),
        "adverse_form": AdverseEventForm(),
        "dose_url": reverse("events:dose", args=[session_id]),
        "infusion_url": reverse("events:infusion", args=[session_id]),
        "adverse_url": reverse("events:adverse", args=[session_id]),
        "intervention_url": reverse("events:intervention", args=[session_id]),
    }


# --- Writes ------------------------------------------------------------------------------------


@require_POST
@allowed(Action.RECORD_ADVERSE_EVENT)
def dose(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_ADVERSE_EVENT, log_as=None)
    moment = request.POST.get("moment")
    if moment not in (DoseTimeForm.STARTED, DoseTimeForm.ENDED):
        moment = DoseTimeForm.STARTED
    form = DoseTimeForm(request.POST, moment=moment)

    def write(data):
        at = on_day(data["at"], _session_day(record), record.patient.clinic.zone)
        record_time = (
            services.record_dose_started
            if moment == DoseTimeForm.STARTED
            else services.record_dose_ended
        )
        return record_time(actor=Actor.from_request(request), record=record, at=at)

    if submit(form, write) is not None:
        what = "start" if moment == DoseTimeForm.STARTED else "end"
        messages.success(request, f"The dose's {what} is recorded.")
        return back_to_record(record, "#events")
    key = "start_form" if moment == DoseTimeForm.STARTED else "end_form"
    return render_refused(request, record, events={key: form})


@require_POST
@allowed(Action.RECORD_ADVERSE_EVENT)
def infusion(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_ADVERSE_EVENT, log_as=None)
    form = InfusionChangeForm(request.POST)

    def write(data):
        return services.record_infusion_change(
            actor=Actor.from_request(request),
            record=record,
            kind=data["kind"],
            at=on_day(data["at"], _session_day(record), record.patient.clinic.zone),
            reason=data["reason"],
        )

    change = submit(form, write)
    if change is not None:
        messages.success(request, f"Infusion {change.get_kind_display().lower()}: recorded.")
        return back_to_record(record, "#events")
    return render_refused(request, record, events={"infusion_form": form})


@require_POST
@allowed(Action.RECORD_ADVERSE_EVENT)
def adverse(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_ADVERSE_EVENT, log_as=None)
    form = AdverseEventForm(request.POST)

    def write(data):
        return services.record_adverse_event(
            actor=Actor.from_request(request),
            record=record,
            kind=data["kind"],
            severity=data["severity"],
            onset_at=on_day(data["onset_at"], _session_day(record), record.patient.clinic.zone),
            description=data["description"],
        )

    if submit(form, write) is not None:
        messages.success(request, "Adverse event recorded.")
        return back_to_record(record, "#events")
    return render_refused(request, record, events={"adverse_form": form})


@require_POST
@allowed(Action.RECORD_ADVERSE_EVENT)
def intervention(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_ADVERSE_EVENT, log_as=None)
    event_key = request.POST.get("event", "")
    form = InterventionForm(request.POST, event_key=event_key)
    if not form.is_valid() and "event" in form.errors:
        raise Http404("No such event.")
    event = record.events.filter(external_id=form.cleaned_data["event"]).first()
    if event is None:
        raise Http404("No such event.")
    event.record = record

    def write(data):
        return services.record_intervention(
            actor=Actor.from_request(request),
            event=event,
            drug=data["drug"],
            dose=data["dose"],
            given_at=on_day(data["given_at"], _session_day(record), record.patient.clinic.zone),
        )

    if submit(form, write) is not None:
        messages.success(request, "Intervention recorded.")
        return back_to_record(record, f"#event-{event.external_id}")
    return render_refused(
        request,
        record,
        events=events_context(request, record, intervention=(str(event.external_id), form)),
    )
