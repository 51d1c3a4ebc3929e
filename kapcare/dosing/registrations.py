"""What the dosing record adds to the apps below it, through their registries: each call
belongs to the module that owns the feature. Imported from `DosingConfig.ready`, once the
models are loaded."""

from kapcare.dosing import portal_cards, shared_sections
from kapcare.dosing.dose.services import dose_gates
from kapcare.dosing.esketamine.services import rems_gates
from kapcare.episodes.gates import registry as gate_registry


def register() -> None:
    # --- dose: "dose prescribed and checked", "therapist present" gates ---
    gate_registry.register(dose_gates)
    # --- esketamine: "REMS patient enrolment" gate ---
    gate_registry.register(rems_gates)
    # --- signing: the portal card asking for the patient's account, and the
    # shared record's session summaries ---
    portal_cards.register()
    shared_sections.register()
