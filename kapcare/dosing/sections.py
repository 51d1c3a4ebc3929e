"""The parts of a dosing session's record page, in the order a session runs. Each part is
a template and a function `(request, record) -> context` in the module that owns it; the
page (`views.record`) shows them in this order. A function named by its dotted path is
imported when the page is first shown."""

from dataclasses import dataclass
from functools import cache
from importlib import import_module


@dataclass(frozen=True)
class Part:
    key: str
    heading: str
    template: str
    context: str  # "module.function"


PARTS = [
    # --- dose ---
    Part("dose", "Dose", "dosing/_dose.html", "kapcare.dosing.dose.views.part_context"),
    Part(
        "setting",
        "Set and setting",
        "dosing/_setting.html",
        "kapcare.dosing.dose.views.setting_context",
    ),
    # --- esketamine (only on a record whose dose is or may be esketamine) ---
    Part(
        "esketamine",
        "Esketamine (Spravato)",
        "dosing/esketamine/_part.html",
        "kapcare.dosing.esketamine.views.part_context",
    ),
    # --- vitals ---
    Part(
        "vitals",
        "Vital signs",
        "dosing/_vitals.html",
        "kapcare.dosing.vitals.views.part_context",
    ),
    # --- events ---
    Part("events", "Events", "dosing/_events.html", "kapcare.dosing.events.views.events_context"),
    # --- substances ---
    Part(
        "substances",
        "Controlled substance",
        "dosing/_substances.html",
        "kapcare.dosing.substances.views.part_context",
    ),
    # --- discharge ---
    Part(
        "discharge",
        "Discharge",
        "dosing/_discharge.html",
        "kapcare.dosing.discharge.views.discharge_context",
    ),
    # --- signing ---
    Part(
        "signature",
        "Signature and addenda",
        "dosing/_signature.html",
        "kapcare.dosing.signing.views.signature_context",
    ),
    Part(
        "summary",
        "Summary for the therapist",
        "dosing/_summary.html",
        "kapcare.dosing.summary.views.summary_context",
    ),
]


@cache
def _function(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def parts_for(request, record) -> list[tuple[Part, dict]]:
    """The parts of `record`'s page with their contexts; a part whose function answers
    None does not concern this record and is left out."""
    found = [(part, _function(part.context)(request, record)) for part in PARTS]
    return [(part, context) for part, context in found if context is not None]
