"""Fetch an episode or one of its sessions for a user, check the policy and log the
access, in one step (as `patients.access.get_patient` does for the record itself).

Unknown ids and records out of reach both answer 404, so another clinic's episode is not
revealed; a role the action does not allow at all is refused (403, or 404 where the
policy says the page does not exist for that role). A read is logged as
`log_as`; a write passes None and its service logs inside its own transaction.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import refusal_for
from kapcare.episodes.models import CareSession, Episode
from kapcare.patients.access import parse_external_id, refused


def get_episode(
    request: HttpRequest,
    episode_id,
    action: policy.Action = policy.Action.VIEW_EPISODES,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> Episode:
    """The episode with `episode_id`, if `request.user` may do `action` on it."""
    records = Episode.objects.select_related("patient__clinic")
    if not policy.can(request.user, action):
        raise refused(request, records, episode_id, refusal_for(request.user, action))
    episode = (
        Episode.objects.select_related(
            "patient__clinic", "clinic", "treating_clinician", "therapist"
        )
        .filter(
            external_id=parse_external_id(episode_id),
            patient__in=policy.visible_patients(request.user),
        )
        .first()
    )
    if episode is None or not policy.can(request.user, action, episode):
        raise refused(request, records, episode_id, Http404("No such episode."))
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=episode.patient, obj=episode)
    return episode


def get_session(
    request: HttpRequest,
    session_id,
    action: policy.Action = policy.Action.VIEW_EPISODES,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> CareSession:
    """The care session with `session_id`, with its episode, patient, appointment and who
    runs it, if `request.user` may do `action` on it."""
    records = CareSession.objects.select_related("patient__clinic")
    if not policy.can(request.user, action):
        raise refused(request, records, session_id, PermissionDenied())
    session = (
        CareSession.objects.select_related(
            "patient__clinic",
            "episode__clinic",
            "episode__treating_clinician",
            "episode__therapist",
            "appointment__room",
            "appointment__clinician",
            "run_by",
        )
        .filter(
            external_id=parse_external_id(session_id),
            patient__in=policy.visible_patients(request.user),
        )
        .first()
    )
    if session is None or not policy.can(request.user, action, session):
        raise refused(request, records, session_id, Http404("No such session."))
    session.episode.patient = session.patient  # one patient, fetched once
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=session.patient, obj=session)
    return session


def reading(request: HttpRequest) -> AccessAction | None:
    """For a page with a form: a GET is logged as a view; a POST is logged by the service
    that writes, or by `log_redisplay` when nothing was written."""
    return AccessAction.VIEW if request.method != "POST" else None


def log_redisplay(request: HttpRequest, record: Episode | CareSession) -> None:
    """A POST that wrote nothing (invalid or refused) still showed the record again."""
    record_access(
        Actor.from_request(request), AccessAction.VIEW, patient=record.patient, obj=record
    )
