import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from kapcare.deployment.backups import BackupError, read_identities, restore


class Command(BaseCommand):
    help = (
        "Restore the backup at PATH (made by `manage.py backup`) onto the configured "
        "database, which must be empty. An encrypted backup needs the age private key: "
        "--identity FILE or BACKUP_AGE_IDENTITY_FILE. On PostgreSQL run it as the owner "
        "role, then grant_app_role."
    )
    # The database is empty: the checks that read it have nothing to read yet.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--identity", type=Path, help="An age identity file (private key).")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: Path, identity: Path | None, **options):
        identity = identity or os.environ.get("BACKUP_AGE_IDENTITY_FILE")
        connection = connections[options["database"]]
        try:
            identities = read_identities(Path(identity)) if identity else []
            restore(connection, path, identities=identities)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {path} onto {connection.settings_dict['NAME']}. Next: "
            "`manage.py migrate` (if this code is newer than the backup)"
            + (
                " and `manage.py grant_app_role ROLE`."
                if connection.vendor == "postgresql"
                else "."
            )
        )
