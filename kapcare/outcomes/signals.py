"""What keeps the outcome summaries current: a saved PHQ-9, dose or episode schedules its
patient's refresh for when the change commits (`summary.schedule_refresh`), and a change of
the clinic's outcome settings (recorded as a `ClinicSettingChange`) a rebuild of the
clinic's. Signals, so
that the apps below (measures, episodes) need not know that outcomes keeps a summary; a
bulk write that sends none (the load generator) is followed by
`manage.py rebuild_outcome_summaries`."""

from django.db.models.signals import post_save

from kapcare import queue
from kapcare.clinics.models import ClinicSettingChange
from kapcare.episodes.models import CareSession, Episode, SessionKind
from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment
from kapcare.outcomes.summary import OUTCOME_SETTINGS, schedule_refresh


def _assessment_saved(sender, instance, **kwargs) -> None:
    if instance.instrument == PHQ9.id:
        schedule_refresh(instance.patient_id)


def _session_saved(sender, instance, **kwargs) -> None:
    if instance.kind == SessionKind.DOSING:
        schedule_refresh(instance.patient_id)


def _episode_saved(sender, instance, **kwargs) -> None:
    schedule_refresh(instance.patient_id)


def _settings_changed(sender, instance, created, **kwargs) -> None:
    from kapcare.outcomes.tasks import rebuild_clinic_outcome_summaries

    if created and any(change["field"] in OUTCOME_SETTINGS for change in instance.changes):
        queue.enqueue_on_commit(rebuild_clinic_outcome_summaries, instance.clinic_id)


def connect() -> None:
    post_save.connect(
        _settings_changed, sender=ClinicSettingChange, dispatch_uid="outcomes.settings"
    )
    post_save.connect(_assessment_saved, sender=Assessment, dispatch_uid="outcomes.assessment")
    post_save.connect(_session_saved, sender=CareSession, dispatch_uid="outcomes.session")
    post_save.connect(_episode_saved, sender=Episode, dispatch_uid="outcomes.episode")
