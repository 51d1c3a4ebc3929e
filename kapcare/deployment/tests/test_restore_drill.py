"""The restore drill: the demo clinic backed up while the database is live, restored into
a fresh database, and found whole: every row of every table, the access log, and the
signed records with their hashes. Runs on whichever database the suite runs on."""

import copy
import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pyrage
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections
from django.db.utils import load_backend

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.demo.build import load_demo
from kapcare.deployment.backups import (
    AGE_MAGIC,
    BackupError,
    _pg_tool,
    backup,
    existing_tables,
    restore,
)

RESTORED_SUFFIX = "_restore_drill"


@pytest.fixture
def fresh_database(tmp_path):
    """A connection to a new, empty database beside the test database: a new file on
    SQLite, a new database on the same PostgreSQL server."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    else:
        settings_dict["NAME"] = connection.settings_dict["NAME"] + RESTORED_SUFFIX
        # Outside the test's transaction: CREATE DATABASE cannot run inside one.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}"')
            cursor.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    target = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "restored")
    yield target
    target.close()
    if connection.vendor == "postgresql":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}"')


def rows(database, table: str) -> list[tuple]:
    with database.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {database.ops.quote_name(table)}")
        return sorted(cursor.fetchall(), key=repr)


def test_the_demo_restored_from_its_encrypted_backup_is_whole(
    transactional_db, settings, tmp_path, fresh_database
):
    settings.DEBUG = True  # the demo's own condition; its data is built as `manage.py demo` does
    load_demo()
    key = pyrage.x25519.Identity.generate()
    path = tmp_path / "kapcare.backup"

    backup(connection, path, recipients=[key.to_public()])
    restore(fresh_database, path, identities=[key])

    assert path.read_bytes().startswith(AGE_MAGIC)
    assert os.stat(path).st_mode & 0o777 == 0o600
    tables = existing_tables(connection)
    assert sorted(existing_tables(fresh_database)) == sorted(tables)
    counts = {table: len(rows(connection, table)) for table in tables}
    assert counts["audit_accesslogentry"] > 100
    assert counts["consents_signature"] >= 3
    for table in tables:
        assert rows(fresh_database, table) == rows(connection, table), table
    with fresh_database.cursor() as cursor:
        cursor.execute("SELECT signed_text, text_sha256 FROM consents_signature")
        signatures = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM dosing_dosingrecord WHERE signed_at IS NOT NULL")
        (signed_dosing_records,) = cursor.fetchone()
    assert all(hashlib.sha256(text.encode()).hexdigest() == digest for text, digest in signatures)
    assert signed_dosing_records > 0


def test_the_restored_database_keeps_its_append_only_triggers(
    transactional_db, tmp_path, fresh_database, clinic_admin, patient
):
    actor = Actor(user=clinic_admin, ip_address="127.0.0.1")
    record_access(actor, AccessAction.VIEW, patient=patient)
    path = tmp_path / "plain.backup"
    backup(connection, path, recipients=[])
    restore(fresh_database, path, identities=[])

    with pytest.raises(DatabaseError), fresh_database.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslogentry")


def test_restore_refuses_a_database_that_is_not_empty(transactional_db, tmp_path):
    path = tmp_path / "plain.backup"
    backup(connection, path, recipients=[])

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path))


def test_backup_never_replaces_a_file(db, tmp_path):
    existing = tmp_path / "yesterday.backup"
    existing.write_bytes(b"yesterday's backup")

    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(existing), "--no-encryption")
    assert existing.read_bytes() == b"yesterday's backup"


def test_an_encrypted_backup_needs_its_private_key_to_restore(
    transactional_db, tmp_path, fresh_database, monkeypatch
):
    key = pyrage.x25519.Identity.generate()
    monkeypatch.setenv("BACKUP_AGE_RECIPIENT", str(key.to_public()))
    path = tmp_path / "kapcare.backup"
    call_command("backup", str(path))
    wrong = tmp_path / "wrong.key"
    wrong.write_text(f"# another key\n{pyrage.x25519.Identity.generate()}\n")

    with pytest.raises(Exception, match="encrypted"):
        restore(fresh_database, path, identities=[])
    with pytest.raises(Exception, match="Cannot decrypt"):
        restore(fresh_database, path, identities=[pyrage.x25519.Identity.generate()])
    assert existing_tables(fresh_database) == []


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path, fresh_database):
    path = tmp_path / "notes.txt"
    path.write_text("not a backup")

    with pytest.raises(Exception, match="not a kapcare backup"):
        restore(fresh_database, Path(path), identities=[])


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs PostgreSQL's client tools")
def test_a_pg_dump_older_than_the_server_is_refused_with_the_package_to_install():
    installed = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout
    newer_server = SimpleNamespace(
        pg_version=(int(installed.split()[-1].split(".")[0]) + 1) * 10000
    )

    with pytest.raises(BackupError, match="install postgresql-client-"):
        _pg_tool("pg_dump", newer_server)


def test_backup_and_restore_from_the_command_line_with_the_keys_from_the_environment(tmp_path):
    """As the nightly timer and an operator run them: `manage.py backup` encrypting to
    BACKUP_AGE_RECIPIENT, `manage.py restore` decrypting with BACKUP_AGE_IDENTITY_FILE."""
    live = tmp_path / "live.sqlite3"
    with sqlite3.connect(live) as db:
        db.execute("CREATE TABLE signatures (id INTEGER PRIMARY KEY, text_sha256 TEXT)")
        db.executemany(
            "INSERT INTO signatures (text_sha256) VALUES (?)", [("a" * 64,), ("b" * 64,)]
        )
    db.close()
    key = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "backup.key"
    key_file.write_text(f"# public key: {key.to_public()}\n{key}\n")
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "kapcare.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "kap.example.org",
        "BACKUP_AGE_RECIPIENT": str(key.to_public()),
        "BACKUP_AGE_IDENTITY_FILE": str(key_file),
    }
    path = tmp_path / "nightly.backup"

    backed_up = manage(env, f"sqlite:///{live}", "backup", str(path))
    restored = manage(env, f"sqlite:///{tmp_path / 'restored.sqlite3'}", "restore", str(path))

    assert "encrypted with age" in backed_up
    assert "Restored" in restored
    with sqlite3.connect(tmp_path / "restored.sqlite3") as db:
        rows = db.execute("SELECT id, text_sha256 FROM signatures ORDER BY id").fetchall()
    db.close()
    assert rows == [(1, "a" * 64), (2, "b" * 64)]


def manage(env: dict[str, str], database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**env, "DATABASE_URL": database_url},
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
