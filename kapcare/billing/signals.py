"""A session booked is a service scheduled: its Good Faith Estimate is issued once the
booking commits (45 CFR 149.610(b)). Listened to here so that episodes, below
billing in the import graph, need not know about money."""

from django.db.models.signals import post_save


def session_booked(sender, instance, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        from kapcare.billing.tasks import enqueue_estimate

        enqueue_estimate(instance.episode_id, "Sessions booked")


def connect() -> None:
    from kapcare.episodes.models import CareSession

    post_save.connect(session_booked, sender=CareSession, dispatch_uid="billing.session_booked")
