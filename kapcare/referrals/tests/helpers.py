"""Bundles for the referral tests: the committed Synthea files, and small hand-made ones."""

import json
from pathlib import Path

from kapcare.accounts.models import ApiToken

BUNDLES = Path(__file__).parent / "bundles"
HYPERTENSION = "Frankie174_Jast432_a5b737fb-1f94-4767-802b-1112051f5101.json"
NOTHING_FLAGGED = "Carroll471_OHara248_274f5452-2a39-44c4-a7cb-f36de467762e.json"
YOUNG_WOMAN = "Gabriele201_Rohan584_b0223c9b-0019-42b0-99b8-7d689d7f8414.json"
LOINC = "http://loinc.org"


def synthea(name: str) -> bytes:
    return (BUNDLES / name).read_bytes()


def token_for(user) -> str:
    _, token = ApiToken.issue(user, "referring system")
    return token


def post_bundle(client, token: str, body, content_type="application/fhir+json"):
    if isinstance(body, dict):
        body = json.dumps(body)
    return client.post(
        "/fhir/r4/", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def patient_resource(given="Ada", family="Moreau", born="1980-04-02", mrn="MRN-1", sex="F"):
    return {
        "resourceType": "Patient",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": sex,
            }
        ],
        "identifier": [{"system": "urn:oid:1.2.3.4.5", "value": mrn}],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "birthDate": born,
    }


def transaction(*resources: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for index, resource in enumerate(resources)
        ],
    }


def condition(system: str, code: str, display: str, status="active") -> dict:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "code": {"coding": [{"system": system, "code": code, "display": display}]},
        "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"},
    }


def medication(rxnorm: str, display: str, status="active") -> dict:
    return {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": rxnorm,
                    "display": display,
                }
            ]
        },
        "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"},
    }


# LOINC answer list LL358-3: the code for each score.
ANSWER_CODES = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
PHQ9_ITEMS = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)


def phq9_response(scores, stated_total=None) -> dict:
    items = [
        {
            "linkId": f"/44249-1/{code}",
            "answer": [{"valueCoding": {"system": LOINC, "code": ANSWER_CODES[score]}}],
        }
        for code, score in zip(PHQ9_ITEMS, scores, strict=True)
    ]
    if stated_total is not None:
        items.append({"linkId": "/44249-1/44261-6", "answer": [{"valueInteger": stated_total}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"},
        "item": items,
    }
