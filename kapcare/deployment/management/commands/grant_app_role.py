from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from kapcare.deployment.grants import grant_app_role


class Command(BaseCommand):
    help = (
        "PostgreSQL: give ROLE (the role gunicorn and the workers connect as) exactly the "
        "rights the application needs: read, insert, update, and delete only where the "
        "clinic's work deletes. Run it as the tables' owner after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role: str, database: str, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Roles and grants are PostgreSQL's; SQLite has none.")
        try:
            statements = grant_app_role(connection, role)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 1:
            for statement in statements:
                self.stdout.write(f"{statement};")
        tables = sum(statement.startswith("GRANT SELECT") for statement in statements)
        self.stdout.write(f"Granted {role} its rights on {tables} tables.")
