"""Sections of the patient chart (staff only) contributed by other apps; see
`patients.sections` for how an app registers one."""

from kapcare.patients.sections import Section, SectionRegistry

ChartSection = Section

_registry = SectionRegistry()
register = _registry.register
sections_for = _registry.sections_for
