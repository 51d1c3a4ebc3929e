"""What every FHIR resource type kapcare serves has in common: where its rows come from,
who may see which of them, how they are filtered, and how one row becomes a resource.

A `Source` is one table read as one FHIR type (a type may have several: Observation is
read from vital signs and from questionnaire totals). Its `rows(user, …)` is the queryset
of what `user` may see, through the policy module (`policy.patients_for`, the set form of
`can`), so a FHIR read, a search, `$everything` and a bulk export all see alike. Its
`to_fhir(row)` returns the resource as a JSON-ready dict.

`checked(resource)` parses a resource with the R4B models of `fhir.resources` (R4B's JSON
for these resource types is R4's) and writes it back. A read of one resource is served
through it; a page of a search or of `$everything` is served as mapped, because the
models cost about half a millisecond a resource (a 500-resource record would take a
quarter of a second for that alone): the tests prove, for every source, that the mapping
is what the models write back unchanged, and that it validates against the official R4
JSON schema (kapcare/fhir/schema/).
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import F, Model, Q, QuerySet
from fhir.resources.R4B import get_fhir_model_class

from kapcare import policy
from kapcare.accounts.models import Role, User
from kapcare.fhir import codes
from kapcare.patients.models import Patient

# A search filter: the Q that narrows a source's rows, or `EXCLUDED` when no row of the
# source can match (an Observation search for category=survey skips the vital signs).
EXCLUDED = Q(pk__in=[])
SearchFilter = Callable[[list[str]], Q]


class BadSearch(ValueError):
    """A search parameter kapcare cannot read; the message names it for the client."""


@dataclass(frozen=True)
class Source:
    resource_type: str
    model: type[Model]
    # The policy actions that open these rows, the first whose roles include the caller's
    # (a therapist reads a patient under `VIEW_SHARED_RECORD`, staff under `VIEW_PATIENT`).
    # Empty for rows about no patient (Practitioner, Organization, Questionnaire).
    actions: tuple[policy.Action, ...]
    to_fhir_data: Callable[[Any], dict]
    # The path from a row to its patient ("" for the patient itself).
    patient_path: str = "patient"
    # The expression of a row's last change, for `meta.lastUpdated`, `_lastUpdated` and
    # a bulk export's `_since`.
    last_updated: Any = "updated_at"
    related: tuple[str, ...] = ()
    base: Q = field(default_factory=Q)
    # Search parameters of this type beyond those every type takes (`_id`,
    # `_lastUpdated`, and `patient`/`subject` on patient data).
    search: dict[str, SearchFilter] = field(default_factory=dict)
    # For rows about no patient: the queryset `user` may see.
    visible: Callable[[Any], QuerySet] | None = None

    @property
    def is_patient_data(self) -> bool:
        return bool(self.actions)

    def action_for(self, user) -> policy.Action | None:
        for action in self.actions:
            if getattr(user, "role", None) in policy.ROLE_ACTIONS[action]:
                return action
        return None

    def patients(self, user) -> QuerySet:
        """The patients whose rows of this source `user` may see."""
        action = self.action_for(user)
        return policy.patients_for(user, action) if action else Patient.objects.none()

    def rows(self, user, *, since: datetime | None = None, patient=None) -> QuerySet:
        """What `user` may see of this source, changed at or after `since` (if given), about
        `patient` (if given), with what `to_fhir` reads joined in."""
        if self.is_patient_data:
            prefix = f"{self.patient_path}__" if self.patient_path else ""
            rows = self.model.objects.filter(**{f"{prefix}pk__in": self.patients(user)})
            if patient is not None:
                rows = rows.filter(**{f"{prefix}pk": patient.pk})
        elif self.visible is not None:
            rows = self.visible(user)
        else:
            rows = self.model.objects.none()
        last_updated = (
            F(self.last_updated) if isinstance(self.last_updated, str) else self.last_updated
        )
        rows = rows.filter(self.base).annotate(fhir_last_updated=last_updated)
        if since is not None:
            rows = rows.filter(fhir_last_updated__gte=since)
        return rows.select_related(*self.related)

    def patient_of(self, row) -> Patient | None:
        if not self.is_patient_data:
            return None
        if not self.patient_path:
            return row
        for part in self.patient_path.split("__"):
            row = getattr(row, part)
        return row

    def to_fhir(self, row) -> dict:
        """`row` (from `rows`) as a FHIR R4 resource, a JSON-ready dict."""
        data = self.to_fhir_data(row)
        meta = {**data.pop("meta", {}), "lastUpdated": instant(row.fhir_last_updated)}
        return {
            "resourceType": self.resource_type,
            "id": str(row.external_id),
            "meta": meta,
            **data,
        }


def checked(data: dict) -> dict:
    """`data` parsed by its `fhir.resources` R4B model (which refuses an unknown element,
    a wrong type or a missing required one) and written back as JSON-ready data."""
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- Small builders shared by the resource modules ---


def instant(value: datetime | None) -> str | None:
    """An aware datetime as a FHIR instant, in UTC to the second ("2026-12-07T15:20:00Z")."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference(resource_type: str, external_id: uuid.UUID | str, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{external_id}"}
    if display:
        ref["display"] = display
    return ref


def patient_reference(patient: Patient) -> dict:
    return reference("Patient", patient.external_id)


def practitioner_reference(user) -> dict | None:
    """A reference by id only: the name is in the Practitioner, which only the clinic's
    staff read (an outside therapist's view names no staff member;
    docs/clinical-reference.md#session-summary-for-the-therapist)."""
    if user is None:
        return None
    return reference("Practitioner", user.external_id)


def coding(system: str, code: str, display: str = "") -> dict:
    item = {"system": system, "code": code}
    if display:
        item["display"] = display
    return item


def concept(system: str, code: str, display: str = "") -> dict:
    """A CodeableConcept of one coding, or only text where no code is confirmed."""
    if not code:
        return {"text": display}
    return {"coding": [coding(system, code, display)], "text": display or code}


def identifier(external_id: uuid.UUID) -> dict:
    return {"system": codes.URI_SYSTEM, "value": f"urn:uuid:{external_id}"}


def canonical(path: str) -> str:
    """An absolute address under this server's FHIR base (a Questionnaire's `url`)."""
    return f"{settings.SITE_URL.rstrip('/') or 'http://localhost'}/fhir/r4/{path}"


def without_empty(data: dict) -> dict:
    """`data` without the keys whose value is None, "" or empty: FHIR forbids empty
    elements."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def staff_users(user) -> QuerySet:
    """Who a staff member may look up as a practitioner: the people of their clinic;
    anyone else only themselves."""
    if getattr(user, "role", None) in policy.STAFF and user.clinic_id is not None:
        return User.objects.filter(clinic_id=user.clinic_id)
    if getattr(user, "is_authenticated", False) and user.role in {Role.THERAPIST, *policy.STAFF}:
        return User.objects.filter(pk=user.pk)
    return User.objects.none()


def accessed(sources_rows: Iterable[tuple[Source, Any]]):
    """(patient, record) for each row about a patient, for the access log (record None
    for the patient's own record)."""
    for source, row in sources_rows:
        patient = source.patient_of(row)
        if patient is not None:
            yield patient, (None if row is patient else row)
