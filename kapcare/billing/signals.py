"""Listened to here so that episodes and scheduling, below billing in the import graph,
need not know about money:

- a session booked is a service scheduled: its Good Faith Estimate is issued once the
  booking commits (45 CFR 149.610(b));
- a dosing session done (its patient discharged) posts its charges once that commits;
- a late cancellation or a no-show posts the clinic's fee once it commits."""

from django.db.models.signals import post_save


def session_booked(sender, instance, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        from kapcare.billing.tasks import enqueue_estimate

        enqueue_estimate(instance.episode_id, "Sessions booked")


def session_done(sender, instance, created: bool, **kwargs) -> None:
    from kapcare.episodes.models import SessionKind, SessionStatus

    if kwargs.get("raw") or instance.kind != SessionKind.DOSING:
        return
    fields = kwargs.get("update_fields")
    if instance.status == SessionStatus.DONE and (fields is None or "status" in fields):
        from kapcare.billing.ledger.tasks import enqueue_session_charges

        enqueue_session_charges(instance.pk)


def session_changed(sender, instance, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw") and instance.kind in ("cancelled", "no_show"):
        from kapcare.billing.ledger.tasks import enqueue_fee

        enqueue_fee(instance.pk)


def connect() -> None:
    from kapcare.episodes.models import CareSession
    from kapcare.scheduling.models import SessionChange

    post_save.connect(session_booked, sender=CareSession, dispatch_uid="billing.session_booked")
    post_save.connect(session_done, sender=CareSession, dispatch_uid="billing.session_done")
    post_save.connect(session_changed, sender=SessionChange, dispatch_uid="billing.session_changed")
