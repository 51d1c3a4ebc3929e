"""Backing up the database and restoring it onto an empty one.

PostgreSQL: `pg_dump --format=custom`, one consistent snapshot (a single repeatable-read
transaction) taken while the clinic keeps working. SQLite: the online backup API, which
copies the pages under a read lock, also consistent while the server writes.

A backup may be encrypted to one or more age public keys (`age1…`, made with
`age-keygen`): the server then holds no key that can read its own backups, and the
private key is brought back only to restore (`age --decrypt` reads the files too). A
backup is written beside its final name and renamed when complete, readable by its owner
only, so a half-written file never passes for a backup.

Restore goes onto an empty database only: merging a backup into live records would
duplicate or overwrite clinical history.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyrage
from django.db.backends.base.base import BaseDatabaseWrapper

AGE_MAGIC = b"age-encryption.org/v1"
PG_DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    encrypted: bool


def parse_recipients(keys: list[str]) -> list:
    try:
        return [pyrage.x25519.Recipient.from_str(key.strip()) for key in keys if key.strip()]
    except pyrage.RecipientError as error:
        raise BackupError(f"Not an age public key (age1…): {error}") from error


def read_identities(path: Path) -> list:
    """The private keys in an age identity file (as `age-keygen -o` writes it)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise BackupError(f"Cannot read the age identity file {path}: {error}") from error
    try:
        keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
        identities = [pyrage.x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError as error:
        raise BackupError(f"{path} holds a malformed age private key: {error}") from error
    if not identities:
        raise BackupError(f"{path} holds no age private key (AGE-SECRET-KEY-…).")
    return identities


def backup(connection: BaseDatabaseWrapper, path: Path, *, recipients: list) -> BackupResult:
    """Write a consistent copy of the database behind `connection` to `path`, encrypted to
    `recipients` (age public keys) when any are given."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never replaces a file.")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with _private_file(partial) as output:
            if connection.vendor == "postgresql":
                _pg_dump(connection, output, recipients)
            elif connection.vendor == "sqlite":
                _sqlite_backup(connection, output, recipients)
            else:
                raise BackupError(f"No backup method for {connection.vendor}.")
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=path, size=path.stat().st_size, encrypted=bool(recipients))


def restore(connection: BaseDatabaseWrapper, path: Path, *, identities: list) -> None:
    """Load the backup at `path` into the empty database behind `connection`."""
    path = Path(path)
    try:
        with path.open("rb") as backup_file:
            magic = backup_file.read(len(AGE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error}") from error
    if tables := existing_tables(connection):
        raise BackupError(
            f"The database is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}): "
            "restore only onto a new, empty database."
        )
    with tempfile.TemporaryDirectory(prefix="kapcare-restore-") as scratch:
        if magic.startswith(AGE_MAGIC):
            if not identities:
                raise BackupError(
                    f"{path} is encrypted: give the age private key (--identity FILE or "
                    "BACKUP_AGE_IDENTITY_FILE)."
                )
            plain = Path(scratch) / "backup"
            try:
                with path.open("rb") as source, _private_file(plain) as target:
                    pyrage.decrypt_io(source, target, identities)
            except pyrage.DecryptError as error:
                raise BackupError(f"Cannot decrypt {path} with that key: {error}") from error
            path = plain
            with path.open("rb") as backup_file:
                magic = backup_file.read(len(AGE_MAGIC))
        if magic.startswith(PG_DUMP_MAGIC):
            if connection.vendor != "postgresql":
                raise BackupError("This is a PostgreSQL backup; restore it onto PostgreSQL.")
            _pg_restore(connection, path, Path(scratch))
        elif magic.startswith(SQLITE_MAGIC):
            if connection.vendor != "sqlite":
                raise BackupError("This is an SQLite backup; restore it onto SQLite.")
            _sqlite_restore(connection, path)
        else:
            raise BackupError(f"{path} is not a kapcare backup (PostgreSQL, SQLite or age).")


def existing_tables(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


@contextmanager
def _private_file(path: Path):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as output:
        yield output


def _sqlite_backup(connection: BaseDatabaseWrapper, output, recipients: list) -> None:
    connection.ensure_connection()
    # Into memory first: the plain copy never touches the disk when it is to be encrypted.
    copy = sqlite3.connect(":memory:")
    try:
        connection.connection.backup(copy)
        image = copy.serialize()
    finally:
        copy.close()
    if recipients:
        output.write(pyrage.encrypt(image, recipients))
    else:
        output.write(image)


def _sqlite_restore(connection: BaseDatabaseWrapper, path: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _pg_environment(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's environment for the database behind `connection` (the password never on a
    command line, where `ps` would show it)."""
    params = connection.settings_dict
    options = params.get("OPTIONS", {})
    values = {
        "PGHOST": params.get("HOST"),
        "PGPORT": str(params.get("PORT") or ""),
        "PGUSER": params.get("USER"),
        "PGPASSWORD": params.get("PASSWORD"),
        "PGDATABASE": params.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}


def _pg_tool(name: str, connection: BaseDatabaseWrapper) -> str:
    """The path of `pg_dump`/`pg_restore`, refused when older than the server (it could not
    read the server's catalogue, or would restore a dump it does not understand)."""
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    tool_major = int(version.stdout.split()[-1].split(".")[0])
    server_major = connection.pg_version // 10000
    if tool_major < server_major:
        raise BackupError(
            f"{name} is version {tool_major}, the server {server_major}: install "
            f"postgresql-client-{server_major}."
        )
    return tool


def _pg_dump(connection: BaseDatabaseWrapper, output, recipients: list) -> None:
    connection.ensure_connection()
    command = [_pg_tool("pg_dump", connection), "--format=custom", "--no-owner", "--no-privileges"]
    env = _pg_environment(connection)
    if not recipients:
        _run(command, env=env, stdout=output)
        return
    # pg_dump's stream is encrypted as it comes: no plain copy on the disk. Its messages go
    # to a file, so a full stderr pipe can never stall it.
    with tempfile.TemporaryFile() as messages:
        dump = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=messages)
        try:
            pyrage.encrypt_io(dump.stdout, output, recipients)
        finally:
            dump.stdout.close()
            returncode = dump.wait()
        if returncode != 0:
            messages.seek(0)
            error = messages.read().decode(errors="replace").strip()
            raise BackupError(f"pg_dump failed: {error}")


def _pg_restore(connection: BaseDatabaseWrapper, path: Path, scratch: Path) -> None:
    """pg_restore into one transaction (all or nothing), the restoring role owning
    everything (run it as the owner role, then `grant_app_role`)."""
    connection.ensure_connection()
    tool = _pg_tool("pg_restore", connection)
    env = _pg_environment(connection)
    # A COMMENT ON EXTENSION needs the extension's owner (a superuser usually), and the
    # comment is PostgreSQL's own: leave it out rather than fail the whole restore.
    listing = _run([tool, "--list", str(path)], env=env, stdout=subprocess.PIPE)
    kept = [line for line in listing.splitlines() if " COMMENT - EXTENSION " not in line]
    table_of_contents = scratch / "restore.list"
    table_of_contents.write_text("\n".join(kept) + "\n")
    connection.close()  # pg_restore needs no session of ours holding locks
    _run(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--use-list={table_of_contents}",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        ],
        env=env,
        stdout=subprocess.PIPE,
    )


def _run(command: list[str], *, env: dict[str, str], stdout) -> str:
    result = subprocess.run(command, env=env, stdout=stdout, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        name = Path(command[0]).name
        raise BackupError(f"{name} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode() if isinstance(result.stdout, bytes) else ""
