"""The demo's DEA records: the nurse takes the biennial inventory at the close of business,
counting every lot the register holds, and the count reconciles with the register."""

from kapcare.accounts import step_up
from kapcare.accounts.models import User
from kapcare.audit.log import Actor
from kapcare.audit.models import Channel
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.substances.models import BusinessMoment, Inventory, InventoryKind


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
