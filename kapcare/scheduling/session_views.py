"""A session's page on the calendar: when and where it is, what happened to it, and the
three changes the front desk makes — move it (optionally with the series' later
sessions), cancel it with the reason, record a no-show. Calendar entries link here.

Each form posts on its own (`action`), so a refused one keeps what was typed and the
others stay as they were. The read is logged as a view; a write is logged by the service
(`session_changes`), a refused post as a view again (`log_redisplay`).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.episodes.access import get_session, log_redisplay, reading
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.policy import Action
from kapcare.refusals import submit
from kapcare.scheduling import change_rules, session_changes
from kapcare.scheduling.models import SessionChange
from kapcare.scheduling.session_forms import CancelForm, NoShowForm, RescheduleForm

ACTIONS = ("reschedule", "cancel", "no_show")


def _later_count(session: CareSession) -> int:
    return CareSession.objects.filter(
        episode_id=session.episode_id,
        status=SessionStatus.PLANNED,
        planned_start__gt=session.planned_start,
    ).count()


def _forms(request: HttpRequest, session: CareSession, action: str | None):
    data = request.POST if request.method == "POST" else None
    late = session_changes.cancellation_is_late(session)
    return {
        "reschedule": RescheduleForm(
            data if action == "reschedule" else None,
            session=session,
            later_count=_later_count(session),
            prefix="move",
        ),
        "cancel": CancelForm(
            data if action == "cancel" else None,
            initial={"reason": change_rules.LATE_CANCEL if late else change_rules.PATIENT},
            prefix="cancel",
        ),
        "no_show": NoShowForm(data if action == "no_show" else None, prefix="noshow"),
    }


def _write(request: HttpRequest, session: CareSession, action: str, form):
    actor = Actor.from_request(request)
    if action == "reschedule":
        return submit(
            form,
            lambda data: session_changes.reschedule(
                actor=actor,
                session=session,
                move=session_changes.Move(
                    starts_at=data["starts_at"],
                    room=data.get("room"),
                    clinician=data.get("clinician"),
                    move_later=data.get("move_later", False),
                ),
            ),
        )
    if action == "cancel":
        return submit(
            form,
            lambda data: session_changes.cancel(
                actor=actor, session=session, reason=data["reason"], note=data["note"]
            ),
        )
    return submit(
        form,
        lambda data: session_changes.no_show(actor=actor, session=session, note=data["note"]),
    )


DONE_MESSAGES = {
    "reschedule": "Moved. The patient and, if they share their schedule, the therapist are "
    "emailed; calendar feeds show the new time.",
    "cancel": "Cancelled; the slot is free. The patient and, if they share their schedule, "
    "the therapist are emailed.",
    "no_show": "Recorded as a no-show; the slot is free.",
}


@allowed(Action.BOOK_APPOINTMENTS)
def session(request: HttpRequest, session_id) -> HttpResponse:
    """The session, its changes so far, and the forms to change it."""
    found = get_session(request, session_id, Action.BOOK_APPOINTMENTS, log_as=reading(request))
    action = request.POST.get("action") if request.method == "POST" else None
    action = action if action in ACTIONS else None
    forms = _forms(request, found, action)
    if action is not None:
        if _write(request, found, action, forms[action]) is not None:
            messages.success(request, DONE_MESSAGES[action])
            return redirect(reverse("scheduling:session", args=[found.external_id]))
        log_redisplay(request, found)
    elif request.method == "POST":
        log_redisplay(request, found)
    zone = found.episode.clinic.zone
    start = timezone.localtime(found.planned_start, zone)
    return render(
        request,
        "scheduling/session.html",
        {
            "session": found,
            "patient": found.patient,
            "appointment": found.appointment,
            "forms": forms,
            "action": action,
            "is_planned": found.status == SessionStatus.PLANNED,
            "has_started": found.planned_start <= timezone.now(),
            "changes": SessionChange.objects.filter(session_id=found.pk).select_related(
                "changed_by", "from_room", "to_room"
            ),
            "day_url": f"{reverse('scheduling:day')}?date={start:%Y-%m-%d}",
            "late_hours": found.episode.clinic.late_cancel_hours,
        },
    )
