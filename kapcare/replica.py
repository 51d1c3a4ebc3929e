"""Reads of reports on the read replica, when there is one (`DATABASE_REPLICA_URL`).

A view that only reads, and may read a lot (the access-log export, the clinic admin's
home), runs inside `read_replica()` (or is decorated with `reads_from_replica`): its reads
go to the replica, so a long report does not load the primary that the clinic's work
writes to. Everything else reads from the primary, so a page shown after a write always
shows it (a replica may lag by a moment). Writes always go to the primary, the access-log
rows these reports write included. Without a replica, or outside the block, the router
has no opinion and Django uses the primary.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import QuerySet

_reading_replica: ContextVar[bool] = ContextVar("kapcare_reading_replica", default=False)

# The cache table (rate-limit counts) is read and written at once: it stays on the primary.
PRIMARY_ONLY_APPS = frozenset({"django_cache"})


@contextmanager
def read_replica() -> Iterator[None]:
    """Send the reads inside the block to the replica (when one is configured)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        with read_replica():
            return view(*args, **kwargs)

    return wrapper


def bound_here(queryset: QuerySet) -> QuerySet:
    """`queryset` read from the database reads go to now, though it is evaluated later:
    a streamed export reads its rows after the view (and its `read_replica()`) returned."""
    return queryset.using(router.db_for_read(queryset.model))


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if (
            settings.READ_REPLICA
            and _reading_replica.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
        ):
            return settings.READ_REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        # A record read from the replica is saved to the primary, not where it was read.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's rows: a record read from either may point at one
        # read from the other.
        return True

    def allow_migrate(self, db, app_label, **hints) -> bool:
        # The replica receives the primary's schema by replication.
        return db == DEFAULT_DB_ALIAS
