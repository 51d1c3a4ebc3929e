"""Personas shared by every test: one per role in one clinic, a therapist with no
authorisation, a patient with a portal account, and staff of another clinic."""

import datetime as dt
import os
from contextlib import contextmanager
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client, TransactionTestCase, override_settings

from kapcare.accounts.models import Role
from tests import template_db
from tests.clock import demo_moment
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.second_factor import force_login_past_second_factor


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login` stands for a whole sign-in, second factor included (see
    tests/second_factor.py); tests of the second factor sign in without it."""
    monkeypatch.setattr(Client, "force_login", force_login_past_second_factor)


CLOCK_OFFSET_ENV = "KAPCARE_TEST_CLOCK_OFFSET_DAYS"


def pytest_addoption(parser):
    parser.addoption(
        "--clock-offset-days",
        type=int,
        default=int(os.environ.get(CLOCK_OFFSET_ENV) or 0),
        help="Run the whole suite with the clock moved this many days ahead (time-machine), "
        "to prove no test depends on the day it was written. CI runs it at 400. "
        f"Also read from ${CLOCK_OFFSET_ENV}.",
    )


def pytest_configure(config):
    """Move the clock for the whole session before any test module is imported, so module
    constants built from "now" are built from the moved clock too. The clock keeps ticking;
    tests that freeze it with `time_machine.travel` nest inside this travel."""
    days = config.getoption("--clock-offset-days")
    if days:
        moved = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
        config._kapcare_clock = time_machine.travel(moved, tick=True)
        config._kapcare_clock.start()


def pytest_report_header(config):
    days = config.getoption("--clock-offset-days")
    if days:
        today = dt.datetime.now(dt.UTC).date()
        return f"clock moved {days} days ahead: the suite believes today is {today}"
    return None


def pytest_unconfigure(config):
    clock = getattr(config, "_kapcare_clock", None)
    if clock is not None:
        clock.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """The test database, copied from a migrated template (tests/template_db.py) instead of
    migrated afresh by every run and every xdist worker."""
    with django_db_blocker.unblock():
        old_name = template_db.create_test_database(connections["default"])
        template_db.mirror_test_database(connections["default"])
    yield
    with django_db_blocker.unblock():
        template_db.destroy_test_database(connections["default"], old_name)


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """`manage.py demo`, run once for a test module in a transaction rolled back at the
    module's end; each test reads it in a savepoint inside that transaction and leaves it as
    it found it. Loading the demo takes seconds, and dozens of tests only read it: loaded per
    test, it was a tenth of the suite's time. Yields what the command printed.

    A test that needs an empty database must not be in a module that uses this (the demo
    stays in place from the first test that asks for it to the module's end)."""
    out = StringIO()
    # A working day's morning, with a dose under way (the demo clinic is closed at weekends),
    # the clock ticking from there for the module's tests.
    with (
        time_machine.travel(demo_moment(2, 10, 40), tick=True),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        with override_settings(DEBUG=True):
            call_command("demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db, settings):
    """The demo clinic (see `demo_loaded`), with DEBUG on as when `manage.py demo` runs."""
    settings.DEBUG = True
    return demo_loaded


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
def nurse(clinic):
    return UserFactory(
        email="nell@example.org",
        full_name="Nell Nurse",
        role=Role.NURSE,
        clinic=clinic,
        credentials="RN",
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
    """Lift the database triggers that keep the access log append-only and clinical records
    from being deleted, then restore them.

    Tests that commit (the live server's browser tests, `transactional_db`) are cleaned up
    by emptying every table, which the triggers (audit migration 0002, and every
    `kapcare.db_triggers.refuse_delete`) rightly refuse. SQLite deletes row by row: its
    `*_no_delete` triggers (and the access log's) are dropped and created again afterwards.
    PostgreSQL truncates: the tables with a `*_no_truncate` trigger (and the access log)
    have their triggers disabled meanwhile. Both are DDL that only the tables' owner may
    run; the app's role in production owns nothing (docs/deploying.md), so this is no
    bypass the application could use.
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
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND (c.relname = %s OR t.tgname LIKE %s)",
                [ACCESS_LOG_TABLE, "%\\_no\\_truncate"],
            )
            tables = [table for (table,) in cursor.fetchall()]
            for table in tables:
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for _, sql in triggers:
                    cursor.execute(sql)
            else:
                for table in tables:
                    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')


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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counts live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
