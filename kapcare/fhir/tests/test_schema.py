"""The demo's whole record over FHIR, validated: every demo patient's `$everything`, read
by staff of the patient's clinic a page at a time, is a valid R4 Bundle against the
official JSON schema (kapcare/fhir/schema/), and each resource in it is what the R4B
models of `fhir.resources` write back unchanged."""

import pytest

from kapcare.accounts.models import Role, User
from kapcare.demo.build import load_demo
from kapcare.fhir.resources.base import checked
from kapcare.fhir.tests.records import bearer, entries, next_link, schema_errors
from kapcare.patients.models import Patient


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    load_demo()


def test_every_demo_patients_everything_is_valid_r4(client, demo):
    types, checked_count = set(), 0
    patients = Patient.objects.order_by("pk")
    assert patients.count() > 20
    for patient in patients:
        # Staff see every type (the other clinic of the demo has no clinician).
        reader = (
            User.objects.filter(clinic_id=patient.clinic_id, role__in=[Role.CLINICIAN, Role.ADMIN])
            .order_by("role")
            .last()
        )
        headers = bearer(reader)
        url = f"/fhir/r4/Patient/{patient.external_id}/$everything?_count=200"
        while url:
            bundle = client.get(url, headers=headers).json()
            assert schema_errors(bundle) == [], patient.external_id
            for resource in entries(bundle):
                assert checked(resource) == resource
                types.add(resource["resourceType"])
                checked_count += 1
            url = next_link(bundle)

    assert checked_count > 1000
    assert types == {
        "Patient",
        "EpisodeOfCare",
        "Condition",
        "CarePlan",
        "Consent",
        "Appointment",
        "Encounter",
        "MedicationAdministration",
        "Observation",
        "QuestionnaireResponse",
    }
