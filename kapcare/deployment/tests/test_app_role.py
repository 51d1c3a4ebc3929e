"""PostgreSQL: the app role reads and writes rows but cannot drop or disable the triggers
that keep records append-only, nor drop or empty a table (kapcare/deployment/grants.py)."""

import copy
import secrets
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import load_backend

from kapcare.deployment.backups import PG_DUMP_MAGIC, backup

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="roles and grants are PostgreSQL's"
)

ROLE = "kapcare_app_role_test"
INSERT_LOG_ROW = (
    "INSERT INTO audit_accesslogentry (occurred_at, actor_name, actor_email, actor_role, "
    "object_type, object_id, action, channel, path) "
    "VALUES (now(), 'Device', '', '', 'test', '', 'view', 'api', '') RETURNING id"
)


@pytest.fixture
def app_role(transactional_db):
    """A login role granted by `manage.py grant_app_role`, and a psycopg connection as it
    to the test database."""
    password = secrets.token_urlsafe(16)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {ROLE}")
        cursor.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD %s", [password])
    out = StringIO()
    call_command("grant_app_role", ROLE, stdout=out)
    params = connection.settings_dict
    app = psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        dbname=params["NAME"],
        user=ROLE,
        password=password,
        autocommit=True,
    )
    try:
        yield app, out.getvalue(), password
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {ROLE}")
            cursor.execute(f"DROP ROLE {ROLE}")


def refused(app, sql: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
        app.execute(sql)
    return str(error.value)


def access_log_trigger() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger "
            "WHERE tgrelid = 'audit_accesslogentry'::regclass AND NOT tgisinternal"
        )
        return cursor.fetchone()[0]


def test_the_app_role_reads_inserts_and_updates(app_role, clinic):
    app, out, _ = app_role

    assert "Granted kapcare_app_role_test its rights" in out
    assert app.execute("SELECT name FROM clinics_clinic").fetchall() == [(clinic.name,)]
    app.execute("UPDATE clinics_clinic SET phone = '615-555-0199'")
    (log_id,) = app.execute(INSERT_LOG_ROW).fetchone()
    assert log_id > 0
    app.execute(
        "INSERT INTO django_session (session_key, session_data, expire_date) "
        "VALUES ('k', 'd', now())"
    )
    app.execute("DELETE FROM django_session WHERE session_key = 'k'")  # sign-out


def test_the_app_role_cannot_delete_kapcare_records(app_role, clinic):
    app, _, _ = app_role

    assert "permission denied" in refused(app, "DELETE FROM clinics_clinic")
    assert "permission denied" in refused(app, "DELETE FROM audit_accesslogentry")
    assert "permission denied" in refused(app, "TRUNCATE audit_accesslogentry")


def test_the_app_role_cannot_drop_or_disable_the_append_only_triggers(app_role):
    app, _, _ = app_role
    trigger = access_log_trigger()

    assert "must be owner" in refused(app, f'DROP TRIGGER "{trigger}" ON audit_accesslogentry')
    assert "must be owner" in refused(app, "ALTER TABLE audit_accesslogentry DISABLE TRIGGER ALL")
    assert "must be owner" in refused(
        app, f'ALTER TABLE audit_accesslogentry DISABLE TRIGGER "{trigger}"'
    )
    # The trigger still refuses changes to the log, for the app role as for anyone.
    (log_id,) = app.execute(INSERT_LOG_ROW).fetchone()
    with pytest.raises(psycopg.Error):
        app.execute(f"UPDATE audit_accesslogentry SET actor_name = 'x' WHERE id = {log_id}")


def test_the_app_role_cannot_change_the_schema(app_role):
    app, _, _ = app_role

    assert "must be owner" in refused(app, "DROP TABLE audit_accesslogentry")
    assert "must be owner" in refused(app, "ALTER TABLE consents_signature DROP COLUMN typed_name")
    assert "permission denied" in refused(app, "CREATE TABLE shadow (id int)")


def test_a_superuser_is_not_accepted_as_the_app_role(transactional_db):
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("grant_app_role", connection.settings_dict["USER"])


def test_an_unknown_role_is_named(transactional_db):
    with pytest.raises(CommandError, match="There is no role 'nobody_here'"):
        call_command("grant_app_role", "nobody_here")


def test_the_app_role_can_take_the_nightly_backup(app_role, tmp_path, clinic):
    """The backup timer runs with the web server's environment, as the app role."""
    _, _, password = app_role
    settings_dict = {**copy.deepcopy(connection.settings_dict), "USER": ROLE, "PASSWORD": password}
    as_app = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "as_app")
    try:
        result = backup(as_app, tmp_path / "nightly.backup", recipients=[])
    finally:
        as_app.close()

    assert result.path.read_bytes().startswith(PG_DUMP_MAGIC)
