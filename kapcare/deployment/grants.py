"""The PostgreSQL rights of the role the application connects as.

Two roles (docs/deploying.md): an owner that runs the migrations, and so owns every table
and the triggers that keep records append-only; and the app role that gunicorn and the
workers use. Only a table's owner may ALTER it (DISABLE TRIGGER), drop its triggers or
drop it, so the app role cannot undo the database's guarantees even if the application
is subverted: it may read, add and update rows, and delete them only where deleting is
part of the clinic's work.
"""

from django.apps import apps
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# kapcare records that the clinic removes as part of its work (a clinician's shift taken
# out of the week, time off cancelled). Every other kapcare record is kept for good:
# clinical and financial history is never deleted.
DELETABLE_MODELS = {"scheduling.WorkingHours", "scheduling.TimeOff"}


def table_rights(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """{table: privileges} for every table in the database.

    DELETE on the records above, on the link tables Django makes for many-to-many
    fields, and on other projects' tables (sessions ended at sign-out, lockout records
    cleared, finished background tasks); not on kapcare's own records. A table no model
    describes (django_migrations) is read only.
    """
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    rights = dict.fromkeys(tables, "SELECT")
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table not in rights:
            continue
        deletable = (
            model._meta.label in DELETABLE_MODELS
            or model._meta.auto_created
            or not model._meta.app_config.name.startswith("kapcare.")
        )
        rights[table] = "SELECT, INSERT, UPDATE, DELETE" if deletable else "SELECT, INSERT, UPDATE"
    return rights


def grant_statements(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    quote = connection.ops.quote_name
    database = quote(connection.settings_dict["NAME"])
    schema = "public"
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {quote(role)}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {quote(role)}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {quote(role)}",
        f"GRANT CONNECT ON DATABASE {database} TO {quote(role)}",
        f"GRANT USAGE ON SCHEMA {schema} TO {quote(role)}",
    ]
    statements += [
        f"GRANT {rights} ON {quote(table)} TO {quote(role)}"
        for table, rights in sorted(table_rights(connection).items())
    ]
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quote(role)}")
    return statements


def grant_app_role(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    """Apply the grants in one transaction; returns the statements run."""
    statements = grant_statements(connection, role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
    if found is None:
        raise ValueError(f"There is no role {role!r}: CREATE ROLE {role} LOGIN PASSWORD '…' first.")
    if found[0]:
        raise ValueError(f"{role!r} is a superuser: it would bypass every grant and trigger.")
    if role == connection.settings_dict["USER"]:
        raise ValueError(f"{role!r} is the role running this command, the tables' owner.")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements
