"""The patient chart's timeline, filled by every app that has something to say.

An app registers a provider in its AppConfig.ready(): a function taking a patient and
returning TimelineEvents. Each provider must use a fixed number of queries whatever the
size of the record (no query per row). Apps depend on patients, so patients never
imports them: the registry is how they reach the chart.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.formats import date_format


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime
    title: str
    detail: str = ""
    url: str = ""
    kind: str = "record"

    @property
    def when_text(self) -> str:
        return date_format(self.when, "N j, Y")


Provider = Callable[[object], Iterable[TimelineEvent]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def timeline_for(patient) -> list[TimelineEvent]:
    """All events of all registered providers, newest first."""
    events = [event for provider in _providers for event in provider(patient)]
    return sorted(events, key=lambda e: e.when, reverse=True)


def record_events(patient) -> list[TimelineEvent]:
    """The chart's own events: registration and each weight or height recorded."""
    events = [TimelineEvent(when=patient.created_at, title="Registered at the clinic")]
    for m in patient.body_measurements.all():
        parts = [
            f"{m.weight_kg} kg" if m.weight_kg else "",
            f"{m.height_cm} cm" if m.height_cm else "",
        ]
        events.append(
            TimelineEvent(
                when=m.recorded_at,
                title="Weight/height recorded",
                detail=", ".join(p for p in parts if p) + f" (measured {m.measured_on:%b %-d, %Y})",
                kind="measurement",
            )
        )
    return events
