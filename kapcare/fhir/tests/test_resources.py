"""Each resource type as kapcare maps it: valid against the official R4 JSON schema, what
the R4B models of `fhir.resources` write back unchanged, and coded as
docs/clinical-reference.md#codes says."""

import pytest

from kapcare.fhir.resources import SOURCES, STATIC_TYPES
from kapcare.fhir.resources.base import checked
from kapcare.fhir.tests.records import dose_time, frozen_in_session, full_record, schema_errors


@pytest.fixture
def resources(patient, clinician, therapist):
    dose_at = dose_time()
    with frozen_in_session(dose_at):
        full_record(patient, clinician, dose_at, therapist)
        yield {
            name: [source.to_fhir(row) for source in sources for row in source.rows(clinician)]
            for name, sources in SOURCES.items()
        }


@pytest.mark.parametrize("resource_type", list(SOURCES))
def test_each_type_is_valid_r4_and_what_fhir_resources_writes_back(resources, resource_type):
    mapped = resources[resource_type]

    assert mapped, f"the record has no {resource_type}"
    for resource in mapped:
        assert schema_errors(resource) == []
        assert checked(resource) == resource


@pytest.mark.parametrize("module", STATIC_TYPES.values())
def test_each_questionnaire_is_valid_r4(module):
    for instrument in module.all_instruments():
        resource = module.to_fhir(instrument)
        assert schema_errors(resource) == []
        assert checked(resource) == resource


def codings(concept: dict) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}


def test_vital_signs_carry_the_profile_loinc_and_ucum(resources):
    vitals = [
        o
        for o in resources["Observation"]
        if o["category"][0]["coding"][0]["code"] == "vital-signs"
    ]

    by_code = {o["code"]["coding"][0]["code"]: o["valueQuantity"] for o in vitals}
    assert by_code == {
        "8867-4": {
            "value": 72,
            "unit": "/min",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
        "8480-6": {
            "value": 128,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
        "8462-4": {
            "value": 82,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
        "2708-6": {"value": 98, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
        "9279-1": {
            "value": 14,
            "unit": "/min",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }
    assert all(
        o["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]
        for o in vitals
    )


def test_a_phq9_total_is_a_survey_observation_with_its_loinc_code(resources):
    (survey,) = [o for o in resources["Observation"] if "valueInteger" in o]

    assert codings(survey["code"]) == {("http://loinc.org", "44261-6")}
    assert survey["category"][0]["coding"][0]["code"] == "survey"
    assert survey["valueInteger"] == 10
    (response,) = resources["QuestionnaireResponse"]
    assert survey["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response['id']}"}]
    assert [item["answer"][0]["valueCoding"]["code"] for item in response["item"]] == [
        "2",
        "2",
        "1",
        "1",
        "2",
        "1",
        "1",
        "0",
        "0",
    ]


def test_the_dose_is_ketamine_in_rxnorm_by_the_snomed_iv_route(resources):
    (given,) = resources["MedicationAdministration"]

    assert codings(given["medicationCodeableConcept"]) == {
        ("http://www.nlm.nih.gov/research/umls/rxnorm", "6130")
    }
    assert codings(given["dosage"]["route"]) == {("http://snomed.info/sct", "47625008")}
    assert given["dosage"]["dose"] == {
        "value": 35.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }


def test_the_episode_diagnosis_is_an_icd10_condition(resources):
    (condition,) = resources["Condition"]
    (episode,) = resources["EpisodeOfCare"]

    assert codings(condition["code"]) == {("http://hl7.org/fhir/sid/icd-10-cm", "F33.2")}
    assert episode["diagnosis"] == [{"condition": {"reference": f"Condition/{condition['id']}"}}]


def test_a_patient_is_identified_by_the_api_id(resources, patient):
    (served,) = [p for p in resources["Patient"] if p["id"] == str(patient.external_id)]

    assert served["identifier"] == [
        {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{patient.external_id}"}
    ]
    assert served["name"][0] == {"use": "official", "family": "Patient", "given": ["Pat"]}
