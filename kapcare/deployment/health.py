"""What `/healthz` checks: each check is one small function that returns when its part
of the system works and raises when it does not. Add a check by appending to CHECKS.

No check reads a patient's record or says anything about one: the answer is public.
"""

import logging
from collections.abc import Callable

from django.db import connection

from kapcare.queue import queue_health

logger = logging.getLogger(__name__)


def database() -> None:
    """The database answers a query (the cheapest one: no table is read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


class QueueNotWorking(Exception):
    pass


def queue() -> None:
    """Background work is being done (`kapcare.queue.queue_health`): the task table
    answers, no ready task has waited too long, and the minute job is not overdue."""
    health = queue_health()
    if not health.is_ok:
        raise QueueNotWorking(health.detail)


CHECKS: list[tuple[str, Callable[[], None]]] = [("database", database), ("queue", queue)]


def run_checks() -> dict[str, str]:
    """{"database": "ok" | "error", …}: the reason of a failure goes to the server log, not
    to the (unauthenticated) caller."""
    results = {}
    for name, check in CHECKS:
        try:
            check()
        except Exception:
            logger.exception("Health check %r failed", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results
