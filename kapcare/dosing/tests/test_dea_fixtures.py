"""Helpers for the DEA records' tests (no tests here): a clinic registered with the DEA, an
inventory taken and a theft or loss filed by a persona who re-authenticated just now."""

from decimal import Decimal as D

from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.clinics.models import Clinic
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.substances.models import BusinessMoment, InventoryKind, LossKind
from tests.factories import receive_lot
from tests.second_factor import reauthenticated

REGISTRATION = "AB1234563"
OTHER_REGISTRATION = "BC7654329"
ADDRESS = "1 Music Row\nNashville, TN 37203"


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def registered(clinic) -> Clinic:
    """`clinic` with its DEA registration number and address in its settings."""
    Clinic.objects.filter(pk=clinic.pk).update(
        dea_registration_number=REGISTRATION, dea_registered_address=ADDRESS
    )
    clinic.refresh_from_db()
    return clinic


def stocked(clinic, by, lot_number="KET-2611", amount_mg="1000"):
    """A registered clinic with one lot received (by `by`, counted with a nurse)."""
    registered(clinic)
    return receive_lot(clinic, lot_number=lot_number, amount_mg=amount_mg, by=by)


def counts_as_registered(clinic, found: dict | None = None, *, reasons=None, adjust=()):
    """A count of every lot on hand: the register's figure unless `found` says otherwise."""
    found, reasons = found or {}, reasons or {}
    return [
        inventory_services.LotCount(
            lot_number=lot.lot_number,
            counted_mg=D(found.get(lot.lot_number, lot.stock_mg)),
            reason=reasons.get(lot.lot_number, ""),
            adjust=lot.lot_number in adjust,
        )
        for lot in inventory_services.lots_on_hand(clinic.pk)
    ]


def take(user, clinic, counts=None, *, kind=InventoryKind.BIENNIAL, **extra):
    return inventory_services.take_inventory(
        actor=actor(user),
        clinic=clinic,
        kind=kind,
        taken_as_of=extra.pop("taken_as_of", BusinessMoment.OPENING),
        counts=counts if counts is not None else counts_as_registered(clinic),
        reauthentication=extra.pop("reauthentication", None) or reauthenticated(user),
        **extra,
    )


def details(clinic, **changes) -> inventory_services.LossDetails:
    fields = {
        "discovered_on": timezone.localdate(timezone.now(), clinic.zone),
        "kind": LossKind.EMPLOYEE_PILFERAGE,
        "description": "A 10 mL vial missing from the locked cabinet at the evening count.",
        "police_notified": True,
        "police_department": "Metro Nashville Police Department",
        "police_report_number": "2026-118",
    }
    return inventory_services.LossDetails(**{**fields, **changes})


def file_loss(user, clinic, lost: dict, **changes):
    return inventory_services.file_theft_loss(
        actor=actor(user),
        clinic=clinic,
        details=details(clinic, **changes),
        lost=[inventory_services.LostLot(lot, D(amount)) for lot, amount in lost.items()],
        reauthentication=reauthenticated(user),
    )
