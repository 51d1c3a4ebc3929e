"""Two doses drawing a package's last session at the same moment, each in its own thread
with its own connection (PostgreSQL, READ COMMITTED): exactly one draws it, the other is
told the package is used up. The package row's lock decides, not a Python check that
races. Two refunds of one payment at once never pass what was paid, for the same reason."""

from decimal import Decimal

import pytest
from django.db import connection

from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import PackageDrawDown, Payment, PaymentKind
from kapcare.billing.ledger.tests.factories import actor, dose_done, pay, product
from kapcare.refusals import Refused
from kapcare.scheduling.tests.test_no_double_booking import race
from tests.factories import open_episode

pytestmark = pytest.mark.django_db(transaction=True)


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…): threads share no SQLite")


def test_two_doses_drawing_the_last_session_at_once_draw_it_once(
    clinic, patient, clinician, coordinator
):
    needs_postgresql()
    episode = open_episode(patient, clinician, model="standalone")
    sale = services.sell_package(
        actor=actor(coordinator), patient=patient, product=product(clinic, sessions=1)
    )
    doses = [dose_done(episode, clinician, days_ago=d) for d in (2, 1)]
    attempts = iter(doses)

    def attempt():
        session = next(attempts)
        return services.draw_down(actor=actor(coordinator), package=sale, session=session)

    results = race(2, attempt)

    drawn = [r for r in results if isinstance(r, PackageDrawDown)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert (len(drawn), len(refused)) == (1, 1), results
    assert refused[0].problems == {"package_id": "Every session of this package is used."}
    assert PackageDrawDown.objects.filter(package=sale).count() == 1


def test_two_refunds_at_once_never_pass_the_payment(patient, coordinator):
    needs_postgresql()
    payment = pay(patient, coordinator, amount="475.00")

    results = race(
        2,
        lambda: services.record_refund(actor=actor(coordinator), payment=payment, amount="300.00"),
    )

    assert sum(isinstance(r, Payment) for r in results) == 1, results
    refunded = Payment.objects.filter(kind=PaymentKind.REFUND)
    assert sum(r.amount for r in refunded) == Decimal("300.00")
