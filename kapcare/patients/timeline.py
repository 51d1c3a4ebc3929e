"""The patient chart's timeline, filled by every app that has something to say.

An app registers a provider in its AppConfig.ready(): a function taking a patient and a
`TimelineWindow` and returning TimelineEvents: its newest `window.limit` events at or before
`window.until` (`window.newest` reads them so from a queryset). Each provider must use a
fixed number of queries whatever the size of the record (no query per row), each reading
no more than the window. Apps depend on patients, so patients never imports them: the
registry is how they reach the chart.

The chart shows a page of `TIMELINE_PAGE` events, newest first, and an "Earlier" link to
the next (`timeline_page`): each provider's newest events of the window merged and cut, so
a record with years of history costs what a new one does.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.formats import date_format

# The events a page of the chart's timeline shows.
TIMELINE_PAGE = 50


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


@dataclass(frozen=True)
class TimelineWindow:
    """The events a provider returns: its newest `limit`, at or before `until` (None: the
    newest of all)."""

    until: datetime | None = None
    limit: int = TIMELINE_PAGE + 1

    def newest(self, rows, field: str):
        """The rows of the window, newest first by `field` (a time column: with the
        record's key first in an index, so that only the window is read)."""
        if self.until is not None:
            rows = rows.filter(**{f"{field}__lte": self.until})
        return rows.order_by(f"-{field}", "-pk")[: self.limit]

    def keep(self, events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
        """The events of the window among `events` (for a provider whose events are few
        whatever the record, or that makes two events of one row)."""
        shown = [e for e in events if self.until is None or e.when <= self.until]
        return sorted(shown, key=lambda e: e.when, reverse=True)[: self.limit]


NEWEST = TimelineWindow()

Provider = Callable[[object, TimelineWindow], Iterable[TimelineEvent]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def timeline_page(
    patient, until: datetime | None = None, size: int = TIMELINE_PAGE
) -> tuple[list[TimelineEvent], datetime | None]:
    """The newest `size` events at or before `until`, newest first, and where the earlier
    page starts (None when there is none).

    Each provider gives its newest `size + 1`: together they hold the `size + 1` newest of
    all. The page ends before the time of the first event it leaves out, so that events at
    that same time all start the next page (which reads "at or before" it); only when every
    event of the page shares that time does it keep `size` of them, and the next page
    starts just before it."""
    window = TimelineWindow(until=until, limit=size + 1)
    events = sorted(
        (event for provider in _providers for event in window.keep(provider(patient, window))),
        key=lambda e: e.when,
        reverse=True,
    )
    if len(events) <= size:
        return events, None
    first_left_out = events[size].when
    shown = [e for e in events[:size] if e.when > first_left_out]
    if not shown:
        return events[:size], first_left_out - timedelta(microseconds=1)
    return shown, first_left_out


def timeline_for(patient) -> list[TimelineEvent]:
    """The newest page of events of all registered providers, newest first."""
    return timeline_page(patient)[0]


def record_events(patient, window: TimelineWindow = NEWEST) -> list[TimelineEvent]:
    """The chart's own events: registration and each weight or height recorded; one
    query."""
    events = [TimelineEvent(when=patient.created_at, title="Registered at the clinic")]
    for m in window.newest(patient.body_measurements.all(), "recorded_at"):
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
    return window.keep(events)
