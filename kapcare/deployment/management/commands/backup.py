import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from kapcare.deployment.backups import BackupError, backup, parse_recipients


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to PATH while kapcare runs (PostgreSQL: "
        "pg_dump custom format; SQLite: the online backup API), encrypted to the age public "
        "keys in BACKUP_AGE_RECIPIENT (comma-separated) or --recipient."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="An age public key (age1…) to encrypt to; may be repeated.",
        )
        parser.add_argument(
            "--no-encryption",
            action="store_true",
            help="Write the backup unencrypted even if BACKUP_AGE_RECIPIENT is set.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: Path, recipient: list[str], no_encryption: bool, **options):
        keys = recipient or os.environ.get("BACKUP_AGE_RECIPIENT", "").split(",")
        try:
            recipients = [] if no_encryption else parse_recipients(keys)
            result = backup(connections[options["database"]], path, recipients=recipients)
        except BackupError as error:
            raise CommandError(str(error)) from error
        encryption = "encrypted with age" if result.encrypted else "NOT encrypted"
        self.stdout.write(f"Backed up to {result.path} ({result.size:,} bytes, {encryption}).")
