"""The Schedule section of the shared record an outside therapist sees (scope `schedule`):
the patient's dosing sessions, and the sessions this therapist runs, from the last month
and ahead — when, what kind, and whether it is planned, done or cancelled. Not the notes,
not the room, not who gives the dose: the therapist who needs more calls the clinic.
Registered in `patients.shared` from EpisodesConfig.ready()."""

from django.utils import timezone

from kapcare import policy
from kapcare.patients import shared
from kapcare.policy import Action
from kapcare.scheduling import feeds
from kapcare.scopes import Scope

TEMPLATE = "episodes/_shared_schedule.html"


def shared_schedule(request, patient) -> dict | None:
    """Upcoming sessions (soonest first) and recent ones (latest first), or None unless
    the user may see the schedule (for a therapist: a live authorisation with the
    `schedule` scope). Two queries."""
    user = request.user
    if not policy.can(user, Action.VIEW_SCHEDULE, patient):
        return None
    sessions = list(
        feeds.therapist_sessions(user, [patient.pk])
        .only("kind", "status", "planned_start", "planned_end")
        .order_by("planned_start", "pk")
    )
    now = timezone.now()
    return {
        "upcoming": [s for s in sessions if s.planned_end >= now],
        "recent": [s for s in reversed(sessions) if s.planned_end < now],
        "past_days": feeds.PAST_DAYS,
        "clinic": patient.clinic,
    }


def register() -> None:
    """Called once from EpisodesConfig.ready()."""
    shared.register(
        shared.SharedSection(
            key=Scope.SCHEDULE.value, template=TEMPLATE, context=shared_schedule, order=20
        )
    )
