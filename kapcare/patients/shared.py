"""Sections of the shared record: what an outside therapist sees of a patient who authorised
sharing, contributed by other apps; see `patients.sections` for how an app registers one.

A section's key is the sharing scope it shows (`scopes.Scope`), and its context function
returns None when the policy refuses that scope to the user, so a section appears only
within a live authorisation that names its scope. A few sections need a live authorisation
but no scope (the therapist's own sessions, messages, journal entries the patient chose to
share): their keys name them instead, and their context asks the policy the same way. A
scope with no section registered (no app holds that data yet) is listed by the page as
authorised, with nothing to show.
"""

from kapcare.patients.sections import Section, SectionRegistry

SharedSection = Section


class SharedSectionRegistry(SectionRegistry):
    def keys(self) -> frozenset[str]:
        """The keys of the registered sections: the scopes some app shows a section for,
        and the names of the sections that need no scope."""
        return frozenset(self._sections)


_registry = SharedSectionRegistry()
register = _registry.register
sections_for = _registry.sections_for
registered_scopes = _registry.keys
