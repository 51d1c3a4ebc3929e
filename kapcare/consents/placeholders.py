"""Placeholders that other apps fill in consent documents.

The consents app knows the clinic's and the patient's particulars itself
(`services.particulars`); what belongs to another app — the course's cost estimate, from
`episodes` — reaches the documents through this registry, filled in that app's
AppConfig.ready(), so that `consents` never imports it (apps above consents import it, not
the other way round).

A provider is called with the patient and returns plain text or Markdown. It is called
only when the document's text names it, once for the text shown and again for the text
signed: a provider must give the same answer both times unless the facts changed, in which
case the signature is refused (the hash no longer matches what was read).
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from kapcare.consents import rules


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str
    provider: Callable[[object], str]  # (patient) -> text


_registry: dict[str, Placeholder] = {}


def register(name: str, description: str, provider: Callable[[object], str]) -> Placeholder:
    """Offer `{{ name }}` to every consent document. The name joins `rules.PLACEHOLDERS`,
    so the admin sees it in the list and publishing accepts it."""
    rules.add_placeholder(name, description)
    placeholder = Placeholder(name=name, description=description, provider=provider)
    _registry[name] = placeholder
    return placeholder


def values_for(patient, names: Collection[str] | None = None) -> dict[str, str]:
    """The registered placeholders' text for `patient`: those in `names`, or all."""
    return {
        name: placeholder.provider(patient)
        for name, placeholder in _registry.items()
        if names is None or name in names
    }
