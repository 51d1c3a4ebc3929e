"""The ledger is append-only in the database itself: a raw UPDATE or DELETE of a charge,
a void, a payment, a package sale, draw-down or refund is refused by the triggers of
billing migration 0003 (SQLite and PostgreSQL alike), and the ORM refuses a delete."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kapcare.accounts.step_up import Method, Reauthentication
from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import (
    Charge,
    ChargeVoid,
    PackageDrawDown,
    PackageRefund,
    PackageSale,
    Payment,
)
from kapcare.billing.ledger.tests.factories import actor, dose_done, pay, post, product
from kapcare.kept import RecordIsKept
from tests.factories import open_episode

LEDGER_MODELS = [Charge, ChargeVoid, Payment, PackageSale, PackageDrawDown, PackageRefund]


@pytest.fixture
def every_kind(clinic, patient, clinician, coordinator):
    episode = open_episode(patient, clinician, model="standalone")
    sale = services.sell_package(actor=actor(coordinator), patient=patient, product=product(clinic))
    pay(patient, coordinator, amount="2400.00", package_id=str(sale.external_id))
    charge = post(dose_done(episode, clinician))[0]
    services.void_charge(
        actor=actor(coordinator),
        charge=charge,
        reason="Test",
        reauthentication=Reauthentication(coordinator.pk, Method.PASSWORD, timezone.now()),
    )
    services.refund_package(
        actor=actor(coordinator),
        package=sale,
        reauthentication=Reauthentication(coordinator.pk, Method.PASSWORD, timezone.now()),
    )


def refused(sql: str, params) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return "never" in str(error)
    return False


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_the_database_refuses_to_change_or_delete_a_ledger_row(every_kind, model):
    row = model.objects.first()
    table = model._meta.db_table

    assert refused(f"DELETE FROM {table} WHERE id = %s", [row.pk])
    assert refused(f"UPDATE {table} SET id = id WHERE id = %s", [row.pk])
    with pytest.raises(RecordIsKept):
        row.delete()
    assert model.objects.filter(pk=row.pk).exists()
