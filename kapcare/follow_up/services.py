"""Sending the long-term follow-up questionnaires, and the patient's choice about them.

`send_due_follow_ups` is run by the minute job (`notifications.tasks`), once an hour: for
each episode in follow-up (or completed after it) whose current point of the clinic's
schedule (`rules.due_point`) has no link sent yet, it sends a PHQ-9 and a GAD-7 link
through `measures.links` (the notifications outbox). Answered, each is an ordinary
assessment. The `FollowUpSend` row, unique per (episode, questionnaire, point), is written
in the same transaction as the link, so a second run, or two workers at once, send
nothing twice. Nothing is sent to a patient who opted out, who has no email address, or
whose episode was discontinued or is back in treatment."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction, Channel
from kapcare.episodes import rules as episode_rules
from kapcare.episodes.models import Episode
from kapcare.follow_up import rules
from kapcare.follow_up.models import FollowUpPreference, FollowUpSend
from kapcare.measures import links

# The episode states in which follow-up questionnaires go out: in follow-up, or completed
# (long-term follow-up runs past the end of the course). Not discontinued, not back in
# treatment.
SENDING_STATES = (episode_rules.FOLLOW_UP, episode_rules.COMPLETED)
SYSTEM = Actor(user=None, ip_address=None, channel=Channel.SYSTEM)
# The longest schedule a clinic may set (rules.parse_schedule), and a month's margin.
LONGEST = dt.timedelta(days=121 * 31)


@dataclass(frozen=True)
class Due:
    episode: Episode
    months: int


def is_opted_out(patient) -> bool:
    latest = patient.follow_up_preferences.order_by("-recorded_at", "-id").first()
    return bool(latest and latest.opted_out)


def record_preference(*, actor: Actor, patient, opted_out: bool) -> FollowUpPreference:
    """The patient (or staff on their behalf) chooses whether to receive follow-up
    questionnaires; logged as a write on the patient's record."""
    with transaction.atomic():
        preference = FollowUpPreference.objects.create(
            patient=patient,
            opted_out=opted_out,
            recorded_at=timezone.now(),
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=preference)
    return preference


def _opted_out_subquery():
    latest = FollowUpPreference.objects.filter(patient_id=OuterRef("patient_id")).order_by(
        "-recorded_at", "-id"
    )
    # No choice recorded: not opted out (a NULL would drop the row from any comparison).
    return Coalesce(
        Subquery(latest.values("opted_out")[:1]), Value(False), output_field=BooleanField()
    )


def due_follow_ups(now: dt.datetime) -> list[Due]:
    """The episodes whose current follow-up point has not been sent, in a fixed number
    of queries."""
    episodes = (
        Episode.objects.filter(state__in=SENDING_STATES)
        .exclude(patient__email="")
        .annotate(
            follow_up_started=Min(
                "transitions__changed_at",
                filter=Q(transitions__to_state=episode_rules.FOLLOW_UP),
            ),
            opted_out=_opted_out_subquery(),
        )
        .filter(follow_up_started__gt=now - LONGEST)
        .filter(opted_out=False)
        .select_related("clinic", "patient", "patient__clinic")
        .order_by("id")
    )
    candidates = []
    for episode in episodes:
        clinic = episode.clinic
        started = timezone.localdate(episode.follow_up_started, clinic.zone)
        months = rules.due_point(
            started,
            rules.parse_schedule(clinic.follow_up_months),
            timezone.localdate(now, clinic.zone),
        )
        if months is not None:
            candidates.append(Due(episode, months))
    sent = set(
        FollowUpSend.objects.filter(
            episode_id__in=[due.episode.pk for due in candidates]
        ).values_list("episode_id", "instrument", "months")
    )
    return [
        due
        for due in candidates
        if any(
            (due.episode.pk, name, due.months) not in sent for name in rules.FOLLOW_UP_INSTRUMENTS
        )
    ]


def send_follow_up(due: Due, instrument: str, now: dt.datetime) -> bool:
    """Send one follow-up link; False when it was already sent (by another run)."""
    try:
        with transaction.atomic():
            link = links.send_questionnaire_link(
                actor=SYSTEM, patient=due.episode.patient, instrument=instrument
            )
            FollowUpSend.objects.create(
                episode=due.episode,
                instrument=instrument,
                months=due.months,
                link=link,
                sent_at=now,
            )
    except IntegrityError:
        return False
    return True


def send_due_follow_ups(now: dt.datetime | None = None) -> int:
    """Send every follow-up questionnaire that is due and not yet sent; how many went."""
    now = now or timezone.now()
    sent = 0
    for due in due_follow_ups(now):
        already = set(
            FollowUpSend.objects.filter(episode=due.episode, months=due.months).values_list(
                "instrument", flat=True
            )
        )
        for instrument in rules.FOLLOW_UP_INSTRUMENTS:
            if instrument not in already:
                sent += send_follow_up(due, instrument, now)
    return sent
