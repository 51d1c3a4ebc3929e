"""Payments, refunds, deposits and prepaid packages: a refund never passes what was paid,
a deposit holds a session and is applied when its charges post, a package is drawn down a
dose at a time and never past its last, and refunded by the clinic's rule. The balance is
always the sum of the lines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kapcare.accounts.step_up import Method, Reauthentication
from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import PackageDrawDown, Payment, PaymentKind
from kapcare.billing.ledger.tests.factories import actor, dose_done, pay, post, product
from kapcare.refusals import Refused
from tests.factories import open_episode, plan_session

D = Decimal


@pytest.fixture
def episode(patient, clinician):
    return open_episode(patient, clinician, model="standalone")


def reauthenticated(user) -> Reauthentication:
    return Reauthentication(user.pk, Method.PASSWORD, timezone.now())


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"amount": "abc"}, {"amount"}),
        ({"amount": "-10"}, {"amount"}),
        ({"method": "bitcoin"}, {"method"}),
        ({"method": "check"}, {"reference"}),
        ({"method": "processor", "reference": ""}, {"reference"}),
        ({"package_id": "not-a-uuid"}, {"package_id"}),
        ({"deposit_session_id": "00000000-0000-0000-0000-000000000000"}, {"deposit_session_id"}),
    ],
    ids=[
        "amount-text",
        "amount-negative",
        "method",
        "check-reference",
        "processor-reference",
        "package",
        "deposit-session",
    ],
)
def test_a_bad_payment_is_refused_at_its_field(patient, coordinator, fields, problems):
    data = {"amount": "475.00", "method": "card"} | fields

    with pytest.raises(Refused) as refused:
        services.record_payment(
            actor=actor(coordinator), patient=patient, data=services.PaymentInput(**data)
        )

    assert set(refused.value.problems) == problems
    assert not Payment.objects.exists()


def test_a_payment_is_kept_as_decimal_and_lowers_the_balance(episode, clinician, coordinator):
    post(dose_done(episode, clinician))

    payment = pay(episode.patient, coordinator, amount="475.00", method="check", reference="1042")

    assert payment.amount == D("475.00")
    assert services.ledger_of(episode.patient).balance == D("0.00")


def test_a_refund_never_passes_what_is_left_of_the_payment(patient, coordinator):
    payment = pay(patient, coordinator, amount="475.00")
    services.record_refund(actor=actor(coordinator), payment=payment, amount="400.00")

    with pytest.raises(Refused) as refused:
        services.record_refund(actor=actor(coordinator), payment=payment, amount="75.01")

    assert refused.value.problems == {"amount": "At most $75.00 of this payment is left to refund."}
    services.record_refund(actor=actor(coordinator), payment=payment, amount="75.00")
    assert services.ledger_of(patient).balance == D("0.00")


def test_a_deposit_holds_a_session_and_is_applied_when_its_charges_post(
    episode, clinician, coordinator
):
    upcoming = plan_session(episode, clinician, starts_at=timezone.now() + dt.timedelta(days=5))
    pay(
        episode.patient,
        coordinator,
        amount="100.00",
        deposit_session_id=str(upcoming.external_id),
    )
    held = services.ledger_of(episode.patient)
    assert held.balance == D("-100.00")
    assert "holding a booked session" in held.lines[-1].description

    from kapcare.episodes.models import CareSession, SessionStatus

    CareSession.objects.filter(pk=upcoming.pk).update(status=SessionStatus.DONE)
    from kapcare.dosing import recording

    recording.record_for(actor(clinician), upcoming)
    post(upcoming)

    applied = services.ledger_of(episode.patient)
    assert applied.balance == D("375.00")
    assert any("applied to the session's charges" in line.description for line in applied.lines)


def test_a_package_covers_its_doses_and_its_unused_part_is_refunded_pro_rata(
    clinic, episode, clinician, coordinator
):
    sale = services.sell_package(
        actor=actor(coordinator), patient=episode.patient, product=product(clinic)
    )
    pay(episode.patient, coordinator, amount="2400.00", package_id=str(sale.external_id))
    for days_ago in (3, 2, 1):
        post(dose_done(episode, clinician, days_ago=days_ago))

    ledger = services.ledger_of(episode.patient)
    assert ledger.balance == D("0.00")
    assert (ledger.packages[0]["used"], ledger.packages[0]["left"]) == (3, 3)

    closed = services.refund_package(
        actor=actor(coordinator), package=sale, reauthentication=reauthenticated(coordinator)
    )

    assert (closed.unused, closed.amount) == (3, D("1200.00"))
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert refund.amount == D("1200.00")
    assert services.ledger_of(episode.patient).balance == D("0.00")
    # A dose after the refund is not drawn from the package: the patient pays for it.
    post(dose_done(episode, clinician, days_ago=0))
    assert PackageDrawDown.objects.count() == 3
    assert services.ledger_of(episode.patient).balance == D("475.00")


def test_a_package_is_never_drawn_past_its_last_session(clinic, episode, clinician, coordinator):
    sale = services.sell_package(
        actor=actor(coordinator), patient=episode.patient, product=product(clinic, sessions=1)
    )
    first, second = (dose_done(episode, clinician, days_ago=d) for d in (2, 1))
    post(first)

    with pytest.raises(Refused):
        services.draw_down(actor=actor(coordinator), package=sale, session=second)
    post(second)

    assert PackageDrawDown.objects.filter(package=sale).count() == 1


def test_a_package_refund_needs_the_persons_code(clinic, patient, coordinator):
    sale = services.sell_package(actor=actor(coordinator), patient=patient, product=product(clinic))

    with pytest.raises(Refused):
        services.refund_package(actor=actor(coordinator), package=sale, reauthentication=None)


def test_a_package_off_sale_cannot_be_sold(clinic, patient, coordinator):
    offered = product(clinic)
    offered.is_active = False
    offered.save(update_fields=["is_active"])

    with pytest.raises(Refused):
        services.sell_package(actor=actor(coordinator), patient=patient, product=offered)
