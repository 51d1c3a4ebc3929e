import datetime as dt

import pytest

from kapcare.therapists.rules import (
    CredentialFacts,
    credential_notes,
    credential_warnings,
    is_us_state,
    is_verified,
)

TODAY = dt.date(2026, 3, 10)
DAYS = 30


def facts(**changes) -> CredentialFacts:
    """A complete, verified entry whose licence runs well past TODAY."""
    base = {
        "licence_type": "lmft",
        "licence_state": "TN",
        "licence_number": "LMFT-1",
        "licence_expires_on": dt.date(2027, 1, 31),
        "licence_verified": True,
        "training_programme": "KAP training",
        "training_completed_on": dt.date(2024, 5, 1),
        "training_verified": True,
        "has_training_certificate": True,
    }
    return CredentialFacts(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        (
            {
                "licence_type": "",
                "licence_state": "",
                "licence_number": "",
                "licence_expires_on": None,
            },
            ["No licence on file."],
        ),
        ({"licence_number": ""}, ["Licence incomplete: no number."]),
        (
            {"licence_state": "", "licence_expires_on": None},
            ["Licence incomplete: no state, no expiry date."],
        ),
        ({"licence_verified": False}, ["Licence not verified by the clinic."]),
        # In force up to and including the expiry date.
        (
            {"licence_expires_on": TODAY},
            ["Licence expires on Mar 10, 2026 (today), within 30 days."],
        ),
        (
            {"licence_expires_on": TODAY - dt.timedelta(days=1)},
            ["Licence expired on Mar 9, 2026."],
        ),
        (
            {"licence_expires_on": TODAY + dt.timedelta(days=1)},
            ["Licence expires on Mar 11, 2026 (in 1 day), within 30 days."],
        ),
        (
            {"licence_expires_on": TODAY + dt.timedelta(days=DAYS)},
            ["Licence expires on Apr 9, 2026 (in 30 days), within 30 days."],
        ),
        ({"licence_expires_on": TODAY + dt.timedelta(days=DAYS + 1)}, []),
        (
            {"training_programme": "", "training_completed_on": None, "training_verified": False},
            ["No KAP training on file."],
        ),
        ({"training_verified": False}, ["KAP training not verified by the clinic."]),
        (
            {"licence_verified": False, "licence_expires_on": dt.date(2025, 12, 31)},
            ["Licence not verified by the clinic.", "Licence expired on Dec 31, 2025."],
        ),
    ],
)
def test_credential_warnings_name_each_problem(changes, expected):
    assert credential_warnings(facts(**changes), TODAY, DAYS) == expected


def test_the_warning_window_is_the_clinics_setting():
    expiring = facts(licence_expires_on=TODAY + dt.timedelta(days=45))

    assert credential_warnings(expiring, TODAY, 30) == []
    assert credential_warnings(expiring, TODAY, 60) == [
        "Licence expires on Apr 24, 2026 (in 45 days), within 60 days."
    ]


@pytest.mark.parametrize(
    ("changes", "verified"),
    [
        ({}, True),
        ({"licence_expires_on": TODAY}, True),
        ({"licence_expires_on": TODAY - dt.timedelta(days=1)}, False),
        ({"licence_expires_on": None}, False),
        ({"licence_verified": False}, False),
        ({"training_verified": False}, False),
        # A certificate and ASKP3 membership are informational.
        ({"has_training_certificate": False, "is_askp3_member": False}, True),
    ],
)
def test_an_entry_is_verified_with_licence_and_training_checked_and_the_licence_in_force(
    changes, verified
):
    assert is_verified(facts(**changes), TODAY) is verified


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"has_training_certificate": False}, ["No training certificate uploaded."]),
        ({"is_askp3_member": True}, ["ASKP3 membership not verified."]),
        ({"is_askp3_member": True, "askp3_verified": True}, []),
        (
            {
                "training_programme": "",
                "training_completed_on": None,
                "has_training_certificate": False,
            },
            [],
        ),
    ],
)
def test_notes_tell_what_asks_nothing_before_a_dose(changes, expected):
    assert credential_notes(facts(**changes)) == expected


@pytest.mark.parametrize(
    ("code", "known"), [("TN", True), ("ca", True), ("DC", True), ("PR", True), ("XX", False)]
)
def test_state_codes_are_the_us_states_and_territories(code, known):
    assert is_us_state(code) is known
