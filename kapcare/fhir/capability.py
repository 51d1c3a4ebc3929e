"""The CapabilityStatement at /fhir/r4/metadata: what this server does, as a FHIR client
reads it (hl7.org/fhir/R4/capabilitystatement.html)."""

from django.http import HttpRequest
from django.utils import timezone

from kapcare.fhir.resources import SOURCES, STATIC_TYPES

# Each search parameter's FHIR type (hl7.org/fhir/R4/search.html#ptypes).
PARAMETER_TYPES = {
    "identifier": "token",
    "family": "string",
    "given": "string",
    "birthdate": "date",
    "category": "token",
    "code": "token",
    "date": "date",
    "patient": "reference",
    "subject": "reference",
}
COMMON = [
    {"name": "_id", "type": "token"},
    {"name": "_lastUpdated", "type": "date"},
]
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
# The Bulk Data Access IG's operations (hl7.org/fhir/uv/bulkdata/), served by kapcare.fhir.bulk.
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
SYSTEM_EXPORT = f"{BULK_DATA}/OperationDefinition/export"
PATIENT_EXPORT = f"{BULK_DATA}/OperationDefinition/patient-export"


def search_parameters(resource_type: str) -> list[dict]:
    if resource_type in STATIC_TYPES:
        return COMMON[:1]
    sources = SOURCES.get(resource_type, ())
    names = sorted({name for source in sources for name in source.search})
    if any(source.is_patient_data and source.patient_path for source in sources):
        names = sorted({*names, "patient", "subject"})
    return COMMON + [{"name": name, "type": PARAMETER_TYPES[name]} for name in names]


def resource_entry(resource_type: str) -> dict:
    entry = {
        "type": resource_type,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": search_parameters(resource_type),
    }
    if resource_type == "Patient":
        entry["operation"] = [
            {"name": "everything", "definition": EVERYTHING},
            {"name": "export", "definition": PATIENT_EXPORT},
        ]
    return entry


def capability_statement(request: HttpRequest) -> dict:
    base = request.build_absolute_uri("/fhir/r4")
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "kapcare",
        "kind": "instance",
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "software": {"name": "kapcare"},
        "implementation": {"description": "kapcare FHIR R4 interface", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": (
                        "Send an API token from your kapcare profile page as "
                        "'Authorization: Bearer <token>'. You see what kapcare shows you on "
                        "its pages, and every read is in the patient's access log."
                    )
                },
                "resource": [resource_entry(name) for name in (*SOURCES, *STATIC_TYPES)],
                "operation": [{"name": "export", "definition": SYSTEM_EXPORT}],
                # A referring system's transaction Bundle, posted to the base
                # (kapcare.referrals).
                "interaction": [{"code": "transaction"}],
            }
        ],
    }
