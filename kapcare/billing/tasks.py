"""Background work of the money side (kapcare/queue.py): the Good Faith Estimate issued
automatically once a booking commits. The law asks for it within 1 or 3 business days
(`rules.estimate_due`); the task issues it at once, and does nothing when the newest
estimate already says the same or the patient is not owed one."""

from django_tasks import task

from kapcare import queue
from kapcare.audit.log import Actor
from kapcare.audit.models import Channel

SYSTEM = Actor(user=None, ip_address=None, channel=Channel.SYSTEM)


@task()
def issue_estimate_task(episode_id: int, reason: str) -> str:
    from kapcare.billing import services
    from kapcare.episodes.models import Episode

    episode = Episode.objects.select_related("patient", "clinic").filter(pk=episode_id).first()
    if episode is None or episode.is_closed:
        return "no open episode"
    coverage = services.current_coverage(episode.patient)
    if coverage is None or not coverage.needs_estimate:
        return "not owed an estimate" if coverage else "coverage not asked yet"
    estimate = services.issue_estimate(actor=SYSTEM, episode=episode, reason=reason)
    return "unchanged" if estimate is None else f"issued version {estimate.version}"


def enqueue_estimate(episode_id: int, reason: str) -> None:
    """Issue (or reissue) the episode's estimate once the current transaction commits."""
    queue.enqueue_on_commit(issue_estimate_task, episode_id, reason)


def enqueue_estimates_for_patient(patient_id: int, reason: str) -> None:
    """For each open episode of the patient with sessions booked."""
    from kapcare.episodes import rules as episode_rules
    from kapcare.episodes.models import Episode

    episode_ids = (
        Episode.objects.filter(patient_id=patient_id, sessions__isnull=False)
        .exclude(state__in=episode_rules.CLOSED_STATES)
        .values_list("pk", flat=True)
        .distinct()
    )
    for episode_id in episode_ids:
        enqueue_estimate(episode_id, reason)
