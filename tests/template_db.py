"""A migrated template of the test database, rebuilt only when a migration changes.

Migrating an empty database for every test run — and for every pytest-xdist worker of a run —
costs more than many test files together. Instead the first worker that finds no template for
the current migrations builds one (`migrate`, then `createcachetable`, as Django's own test
set-up does), and every worker copies it:

- SQLite: the template is a file under `.test-databases/` (git ignores it); each worker copies
  it into its own in-memory test database with SQLite's backup API.
- PostgreSQL: the template is a database `kapcare_template_<fingerprint>`; each worker's test
  database is created from it with `CREATE DATABASE … TEMPLATE …`, a file-level copy.

The fingerprint covers Django's version and the text of every installed app's migrations, so
an edited, added or removed migration builds a new template; stale PostgreSQL templates are
dropped when a new one is built. Builders take a lock (a file lock for SQLite, an advisory
lock for PostgreSQL) so two workers never build the same template at once.
"""

import fcntl
import hashlib
import os
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

ROOT = Path(__file__).resolve().parent.parent
SQLITE_TEMPLATES = ROOT / ".test-databases"
POSTGRES_TEMPLATE_PREFIX = "kapcare_template_"
# Any fixed number: the advisory lock every kapcare test run takes to build a template.
POSTGRES_LOCK = 7_451_220


def fingerprint() -> str:
    """What the migrated schema depends on: Django's version and every migration's text."""
    digest = hashlib.sha256(django.get_version().encode())
    for app in sorted(apps.get_app_configs(), key=lambda app: app.label):
        for path in sorted((Path(app.path) / "migrations").glob("*.py")):
            digest.update(f"{app.label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def create_test_database(connection: BaseDatabaseWrapper) -> str:
    """Make `connection` point at a fresh, migrated test database; return the name it had."""
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    if connection.vendor == "sqlite":
        _use(connection, test_name)
        _fill_sqlite(connection)
    elif connection.vendor == "postgresql":
        template = _postgres_template(connection)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
            cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')
        _use(connection, test_name)
    else:  # pragma: no cover - kapcare runs on SQLite and PostgreSQL only
        raise NotImplementedError(connection.vendor)
    return old_name


def mirror_test_database(primary: BaseDatabaseWrapper) -> None:
    """Point every alias that mirrors `primary` (`TEST["MIRROR"]`, e.g. the read replica
    of test_settings) at its test database, as Django's own test set-up does."""
    for alias in connections:
        if connections[alias].settings_dict["TEST"].get("MIRROR") == primary.alias:
            connections[alias].creation.set_as_test_mirror(primary.settings_dict)


def destroy_test_database(connection: BaseDatabaseWrapper, old_name: str) -> None:
    """Drop the test database (an in-memory one goes with its last connection) and point
    `connection` back at `old_name`."""
    test_name = connection.settings_dict["NAME"]
    connection.close()
    if connection.vendor == "sqlite":
        connection.creation._destroy_test_db(test_name, verbosity=0)
    _use(connection, old_name)
    if connection.vendor == "postgresql":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')


def _use(connection: BaseDatabaseWrapper, name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES[connection.alias]["NAME"] = name


def _migrate(connection: BaseDatabaseWrapper) -> None:
    """Migrate the database `connection` points at, as Django's test set-up would."""
    call_command("migrate", database=connection.alias, verbosity=0, interactive=False)
    call_command("createcachetable", database=connection.alias, verbosity=0)


def _fill_sqlite(connection: BaseDatabaseWrapper) -> None:
    """Copy the template into the in-memory test database, or — when there is none for these
    migrations — migrate the in-memory database and save it as the template."""
    SQLITE_TEMPLATES.mkdir(exist_ok=True)
    template = SQLITE_TEMPLATES / f"{fingerprint()}.sqlite3"
    with _file_lock(SQLITE_TEMPLATES / "build.lock"):
        connection.ensure_connection()
        if template.exists():
            with closing(sqlite3.connect(template)) as source:
                source.backup(connection.connection)
            return
        _migrate(connection)
        building = template.with_suffix(".building")
        building.unlink(missing_ok=True)
        with closing(sqlite3.connect(building)) as target:
            connection.connection.backup(target)
        os.replace(building, template)
        for stale in SQLITE_TEMPLATES.glob("*.sqlite3"):
            if stale != template:
                stale.unlink(missing_ok=True)


def _postgres_template(connection: BaseDatabaseWrapper) -> str:
    template = POSTGRES_TEMPLATE_PREFIX + fingerprint()
    building = f"{template}_building"
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [POSTGRES_LOCK])
        try:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cursor.fetchone() is None:
                cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
                cursor.execute(f'CREATE DATABASE "{building}"')
                old_name = connection.settings_dict["NAME"]
                _use(connection, building)
                try:
                    _migrate(connection)
                finally:
                    _use(connection, old_name)
                cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                    [POSTGRES_TEMPLATE_PREFIX + "%", template],
                )
                for (stale,) in cursor.fetchall():
                    cursor.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [POSTGRES_LOCK])
    return template


@contextmanager
def _file_lock(path: Path):
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
