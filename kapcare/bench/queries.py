"""The queries of each page: asked once in this process through Django's test client with
every query captured, so the count and SQL time do not depend on the load, and the slowest
statements explained by the database (EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN
QUERY PLAN on SQLite).

Each page is asked twice and the second request counted: the first fills what a running
server keeps between requests (content types, compiled templates). A page slower than
`SLOW_SECONDS` is asked once: its queries, not the caches, are what it costs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from kapcare.bench.credentials import SignIns
from kapcare.bench.report import SlowQuery
from kapcare.bench.targets import Target

HOST = "127.0.0.1"
SLOW_SECONDS = 5.0


@dataclass(frozen=True)
class PageQueries:
    count: int
    sql_ms: float
    status: int
    statements: list[tuple[float, str]]  # (ms, SQL)
    seconds: float = 0.0  # the whole request, in this process


def request_headers(target: Target, sign_ins: SignIns) -> dict[str, str]:
    """The headers the target is asked with: the session's cookie for a page, the bearer
    token for the API (and the CSRF token a form posts)."""
    headers = dict(target.headers)
    if target.kind == "api":
        headers["Authorization"] = f"Bearer {sign_ins.tokens[target.role]}"
    else:
        headers["Cookie"] = sign_ins.cookie_header(target.role)
        if target.method == "POST":
            headers["X-CSRFToken"] = sign_ins.csrf_secret
    return headers


def ask(client: Client, target: Target, sign_ins: SignIns):
    headers = request_headers(target, sign_ins)
    client.cookies.clear()
    cookie = headers.pop("Cookie", "")
    for part in filter(None, cookie.split("; ")):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    if target.method == "POST":
        return client.post(target.path, target.form, headers=headers)
    return client.get(target.path, headers=headers)


def measure(targets: list[Target], sign_ins: SignIns) -> dict[str, PageQueries]:
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
    measured = {}
    with override_settings(ALLOWED_HOSTS=[HOST], ROOT_URLCONF="kapcare.bench.urls"):
        for target in targets:
            started = time.monotonic()
            with CaptureQueriesContext(connection) as captured:
                response = ask(client, target, sign_ins)
            seconds = time.monotonic() - started
            if seconds < SLOW_SECONDS:
                started = time.monotonic()
                with CaptureQueriesContext(connection) as captured:
                    response = ask(client, target, sign_ins)
                seconds = time.monotonic() - started
            statements = [(float(query["time"]) * 1000, query["sql"]) for query in captured]
            measured[target.name] = PageQueries(
                count=len(statements),
                sql_ms=sum(ms for ms, _ in statements),
                status=response.status_code,
                statements=statements,
                seconds=seconds,
            )
    return measured


def is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


def explain(sql: str) -> str:
    """The database's plan for `sql`. On PostgreSQL a SELECT is run (ANALYZE, BUFFERS)
    inside a transaction that is rolled back; any other statement is only planned, never
    run."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            options = "(ANALYZE, BUFFERS)" if is_read(sql) else ""
            cursor.execute(f"EXPLAIN {options} {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        elif connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        else:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def slowest_queries(measured: dict[str, PageQueries], count: int) -> list[SlowQuery]:
    """The `count` slowest statements over every page (each text once), explained."""
    ranked = sorted(
        ((ms, sql, page) for page, queries in measured.items() for ms, sql in queries.statements),
        reverse=True,
    )
    chosen: list[SlowQuery] = []
    seen: set[str] = set()
    for ms, sql, page in ranked:
        if sql in seen or not sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE")):
            continue
        seen.add(sql)
        try:
            plan = explain(sql)
        except Exception as error:  # a statement the database cannot explain on its own
            plan = f"(not explained: {error})"
        chosen.append(SlowQuery(page=page, ms=ms, sql=sql, plan=plan))
        if len(chosen) == count:
            break
    return chosen
