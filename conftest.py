"""Personas shared by every test: one per role in one clinic, a therapist with no
authorisation, a patient with a portal account, and staff of another clinic."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client, TransactionTestCase

from kapcare.accounts.models import Role
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.second_factor import force_login_past_second_factor


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login` stands for a whole sign-in, second factor included (see
    tests/second_factor.py); tests of the second factor sign in without it."""
    monkeypatch.setattr(Client, "force_login", force_login_past_second_factor)


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Music City Ketamine", slug="music-city", time_zone="America/Chicago")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(
        name="Cumberland Infusions", slug="cumberland", time_zone="America/New_York"
    )


@pytest.fixture
def coordinator(clinic):
    return UserFactory(
        email="cora@example.org", full_name="Cora Coordinator", role=Role.COORDINATOR, clinic=clinic
    )


@pytest.fixture
def clinician(clinic):
    return UserFactory(
        email="cal@example.org",
        full_name="Cal Clinician",
        role=Role.CLINICIAN,
        clinic=clinic,
        credentials="CRNA",
    )


@pytest.fixture
def clinic_admin(clinic):
    return UserFactory(
        email="ada@example.org", full_name="Ada Admin", role=Role.ADMIN, clinic=clinic
    )


@pytest.fixture
def therapist(db):
    """An outside therapist whom no patient has authorised."""
    return UserFactory(
        email="theo@example.org",
        full_name="Theo Therapist",
        role=Role.THERAPIST,
        clinic=None,
        credentials="LMFT",
    )


@pytest.fixture
def patient_user(clinic):
    return UserFactory(
        email="pat@example.org", full_name="Pat Patient", role=Role.PATIENT, clinic=clinic
    )


@pytest.fixture
def patient(clinic, patient_user):
    """The patient record that belongs to `patient_user`."""
    return PatientFactory(clinic=clinic, user=patient_user, given_name="Pat", family_name="Patient")


@pytest.fixture
def other_patient(clinic):
    """Another patient of the same clinic, without a portal account."""
    return PatientFactory(clinic=clinic, given_name="Olive", family_name="Other")


@pytest.fixture
def outsider(other_clinic):
    """A coordinator of another clinic."""
    return UserFactory(
        email="otto@example.org",
        full_name="Otto Outsider",
        role=Role.COORDINATOR,
        clinic=other_clinic,
    )


@pytest.fixture
def outsider_patient(other_clinic):
    return PatientFactory(clinic=other_clinic, given_name="Ursula", family_name="Elsewhere")


ACCESS_LOG_TABLE = "audit_accesslogentry"


@contextmanager
def append_only_log_suspended():
    """Lift the database triggers that keep the access log append-only (and, on SQLite,
    those that keep clinical records from being deleted), then restore them.

    Tests that commit (the live server's browser tests, `transactional_db`) are cleaned up
    by emptying every table, which the triggers (audit migration 0002, dosing migration
    0003) rightly refuse. PostgreSQL empties the tables with TRUNCATE, which row triggers
    do not see; SQLite deletes row by row.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND (tbl_name = %s OR name LIKE %s ESCAPE '!')",
                [ACCESS_LOG_TABLE, "%!_no!_delete"],
            )
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        else:
            cursor.execute(f"ALTER TABLE {ACCESS_LOG_TABLE} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for _, sql in triggers:
                    cursor.execute(sql)
            else:
                cursor.execute(f"ALTER TABLE {ACCESS_LOG_TABLE} ENABLE TRIGGER USER")


@pytest.fixture(autouse=True, scope="session")
def _empty_the_database_past_the_append_only_log():
    """Session-scoped so that it wraps every test's database fixtures, which pytest-django's
    own autouse live-server helper sets up before any function-scoped fixture of ours."""
    flush = TransactionTestCase._fixture_teardown

    def fixture_teardown(self):
        with append_only_log_suspended():
            flush(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        yield
