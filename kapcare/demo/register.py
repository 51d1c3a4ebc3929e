"""The demo's DEA records: a vial found missing, reported with the data of DEA Form 106 and
submitted to the DEA; then the nurse takes the biennial inventory at the close of business,
counting every lot the register holds, and the count reconciles with the register (the
report's own line took the missing vial out)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.accounts.models import User
from kapcare.audit.log import Actor
from kapcare.audit.models import Channel
from kapcare.dosing.models import Drug
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.substances.models import (
    BusinessMoment,
    Inventory,
    InventoryKind,
    LossKind,
    TheftLossReport,
)

VIAL_MG = Decimal(500)  # the demo's vials: 500 mg/10 mL (demo.episodes)


def report_missing_vial(clinic, nurse: User, password: str) -> TheftLossReport:
    """One 500 mg vial of the fullest ketamine lot not found at yesterday's evening count:
    the nurse files the report (re-entering her password), its line leaves the register,
    and its submission to the DEA is recorded with the confirmation the DEA gave."""
    actor = Actor(user=nurse, ip_address=None, channel=Channel.SYSTEM)
    lot = max(
        (
            lot
            for lot in inventory_services.lots_on_hand(clinic.pk)
            if lot.identity.get("drug") == Drug.KETAMINE
        ),
        key=lambda lot: lot.stock_mg,
    )
    yesterday = timezone.localdate(timezone.now(), clinic.zone) - dt.timedelta(days=1)
    report = inventory_services.file_theft_loss(
        actor=actor,
        clinic=clinic,
        details=inventory_services.LossDetails(
            discovered_on=yesterday,
            kind=LossKind.OTHER,
            description=(
                f"One 500 mg/10 mL vial of lot {lot.lot_number} was not in the locked cabinet "
                "at the close-of-business count. The day's dosing records, the cabinet log "
                "and the sharps container were checked with the clinician; the vial was not "
                "found. Unexplained loss."
            ),
            police_notified=False,
            police_department="",
            police_report_number="",
        ),
        lost=[inventory_services.LostLot(lot.lot_number, VIAL_MG)],
        reauthentication=step_up.reauthenticate(nurse, password),
    )
    return inventory_services.record_submission(
        actor=actor, report=report, dea_confirmation="DEA-106-48213"
    )


def take_biennial_inventory(clinic, nurse: User, password: str) -> Inventory:
    """Every lot on hand counted as the register has it, signed by `nurse` re-entering
    her password (before the demo's people get their authenticator apps)."""
    return inventory_services.take_inventory(
        actor=Actor(user=nurse, ip_address=None, channel=Channel.SYSTEM),
        clinic=clinic,
        kind=InventoryKind.BIENNIAL,
        taken_as_of=BusinessMoment.CLOSE,
        counts=[
            inventory_services.LotCount(lot_number=lot.lot_number, counted_mg=lot.stock_mg)
            for lot in inventory_services.lots_on_hand(clinic.pk)
        ],
        reauthentication=step_up.reauthenticate(nurse, password),
        note="Counted with the vials in the locked cabinet.",
    )
