"""The attacker's probe: every page and API operation, as people who must not reach another
patient's record, with real ids of records that belong to someone else.

Pages come from the URL resolver and operations from the OpenAPI document, so a page or an
operation added later is probed without touching this module (a new kind of id in a URL, or
a new request body, fails until the probe learns to fill it). Each answer is classified:

- refused: a redirect (to sign in, or away), 401, 403, 404, 405, 413, 422, 429, or any 4xx;
- clean: a 2xx that names none of the persona's foreign patients nor their records;
- leak: a 2xx that names a foreign patient (name, date of birth, email) or one of their
  record ids, or a write that changed the other clinic's rows (a digest of every table that
  leads to a clinic, taken before and after the persona's attempts);
- server error: any 5xx.
"""

import datetime as dt
import hashlib
import html
import json
import urllib.parse
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import dateformat

from kapcare.api import api
from kapcare.clinics.models import Clinic

# What an attacker types into a field: a lone surrogate, a NUL byte, a 100 KB string, a date
# past every range the clinic works in.
BAD_VALUES = {
    "surrogate": "x\ud800y",
    "nul": "x\x00y",
    "100kb": "x" * 100_000,
    "far date": "9999-12-31",
}

# Tables whose rows a refused attempt may add: the access log records every refusal, and
# the outbox is not the clinic's records.
NOT_CLINIC_RECORDS = {"audit.accesslogentry", "notifications.notification"}
# A person's own API tokens and calendar feed: anyone signed in may make their own.
NOT_CLINIC_RECORDS |= {"accounts.apitoken", "scheduling.calendarfeed"}


@dataclass
class Tally:
    """The figures of one probe run: attempts by group, leaks and server errors by what."""

    attempts: Counter = field(default_factory=Counter)
    leaks: list = field(default_factory=list)
    server_errors: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "attempts": dict(self.attempts),
            "leaks": list(self.leaks),
            "server_errors": list(self.server_errors),
        }


@dataclass
class Persona:
    """Someone who must not reach the victim clinic's records."""

    name: str
    group: str
    user: object = None  # None: nobody signed in
    api_headers: dict | None = None  # None: no API attempts
    pages: bool = True
    # Identifiers that must never appear in a 2xx answer to this persona.
    forbidden: set = field(default_factory=set)
    # Of those, the ids of records the persona's sharing scope opens over FHIR, where a
    # resource carries its id (a therapist with the schedule scope reads the sessions).
    fhir_shared: set = field(default_factory=set)


# --- pages ---------------------------------------------------------------------------------


def page_patterns(resolver=None, namespace=""):
    """(url name, parameter names) of every page, the Django admin and the API left out."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            # The FHIR interface has its own matrix: kapcare/fhir/tests/test_policy.py.
            if entry.namespace in {"admin", "api", "fhir"}:
                continue
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from page_patterns(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", set(getattr(entry.pattern, "converters", {}))


def page_urls(fillers: dict, per_page: dict) -> dict[str, str]:
    """url name -> URL, each parameter filled with a real id of someone else's record."""
    urls = {}
    for name, params in page_patterns():
        unknown = params - set(fillers)
        assert not unknown, f"teach the probe to fill {unknown} for {name}"
        kwargs = {p: fillers[p] for p in params} | per_page.get(name, {})
        urls[name] = reverse(name, kwargs=kwargs)
    return urls


class FormFields(HTMLParser):
    """The POST forms of a page: action -> {field name: value}, as a browser would send them
    (file inputs and the CSRF token left out)."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: dict[str, dict[str, str]] = {}
        self._current = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                action = attrs.get("action") or self.page_url
                action = urllib.parse.urljoin(self.page_url, action).split("#")[0]
                self._current = self.forms.setdefault(action, {})
            else:
                self._current = None
            return
        if tag == "option" and self._current is not None and self._select:
            if "selected" in attrs or not self._current.get(self._select):
                self._current[self._select] = attrs.get("value") or ""
            return
        if self._current is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if name == "csrfmiddlewaretoken":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "file" or kind in {"submit", "button", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                self._current.setdefault(name, "")
                return
            self._current[name] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self._current[name] = ""
        elif tag == "select":
            self._select = name
            self._current.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._current is not None and self._textarea:
            self._current[self._textarea] += data


def post_forms(body: str, page_url: str) -> dict[str, dict[str, str]]:
    parser = FormFields(page_url)
    parser.feed(body)
    return {action: fields for action, fields in parser.forms.items() if action.startswith("/")}


def form_body(fields: dict[str, str]) -> bytes:
    """URL-encoded as a client that does not care about Unicode would send it: a lone
    surrogate goes on the wire as its three UTF-8-like bytes."""
    return urllib.parse.urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()


def post_form(client, url: str, fields: dict[str, str]):
    return client.generic(
        "POST", url, form_body(fields), content_type="application/x-www-form-urlencoded"
    )


# --- API -----------------------------------------------------------------------------------

# A minimal valid body for each request schema of the OpenAPI document.
API_BODIES = {
    "PatientCreate": {
        "given_name": "Probe",
        "family_name": "Attempt",
        "birth_date": "1980-01-01",
        "sex_at_birth": "F",
    },
    "PatientPatch": {"given_name": "Changed"},
    "AssessmentIn": {"instrument": "gad7", "answers": [0, 0, 0, 0, 0, 0, 0]},
    "TreatmentSignatureIn": {
        "typed_name": "Probe Attempt",
        "agreed": True,
        "version": 1,
        "text_sha256": "0" * 64,
    },
    "AuthorizationIn": {
        "therapist_email": "probe@practice.example",
        "scopes": ["measures"],
        "typed_name": "Probe Attempt",
        "agreed": True,
    },
    "RevocationIn": {"reason": "probe"},
    "EpisodeIn": {"model": "blended", "diagnosis_code": "F32.1"},
    "EstimateIn": {},  # the episode id is the victim's (`dated` below)
    "PaymentIn": {"amount": "475.00", "method": "cash"},
    "SessionIn": {"kind": "preparation"},
    "CompleteIn": {"note": "probe"},
    "VitalsIn": {"hr": 70, "sbp": 120, "dbp": 80, "spo2": 98, "rr": 14, "sedation": 0},
    "RoomPatch": {"monitor_device_id": "PROBE-MONITOR", "name": "Probe Room"},
    "TherapySessionRecordIn": {"start_time": "10:00:00", "attended": True},
    "TherapySessionIn": {"start_time": "10:00:00", "attended": True, "kind": "integration"},
    "RescheduleIn": {},
    "CancelIn": {"reason": "clinic", "note": "probe"},
    "NoShowIn": {"note": "probe"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # filled
    template: str
    body: dict | None


def _schema_name(request_body: dict) -> str | None:
    schema = request_body.get("content", {}).get("application/json", {}).get("schema", {})
    refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
    names = [ref.rsplit("/", 1)[1] for ref in refs if ref]
    return names[0] if names else None


def api_operations(fillers: dict, per_operation: dict, today: dt.date) -> list[Operation]:
    """Every operation of the OpenAPI document, its path filled with someone else's ids and a
    minimal valid body (dates and foreign ids added here, relative to today)."""
    dated = {
        "SessionIn": {"start": f"{today + dt.timedelta(days=9)}T15:00:00Z"},
        "RescheduleIn": {"start": f"{today + dt.timedelta(days=10)}T15:00:00Z"},
        "TherapySessionRecordIn": {"held_on": str(today)},
        "TherapySessionIn": {"held_on": str(today)},
        "EpisodeIn": {"patient_id": fillers["patient_id"]},
        "EstimateIn": {"episode_id": fillers["episode_id"]},
    }
    operations = []
    for template, methods in api.get_openapi_schema()["paths"].items():
        for method, spec in methods.items():
            params = {p["name"]: p for p in spec.get("parameters", [])}
            path_params = {n for n, p in params.items() if p["in"] == "path"}
            unknown = path_params - set(fillers)
            assert not unknown, f"teach the probe to fill {unknown} for {method} {template}"
            path = template.format(**{p: fillers[p] for p in path_params})
            query = {
                n: fillers[n] for n, p in params.items() if p["in"] == "query" and n in fillers
            }
            if query:
                path = f"{path}?{urllib.parse.urlencode(query)}"
            body = None
            if "requestBody" in spec:
                name = _schema_name(spec["requestBody"])
                assert name in API_BODIES, f"teach the probe a body for {name}"
                body = API_BODIES[name] | dated.get(name, {})
            body = per_operation.get((method, template), body)
            operations.append(Operation(method.upper(), path, template, body))
    return operations


def call(client, operation: Operation, headers: dict, body=None):
    body = operation.body if body is None else body
    data = "" if body is None else json.dumps(body)
    return client.generic(
        operation.method, operation.path, data, content_type="application/json", headers=headers
    )


def string_fields(body: dict) -> list[str]:
    return [key for key, value in body.items() if isinstance(value, str)]


# --- classification --------------------------------------------------------------------------


def identifiers(patient) -> set[str]:
    """What names a patient in an answer."""
    found = {
        patient.full_name,
        f"{patient.family_name}, {patient.given_name}",
        str(patient.external_id),
        patient.birth_date.isoformat(),
        dateformat.format(patient.birth_date, "M j, Y"),
    }
    if patient.email:
        found.add(patient.email)
    return found


def leaked(response, forbidden: set[str]) -> list[str]:
    """The forbidden identifiers a 2xx answer contains."""
    if not 200 <= response.status_code < 300 or not forbidden:
        return []
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    text = html.unescape(raw.decode("utf-8", errors="replace"))
    return sorted(token for token in forbidden if token in text)


def judge(tally: Tally, group: str, what: str, response, forbidden: set[str]) -> None:
    tally.attempts[group] += 1
    if response.status_code >= 500:
        tally.server_errors.append(f"{group}: {what} -> {response.status_code}")
        return
    found = leaked(response, forbidden)
    if found:
        tally.leaks.append(f"{group}: {what} -> {response.status_code} shows {found[:3]}")


# --- FHIR ----------------------------------------------------------------------------------


def fhir_urls(victim, clinician) -> dict[str, str]:
    """Every FHIR read, search and `$everything` aimed at `victim`: each type searched
    whole and by the victim, and read by the id of one of the victim's rows (the
    practitioner and the organization: the victim's clinician and clinic)."""
    from kapcare.fhir.resources import SOURCES, STATIC_TYPES

    urls = {"$everything": f"/fhir/r4/Patient/{victim.external_id}/$everything"}
    for name, sources in SOURCES.items():
        urls[f"search {name}"] = f"/fhir/r4/{name}"
        for source in sources:
            if source.is_patient_data:
                rows = source.model.objects.filter(source.base).filter(
                    **{source.patient_path or "pk": victim.pk}
                )
                if source.patient_path:
                    urls[f"search {name} by patient"] = (
                        f"/fhir/r4/{name}?patient={victim.external_id}"
                    )
            elif name == "Practitioner":
                rows = source.model.objects.filter(pk=clinician.pk)
            else:
                rows = source.model.objects.filter(pk=victim.clinic_id)
            row = rows.order_by("pk").first()
            if row is not None:
                urls[f"read {name} ({source.model.__name__})"] = (
                    f"/fhir/r4/{name}/{row.external_id}"
                )
    for name in STATIC_TYPES:
        urls[f"search {name}"] = f"/fhir/r4/{name}"
    return urls


# --- writes --------------------------------------------------------------------------------


def _paths_to_clinic(model, depth=4) -> str | None:
    """The shortest chain of foreign keys from `model` to Clinic ("patient__clinic"), or None."""
    queue = deque([(model, "")])
    seen = {model}
    while queue:
        current, path = queue.popleft()
        if current is Clinic:
            return path.removesuffix("__") or "pk"
        if path.count("__") >= depth:
            continue
        for fk in current._meta.concrete_fields:
            if isinstance(fk, models.ForeignKey) and fk.related_model not in seen:
                seen.add(fk.related_model)
                queue.append((fk.related_model, f"{path}{fk.name}__"))
    return None


def clinic_tables() -> dict:
    """Every kapcare table whose rows belong to one clinic, with the chain that says which."""
    tables = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("kapcare.") or label in NOT_CLINIC_RECORDS:
            continue
        path = _paths_to_clinic(model)
        if path:
            tables[model] = path
    return tables


def clinic_digest(clinic, tables) -> dict[str, str]:
    """A fingerprint of every row that belongs to `clinic` (sign-in times left out)."""
    digest = {}
    for model, path in tables.items():
        columns = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        rows = model.objects.filter(**{path: clinic.pk}).order_by("pk").values_list(*columns)
        digest[model._meta.label_lower] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digest


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))
