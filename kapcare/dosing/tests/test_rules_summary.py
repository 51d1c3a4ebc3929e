"""The draft of the therapist's session summary, as pure text: the dose band at each edge,
the exact dose only where the clinic allows it, the route in words, notable events, and the
patient's own words for integration."""

import datetime as dt
from decimal import Decimal

import pytest

from kapcare.dosing.summary.rules import (
    NotableEvent,
    SummaryFacts,
    dose_band,
    dose_in_words,
    draft_summary,
    notable_events,
    route_in_words,
)

DAY = dt.date(2026, 3, 3)
LOW, MODERATE, HIGHER = "low (≤ 0.5 mg/kg)", "moderate (0.5–1.0 mg/kg)", "higher (> 1.0 mg/kg)"


def facts(**fields) -> SummaryFacts:
    values = {
        "session_date": DAY,
        "route": "iv",
        "mg_per_kg": Decimal("0.5"),
        "dose_mg": Decimal("35.00"),
    } | fields
    return SummaryFacts(**values)


@pytest.mark.parametrize(
    ("mg_per_kg", "band"),
    [
        ("0.1", LOW),
        ("0.5", LOW),
        ("0.500", LOW),
        ("0.501", MODERATE),
        ("0.75", MODERATE),
        ("1.0", MODERATE),
        ("1.001", HIGHER),
        ("3", HIGHER),
    ],
)
def test_the_dose_band_at_each_edge(mg_per_kg, band):
    assert dose_band(Decimal(mg_per_kg)) == band


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ("iv", "intravenous infusion"),
        ("im", "intramuscular injection"),
        ("sublingual", "sublingual (under the tongue)"),
        ("intranasal", "intranasal (nasal spray)"),
        ("", "not recorded"),
    ],
)
def test_the_route_in_words(route, words):
    assert route_in_words(route) == words


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({}, LOW),
        ({"shows_exact_dose": True}, "35 mg (0.5 mg/kg)"),
        ({"shows_exact_dose": True, "dose_mg": Decimal("52.50")}, "52.5 mg (0.5 mg/kg)"),
        ({"shows_exact_dose": True, "dose_mg": Decimal("100.00")}, "100 mg (0.5 mg/kg)"),
        ({"shows_exact_dose": True, "mg_per_kg": None}, "35 mg"),
        ({"shows_exact_dose": True, "dose_mg": None}, LOW),
        ({"mg_per_kg": None}, "not recorded"),
    ],
)
def test_the_dose_is_a_band_unless_the_clinic_shows_the_exact_dose(fields, words):
    assert dose_in_words(facts(**fields)) == words


def test_the_draft_gives_the_band_and_not_the_milligrams_by_default():
    text = draft_summary(facts())

    assert f"Dose: {LOW}." in text
    assert "35" not in text


def test_the_draft_gives_the_milligrams_where_the_clinic_allows_it():
    assert "Dose: 35 mg (0.5 mg/kg)." in draft_summary(facts(shows_exact_dose=True))


def test_the_draft_starts_with_the_day_and_the_route():
    lines = draft_summary(facts()).splitlines()

    assert lines[:2] == [
        "Dosing session of Tuesday, March 3, 2026.",
        "Route: intravenous infusion.",
    ]


@pytest.mark.parametrize(
    ("fields", "events"),
    [
        ({}, []),
        (
            {"events": [NotableEvent("Hypertension", "Moderate")]},
            ["Hypertension (moderate)"],
        ),
        (
            {
                "events": [
                    NotableEvent("Nausea or vomiting", "Mild"),
                    NotableEvent("Hypertension", "Severe"),
                ],
                "infusion_stopped_early": True,
            },
            [
                "Nausea or vomiting (mild)",
                "Hypertension (severe)",
                "the infusion was stopped early",
            ],
        ),
        ({"infusion_stopped_early": True}, ["the infusion was stopped early"]),
    ],
)
def test_notable_events_are_adverse_events_with_severity_and_an_early_stop(fields, events):
    assert notable_events(facts(**fields)) == events


def test_a_session_without_events_says_none():
    assert "Notable events: none." in draft_summary(facts())


def test_events_are_listed_on_one_line():
    text = draft_summary(
        facts(events=[NotableEvent("Hypertension", "Moderate")], infusion_stopped_early=True)
    )

    assert "Notable events: Hypertension (moderate); the infusion was stopped early." in text


def test_the_patients_words_for_integration_are_quoted_with_their_dissociation():
    text = draft_summary(facts(dissociation=7, bring_to_integration="  The sense of my father. "))

    assert (
        "What the patient wants to bring to integration, in their words: "
        "“The sense of my father.”" in text
    )
    assert "Dissociation, as the patient rated it: 7 of 10 (0 not at all, 10 completely)." in text


def test_a_patient_who_has_not_written_yet_is_said_so():
    text = draft_summary(facts())

    assert "The patient has not yet said what they want to bring to integration." in text
    assert "Dissociation" not in text


def test_a_patient_who_wrote_but_named_nothing_for_integration_is_said_so():
    text = draft_summary(facts(dissociation=0, bring_to_integration=""))

    assert "The patient did not name anything to bring to integration." in text
    assert "Dissociation, as the patient rated it: 0 of 10" in text
