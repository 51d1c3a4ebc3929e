"""`POST /fhir/r4/`: a referring system's transaction Bundle, imported."""

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import Assessment, SafetyAlert, Source
from kapcare.patients.models import Patient
from kapcare.referrals.bundle import IDENTIFIER_LIMIT, PATIENT_TEXT_LIMITS
from kapcare.referrals.models import PatientIdentifier, Referral, ReferralStatus
from kapcare.referrals.tests.helpers import (
    HYPERTENSION,
    NOTHING_FLAGGED,
    YOUNG_WOMAN,
    condition,
    medication,
    patient_resource,
    phq9_response,
    post_bundle,
    synthea,
    token_for,
    transaction,
)
from kapcare.screening import rules as screening_rules
from kapcare.screening.models import HistorySource, MedicalScreening
from tests.factories import PatientFactory


@pytest.fixture
def token(coordinator):
    return token_for(coordinator)


def answer_of(response) -> dict:
    assert response["Content-Type"].startswith("application/fhir+json")
    return response.json()


def test_a_synthea_bundle_registers_the_patient_and_flags_hypertension(client, token, clinic):
    response = post_bundle(client, token, synthea(HYPERTENSION))

    assert response.status_code == 200
    answer = answer_of(response)
    Bundle.model_validate(answer)
    assert answer["type"] == "transaction-response"
    patient = Patient.objects.get(clinic=clinic)
    assert (patient.given_name, patient.family_name, str(patient.birth_date)) == (
        "Frankie174",
        "Jast432",
        "1975-08-12",
    )
    assert patient.sex_at_birth == "M"
    first = answer["entry"][0]["response"]
    assert first["status"] == "201 Created"
    assert first["location"] == f"Patient/{patient.external_id}"
    assert len(answer["entry"]) == len(json.loads(synthea(HYPERTENSION))["entry"])

    screening = MedicalScreening.objects.get(patient=patient)
    assert screening.history_source == HistorySource.REFERRER
    assert not screening.is_reviewed
    present = {
        a.contraindication.code for a in screening.condition_answers.all() if a.reported_present
    }
    assert present == {"controlled_hypertension"}
    hypertension = screening.condition_answers.get(contraindication__code="controlled_hypertension")
    assert "SNOMED CT 59621000" in hypertension.patient_note
    assert [m.name for m in screening.medications.all()] == [
        "amLODIPine 5 MG / Hydrochlorothiazide 12.5 MG / Olmesartan medoxomil 20 MG Oral Tablet"
    ]
    assert "Body mass index 30+ - obesity (finding)" in screening.patient_comments
    messages = [issue["diagnostics"] for issue in first["outcome"]["issue"]]
    assert any("Hypertension, controlled on treatment" in m for m in messages)


def test_a_bundle_with_nothing_in_the_catalogue_flags_nothing(client, token, clinic):
    response = post_bundle(client, token, synthea(NOTHING_FLAGGED))

    assert response.status_code == 200
    screening = MedicalScreening.objects.get(patient__clinic=clinic)
    assert not any(a.reported_present for a in screening.condition_answers.all())
    assert screening.medications.count() == 0  # only stopped medicines were sent


def test_a_woman_whose_referral_says_nothing_of_pregnancy_is_asked(client, token, clinic):
    post_bundle(client, token, synthea(YOUNG_WOMAN))

    screening = MedicalScreening.objects.get(patient__clinic=clinic)
    assert screening.reported_pregnancy_status == screening_rules.POSSIBLY_PREGNANT
    pregnancy = screening.condition_answers.get(contraindication__code="pregnancy")
    assert pregnancy.reported_present is None


def test_the_same_bundle_posted_again_changes_nothing(client, token, clinic):
    first = post_bundle(client, token, synthea(HYPERTENSION))
    again = post_bundle(client, token, synthea(HYPERTENSION))

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Patient.objects.filter(clinic=clinic).count() == 1
    assert MedicalScreening.objects.count() == 1
    assert Referral.objects.count() == 1


def test_another_bundle_with_the_same_identifiers_is_matched_not_duplicated(client, token, clinic):
    post_bundle(client, token, transaction(patient_resource(mrn="MRN-7")))
    # The referrer's next message: the same record number, a name spelled differently.
    later = transaction(
        patient_resource(given="Adah", mrn="MRN-7"),
        condition("http://hl7.org/fhir/sid/icd-10-cm", "I10", "Essential hypertension"),
    )
    response = post_bundle(client, token, later)

    assert response.status_code == 200
    assert response.json()["entry"][0]["response"]["status"] == "200 OK"
    patient = Patient.objects.get(clinic=clinic)
    assert patient.given_name == "Ada"
    assert MedicalScreening.objects.filter(patient=patient).count() == 2
    assert PatientIdentifier.objects.filter(patient=patient).count() == 1


def test_an_existing_patient_is_matched_by_name_and_birth_date(client, token, clinic):
    known = PatientFactory(clinic=clinic, given_name="Ada", family_name="Moreau")
    known.birth_date = "1980-04-02"
    known.save()

    response = post_bundle(client, token, transaction(patient_resource(given="ADA")))

    assert response.json()["entry"][0]["response"]["location"] == f"Patient/{known.external_id}"
    assert Patient.objects.filter(clinic=clinic).count() == 1
    assert PatientIdentifier.objects.get().patient_id == known.pk


def test_two_possible_people_go_to_the_review_queue_and_nothing_is_recorded(client, token, clinic):
    twins = [
        PatientFactory(
            clinic=clinic, given_name="Ada", family_name="Moreau", birth_date="1980-04-02"
        )
        for _ in range(2)
    ]

    response = post_bundle(client, token, transaction(patient_resource()))

    assert response.status_code == 200
    entry = response.json()["entry"][0]["response"]
    assert entry["status"] == "202 Accepted"
    assert "coordinator" in entry["outcome"]["issue"][0]["diagnostics"]
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.NEEDS_REVIEW
    assert set(referral.candidates.values_list("pk", flat=True)) == {p.pk for p in twins}
    assert referral.patient_id is None
    assert MedicalScreening.objects.count() == 0
    assert PatientIdentifier.objects.count() == 0


def test_a_namesake_with_another_record_number_is_not_merged(client, token, clinic):
    post_bundle(client, token, transaction(patient_resource(mrn="MRN-1")))
    # Same name and birth date, another record number from the same system: maybe
    # someone else.
    response = post_bundle(
        client,
        token,
        transaction(
            patient_resource(mrn="MRN-2"), {"resourceType": "Basic", "code": {"text": "x"}}
        ),
    )

    assert response.json()["entry"][0]["response"]["status"] == "202 Accepted"
    assert Patient.objects.filter(clinic=clinic).count() == 1
    assert Referral.objects.filter(status=ReferralStatus.NEEDS_REVIEW).count() == 1


def test_a_phq9_with_a_wrong_stated_total_is_scored_from_its_answers(client, token, clinic):
    scores = [2, 2, 1, 1, 1, 0, 1, 0, 0]  # 8
    bundle = transaction(patient_resource(), phq9_response(scores, stated_total=3))

    response = post_bundle(client, token, bundle)

    assert response.status_code == 200
    assessment = Assessment.objects.get(patient__clinic=clinic)
    assert (assessment.instrument, assessment.total, assessment.source) == (
        "phq9",
        8,
        Source.REFERRER,
    )
    entry = response.json()["entry"][1]["response"]
    assert entry["location"] == f"QuestionnaireResponse/{assessment.external_id}"
    warning = entry["outcome"]["issue"]
    assert [i["severity"] for i in warning] == ["information", "warning"]
    assert "stated a total of 3" in warning[1]["diagnostics"]


def test_a_phq9_with_thoughts_of_self_harm_raises_a_safety_alert(client, token, clinic):
    bundle = transaction(patient_resource(), phq9_response([1, 1, 1, 1, 1, 1, 1, 1, 2]))

    post_bundle(client, token, bundle)

    assert SafetyAlert.objects.filter(patient__clinic=clinic).count() == 1


def test_interacting_medicines_are_flagged_by_code_and_stopped_ones_not_recorded(
    client, token, clinic
):
    bundle = transaction(
        patient_resource(),
        medication("28439", "Lamictal starter kit"),  # flagged by its code, not by a name
        medication("596", "alprazolam", status="stopped"),
        condition("http://snomed.info/sct", "58214004", "Schizophrenia", status="resolved"),
    )

    response = post_bundle(client, token, bundle)

    screening = MedicalScreening.objects.get(patient__clinic=clinic)
    (entry,) = screening.medications.all()
    assert [flag["name"] for flag in entry.interaction_flags] == ["Lamotrigine"]
    present = {
        a.contraindication.code for a in screening.condition_answers.all() if a.reported_present
    }
    assert present == {"psychotic_disorder_history"}
    assert response.json()["entry"][2]["response"]["status"] == "200 OK"


def test_a_bad_entry_gets_an_operation_outcome_naming_it(client, token, clinic):
    bundle = transaction(patient_resource(), condition("http://snomed.info/sct", "1", "x"))
    bundle["entry"][1]["resource"]["onsetDateTime"] = "last spring"
    bundle["entry"].append({"resource": {"resourceType": "Nonsense"}})

    response = post_bundle(client, token, bundle)

    assert response.status_code == 422
    outcome = answer_of(response)
    OperationOutcome.model_validate(outcome)
    expressions = [issue["expression"][0] for issue in outcome["issue"]]
    assert expressions == [
        "Bundle.entry[1].resource.onsetDateTime",
        "Bundle.entry[2].resource.resourceType",
    ]
    assert Patient.objects.filter(clinic=clinic).count() == 0


@pytest.mark.parametrize(
    ("body", "status", "expression"),
    [
        (b"{not json", 400, "Bundle"),
        (json.dumps({"resourceType": "Patient"}).encode(), 422, "Bundle"),
        (json.dumps({"resourceType": "Bundle", "type": "collection"}).encode(), 422, "Bundle.type"),
        (json.dumps(transaction()).encode(), 422, "Bundle.entry"),
        (
            json.dumps(transaction(patient_resource(), patient_resource(given="Bo"))).encode(),
            422,
            "Bundle.entry",
        ),
        (
            json.dumps(transaction({**patient_resource(), "birthDate": "1980"})).encode(),
            422,
            "Bundle.entry[0].resource.birthDate",
        ),
        (
            json.dumps(
                transaction(
                    patient_resource(),
                    phq9_response([0] * 9)
                    | {"item": [{"linkId": "44250-9", "answer": [{"valueString": "often"}]}]},
                )
            ).encode(),
            422,
            "Bundle.entry[1].resource.item",
        ),
    ],
)
def test_bundles_kapcare_cannot_take_are_refused_at_the_place(
    client, token, body, status, expression
):
    response = post_bundle(client, token, body)

    assert response.status_code == status
    outcome = answer_of(response)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [expression]
    assert outcome["issue"][0]["diagnostics"]


def test_no_token_is_401(client):
    response = client.post("/fhir/r4/", "{}", content_type="application/fhir+json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert answer_of(response)["issue"][0]["code"] == "login"


def test_a_body_that_is_not_fhir_json_is_415(client, token):
    response = post_bundle(client, token, "<Bundle/>", content_type="application/xml")

    assert response.status_code == 415


def test_get_is_405(client, token):
    response = client.get("/fhir/r4/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("persona", ["therapist", "patient_user", "nurse"])
def test_roles_that_do_not_register_patients_are_refused_and_logged(
    client, clinic, persona, request
):
    user = request.getfixturevalue(persona)
    response = post_bundle(client, token_for(user), synthea(HYPERTENSION))

    assert response.status_code == 403
    assert answer_of(response)["issue"][0]["code"] == "forbidden"
    assert Patient.objects.filter(given_name="Frankie174").count() == 0
    refusal = AccessLogEntry.objects.get(action=AccessAction.REFUSED)
    assert (refusal.actor_id, refusal.path) == (user.pk, "/fhir/r4/")


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "clinic_admin"])
def test_clinic_staff_who_register_patients_may_import(client, clinic, persona, request):
    user = request.getfixturevalue(persona)
    response = post_bundle(client, token_for(user), transaction(patient_resource()))

    assert response.status_code == 200
    assert Patient.objects.get().clinic_id == clinic.pk


def test_each_write_is_in_the_access_log_as_the_api(client, token, coordinator, clinic):
    post_bundle(client, token, transaction(patient_resource(), phq9_response([0] * 9)))

    patient = Patient.objects.get(clinic=clinic)
    logged = AccessLogEntry.objects.filter(patient=patient)
    assert set(logged.values_list("channel", flat=True)) == {Channel.API}
    assert set(logged.values_list("actor_id", flat=True)) == {coordinator.pk}
    assert {"patient", "patientidentifier", "medicalscreening", "assessment", "referral"} <= set(
        logged.values_list("object_type", flat=True)
    )


def test_a_referral_goes_to_the_token_owners_clinic_only(client, clinic, outsider):
    PatientFactory(clinic=clinic, given_name="Ada", family_name="Moreau", birth_date="1980-04-02")

    response = post_bundle(client, token_for(outsider), transaction(patient_resource()))

    assert response.json()["entry"][0]["response"]["status"] == "201 Created"
    assert Patient.objects.filter(clinic=outsider.clinic).count() == 1
    assert Patient.objects.filter(clinic=clinic).count() == 1


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        ({"name": [{"family": "Moreau", "given": ["A\u0000da"]}]}, "Bundle.entry[0]"),
        ({"name": [{"family": "Moreau", "given": ["A\ud800da"]}]}, "Bundle.entry[0]"),
        ({"name": [{"family": "M" * 101, "given": ["Ada"]}]}, "Bundle.entry[0].resource.name"),
        (
            {"address": [{"city": "C" * 101}]},
            "Bundle.entry[0].resource.address",
        ),
        (
            {"identifier": [{"system": "urn:oid:1.2.3", "value": "9" * 256}]},
            "Bundle.entry[0].resource.identifier",
        ),
    ],
)
def test_text_kapcare_cannot_store_is_refused_at_its_place_not_cut(
    client, token, clinic, change, expression
):
    response = post_bundle(client, token, transaction(patient_resource() | change))

    assert response.status_code == 422
    assert answer_of(response)["issue"][0]["expression"] == [expression]
    assert Patient.objects.filter(clinic=clinic).count() == 0


def test_the_patient_limits_are_the_columns(db):
    for name, (_, limit) in PATIENT_TEXT_LIMITS.items():
        assert Patient._meta.get_field(name).max_length == limit, name
    for name in ("system", "value"):
        assert PatientIdentifier._meta.get_field(name).max_length == IDENTIFIER_LIMIT


def test_a_gad7_is_scored_from_its_integer_answers(client, token, clinic):
    items = [
        {"linkId": item.loinc, "answer": [{"valueInteger": 3}]}
        for item in INSTRUMENTS["gad7"].items
    ] + [{"linkId": INSTRUMENTS["gad7"].loinc_total, "answer": [{"valueInteger": 21}]}]
    response_resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://loinc.org/q/69737-5",
        "status": "completed",
        "item": items,
    }

    response = post_bundle(client, token, transaction(patient_resource(), response_resource))

    assessment = Assessment.objects.get(patient__clinic=clinic)
    assert (assessment.instrument, assessment.total) == ("gad7", 21)
    issues = response.json()["entry"][1]["response"]["outcome"]["issue"]
    assert [issue["severity"] for issue in issues] == ["information"]


def test_the_capability_statement_says_the_base_takes_a_transaction(client):
    statement = client.get("/fhir/r4/metadata").json()

    assert {"code": "transaction"} in statement["rest"][0]["interaction"]
