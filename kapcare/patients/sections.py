"""Registries through which other apps add parts to the patients app's pages.

An app registers a `Section` in its AppConfig.ready(): a template and a function that
returns its context for one patient (in a fixed number of queries), or None to be left
out. The page renders the sections in `order`. This is how measures, screening, consents
and episodes reach the chart and the portal without `patients` importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    context: Callable[[object, object], dict | None]  # (request, patient) -> context
    order: int = 100


class SectionRegistry:
    def __init__(self) -> None:
        self._sections: dict[str, Section] = {}

    def register(self, section: Section) -> Section:
        self._sections[section.key] = section
        return section

    def sections_for(self, request, patient) -> list[tuple[Section, dict]]:
        """Each registered section with its context; a section returning None is left
        out."""
        rendered = []
        for section in sorted(self._sections.values(), key=lambda s: s.order):
            context = section.context(request, patient)
            if context is not None:
                rendered.append((section, context))
        return rendered
