"""Ledger records for tests: a dosing session done (its record as the clinicians left it),
a package product, a payment. Times are relative to now (the test clock)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import PackageProduct
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord
from kapcare.episodes.models import CareSession, SessionStatus
from tests.factories import RoomFactory, plan_session


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def dose_done(episode, clinician, *, days_ago=1, minutes=40, **record_fields):
    """A dosing session of `episode`, dosed for `minutes` and discharged `days_ago` days
    ago (status done), without its charges posted yet."""
    starts = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=days_ago)
    session = plan_session(
        episode, clinician, starts_at=starts, room=RoomFactory(clinic=episode.clinic)
    )
    record = recording.record_for(actor(clinician), session)
    DosingRecord.objects.filter(pk=record.pk).update(
        dose_started_at=starts + dt.timedelta(minutes=15),
        dose_ended_at=starts + dt.timedelta(minutes=15 + minutes),
        discharged_at=starts + dt.timedelta(minutes=90 + minutes),
        **record_fields,
    )
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DONE, status_changed_at=starts + dt.timedelta(hours=2)
    )
    session.refresh_from_db()
    return session


def post(session, by=None):
    return services.post_session_charges(actor=actor(by), session_id=session.pk)


def product(clinic, sessions=6, price="2400.00", name="Induction series"):
    return PackageProduct.objects.create(
        clinic=clinic,
        name=name,
        sessions=sessions,
        price=Decimal(price),
        created_at=timezone.now(),
    )


def pay(patient, by, amount="475.00", method="card", **fields):
    return services.record_payment(
        actor=actor(by),
        patient=patient,
        data=services.PaymentInput(amount=amount, method=method, **fields),
    )
