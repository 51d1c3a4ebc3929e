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
    # --- dose (issue 6) ---
    # --- vitals (issue 6) ---
    # --- events (issue 6) ---
    # --- substances (issue 6) ---
    # --- discharge (issue 6) ---
    # --- signing (issue 6) ---
]


@cache
def _function(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def parts_for(request, record) -> list[tuple[Part, dict]]:
    return [(part, _function(part.context)(request, record)) for part in PARTS]
