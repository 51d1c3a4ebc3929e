"""What keeps the outcome summaries current: a saved PHQ-9, dose or episode schedules its
patient's refresh for when the change commits (`summary.schedule_refresh`). Signals, so
that the apps below (measures, episodes) need not know that outcomes keeps a summary; a
bulk write that sends none (the load generator) is followed by
`manage.py rebuild_outcome_summaries`."""

from django.db.models.signals import post_save

from kapcare.episodes.models import CareSession, Episode, SessionKind
from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment
from kapcare.outcomes.summary import schedule_refresh


def _assessment_saved(sender, instance, **kwargs) -> None:
    if instance.instrument == PHQ9.id:
        schedule_refresh(instance.patient_id)


def _session_saved(sender, instance, **kwargs) -> None:
    if instance.kind == SessionKind.DOSING:
        schedule_refresh(instance.patient_id)


def _episode_saved(sender, instance, **kwargs) -> None:
    schedule_refresh(instance.patient_id)


def connect() -> None:
    post_save.connect(_assessment_saved, sender=Assessment, dispatch_uid="outcomes.assessment")
    post_save.connect(_session_saved, sender=CareSession, dispatch_uid="outcomes.session")
    post_save.connect(_episode_saved, sender=Episode, dispatch_uid="outcomes.episode")
