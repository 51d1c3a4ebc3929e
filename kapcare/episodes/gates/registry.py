"""Gates that apps above `episodes` add to a dosing session's rules, without `episodes`
importing them: the dosing record adds "dose prescribed and double-checked".

A provider is called with the session and the moment the dose would be given, and returns
its rules as `ExtraGate`s, in a fixed number of queries whatever the record holds. The
gates page, the API and `services.start_dosing_session` all see them, like the nine rules
of `gates/rules.py`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ExtraGate:
    rule: str
    title: str
    passed: bool
    message: str
    fix_url: str = ""
    fix_label: str = ""
    # Some rules must never be waived: a dose no one has checked is not given.
    waivable: bool = True
    # A pass that still needs the clinician's eye (shown as "Passed, take note").
    warning: bool = False


Provider = Callable[[object, datetime], list[ExtraGate]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def extra_gates(session, dose_at: datetime) -> list[ExtraGate]:
    return [gate for provider in _providers for gate in provider(session, dose_at)]
