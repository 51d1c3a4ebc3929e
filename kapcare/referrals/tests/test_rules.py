"""The pure rules of a referral: which codes flag which catalogue entry, which records
still hold, and how a questionnaire response's answers are read."""

import pytest

from kapcare.measures.instruments import INSTRUMENTS
from kapcare.referrals import rules
from kapcare.screening.rules import DEFAULT_CONTRAINDICATIONS, DEFAULT_MEDICATION_INTERACTIONS

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_every_code_names_a_catalogue_entry_of_its_kind():
    catalogue = {
        rules.CONTRAINDICATION: {entry.code for entry in DEFAULT_CONTRAINDICATIONS},
        rules.INTERACTION: {entry.code for entry in DEFAULT_MEDICATION_INTERACTIONS},
    }
    rows = rules.code_map()
    assert rows
    for row in rows:
        assert row.catalogue in catalogue[row.kind], row
        assert row.system in rules.SYSTEM_NAMES, row
        assert row.applies in (rules.ACTIVE, rules.EVER), row
        assert row.source, row


@pytest.mark.parametrize(
    ("system", "code", "is_active", "expected"),
    [
        (SNOMED, "59621000", True, ["controlled_hypertension"]),
        (SNOMED, "59621000", False, []),
        (SNOMED, "706882009", True, ["uncontrolled_hypertension"]),
        (ICD10CM, "I10", True, ["controlled_hypertension"]),
        (ICD10CM, "I16.1", True, ["uncontrolled_hypertension"]),
        (ICD10CM, "I161", True, ["uncontrolled_hypertension"]),
        (ICD10CM, "I1", True, []),
        (SNOMED, "58214004", False, ["psychotic_disorder_history"]),
        (SNOMED, "69322001", True, ["active_psychosis", "psychotic_disorder_history"]),
        (SNOMED, "69322001", False, ["psychotic_disorder_history"]),
        (ICD10CM, "F20.9", False, ["psychotic_disorder_history"]),
        (SNOMED, "72892002", True, ["pregnancy"]),
        (SNOMED, "72892002", False, []),
        (ICD10CM, "Z33.1", True, ["pregnancy"]),
        (ICD10CM, "F17.210", True, []),  # nicotine dependence is not in the catalogue
        (SNOMED, "15777000", True, []),  # prediabetes
        ("http://example.org/local", "59621000", True, []),  # same digits, other system
    ],
)
def test_conditions_flag_by_code(system, code, is_active, expected):
    flags = rules.flags_for(
        (rules.Coding(system, code),),
        kind=rules.CONTRAINDICATION,
        is_active=is_active,
        rows=rules.code_map(),
    )
    assert sorted(flag.catalogue for flag in flags) == sorted(expected)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("596", ["benzodiazepines"]),
        ("28439", ["lamotrigine"]),
        ("8123", ["maois"]),
        ("6901", ["stimulants"]),
        ("313782", []),  # acetaminophen 325 MG oral tablet
    ],
)
def test_medicines_flag_by_rxnorm_code(code, expected):
    flags = rules.flags_for(
        (rules.Coding(RXNORM, code),),
        kind=rules.INTERACTION,
        is_active=True,
        rows=rules.code_map(),
    )
    assert [flag.catalogue for flag in flags] == expected


def test_a_medicine_no_longer_taken_flags_nothing():
    flags = rules.flags_for(
        (rules.Coding(RXNORM, "596"),),
        kind=rules.INTERACTION,
        is_active=False,
        rows=rules.code_map(),
    )
    assert flags == []


@pytest.mark.parametrize(
    ("clinical_status", "has_abated", "expected"),
    [
        ("active", False, True),
        ("recurrence", False, True),
        ("relapse", False, True),
        ("resolved", False, False),
        ("remission", False, False),
        ("inactive", False, False),
        (None, False, True),
        (None, True, False),
    ],
)
def test_which_conditions_are_active(clinical_status, has_abated, expected):
    assert rules.is_active_condition(clinical_status, has_abated=has_abated) is expected


@pytest.mark.parametrize(
    ("verification", "expected"),
    [
        ("confirmed", True),
        ("unconfirmed", True),
        (None, True),
        ("refuted", False),
        ("entered-in-error", False),
    ],
)
def test_refuted_conditions_are_not_recorded(verification, expected):
    assert rules.is_recorded_condition(verification) is expected


@pytest.mark.parametrize(
    ("resource_type", "status", "expected"),
    [
        ("MedicationRequest", "active", True),
        ("MedicationRequest", "stopped", False),
        ("MedicationRequest", "completed", False),
        ("MedicationStatement", "active", True),
        ("MedicationStatement", "intended", True),
        ("MedicationStatement", "stopped", False),
        ("MedicationStatement", None, False),
    ],
)
def test_which_medicines_are_current(resource_type, status, expected):
    assert rules.is_current_medication(resource_type, status) is expected


@pytest.mark.parametrize(
    ("questionnaire", "expected"),
    [
        ("http://loinc.org/q/44249-1", "phq9"),
        ("Questionnaire/44249-1|3.0", "phq9"),
        ("http://loinc.org/q/69737-5", "gad7"),
        ("http://example.org/Questionnaire/phq-9", None),
        ("", None),
    ],
)
def test_the_instrument_is_found_by_its_loinc_panel(questionnaire, expected):
    assert rules.instrument_for(questionnaire) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"valueInteger": 2}, 2),
        ({"valueDecimal": 3.0}, 3),
        ({"valueCoding": {"system": "http://loinc.org", "code": "LA6568-5"}}, 0),
        ({"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3"}}, 1),
        ({"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}, 2),
        ({"valueCoding": {"system": "http://loinc.org", "code": "LA6571-9"}}, 3),
        (
            {
                "valueCoding": {
                    "code": "x",
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                            "valueDecimal": 1,
                        }
                    ],
                }
            },
            1,
        ),
    ],
)
def test_an_answer_is_read_as_its_score(answer, expected):
    assert rules.answer_value(answer) == expected


def test_an_answer_without_a_score_is_refused():
    with pytest.raises(rules.QuestionnaireError):
        rules.answer_value({"valueString": "sometimes"})


def test_items_are_read_by_their_loinc_code_and_the_stated_total_kept_apart():
    phq9 = INSTRUMENTS["phq9"]
    items = [
        {"linkId": f"/44249-1/{item.loinc}", "answer": [{"valueInteger": 1}]}
        for item in reversed(phq9.items)
    ]
    items.append({"linkId": "44261-6", "answer": [{"valueInteger": 2}]})
    answers, stated = rules.questionnaire_answers("phq9", items)
    assert answers == [1] * 9
    assert stated == 2


def test_an_unanswered_item_stays_unanswered():
    items = [{"linkId": "44250-9", "answer": [{"valueInteger": 3}]}, {"linkId": "44255-8"}]
    answers, stated = rules.questionnaire_answers("phq9", items)
    assert answers[:2] == [3, None]
    assert stated is None
