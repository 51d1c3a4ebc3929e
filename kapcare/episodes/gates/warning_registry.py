"""Warnings that apps above `episodes` show on an episode's page, without `episodes`
importing them: the directory warns when the therapist an episode depends on has an
unverified or expired credential.

A provider is called with the episodes shown (each with its `clinic` loaded) and the day,
and returns the warnings in words for the episodes it has something to say about, keyed by
the episode's pk, in a fixed number of queries whatever the number of episodes.
"""

from collections.abc import Callable
from datetime import date

Provider = Callable[[list, date], dict[int, list[str]]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def warnings_for(episodes: list, today: date) -> dict[int, list[str]]:
    """Every provider's warnings for `episodes`, by episode pk (episodes with none left out)."""
    found: dict[int, list[str]] = {}
    for provider in _providers:
        for episode_id, warnings in provider(episodes, today).items():
            if warnings:
                found.setdefault(episode_id, []).extend(warnings)
    return found
