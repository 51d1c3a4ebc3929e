"""Query plans of a page, read the way PostgreSQL would run them at scale (PostgreSQL only).

A query-count test passes while one query's cost grows with the clinic. `plan_problems_of_page`
requests a page with the test client, keeps the SQL it ran, and has PostgreSQL plan and run
each read again (`EXPLAIN (ANALYZE, FORMAT JSON)`) with sequential scans switched off for
the transaction (`SET LOCAL enable_seqscan = off`) and the random page cost of SSD storage
(1.1; PostgreSQL's default of 4 is a spinning disk's, and on a small data set it makes an
index that reads the newest rows of the whole table look cheaper than one that goes
straight to the rows asked for). Two things are wrong on a table that
grows with the patients (`GROWING_TABLES`):

- a sequential scan: the planner picks one only where no index can serve the query, so a
  small test data set shows what a large clinic would get;
- a scan that reads more rows than a page can show (`MAX_ROWS_READ`, rows returned plus
  rows read and thrown away by a filter, over all its loops): an index used to read the
  whole clinic (an open-ended range, a count of everything, a correlated subquery per row
  of a whole table) costs as much as a sequential scan once the clinic is large.

Writes are planned without running them. Tables that stay small (clinics, rooms, settings)
may be read in full.
"""

import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

# The tables whose rows grow with patients, visits and time.
GROWING_TABLES = frozenset(
    {
        "accounts_user",
        "audit_accesslogentry",
        "consents_sharingauthorization",
        "consents_signature",
        "dosing_adverseevent",
        "dosing_controlledsubstanceentry",
        "dosing_dosingrecord",
        "dosing_intervention",
        "dosing_observation",
        "dosing_patientexperience",
        "dosing_registerline",
        "dosing_therapistsummary",
        "episodes_caresession",
        "episodes_dayofchecklist",
        "episodes_episode",
        "episodes_episodetransition",
        "intake_consultationrequest",
        "journal_journalentry",
        "measures_assessment",
        "measures_licensedscaleresult",
        "measures_safetyalert",
        "messaging_message",
        "messaging_thread",
        "messaging_threadreadmark",
        "notifications_notification",
        "patients_bodymeasurement",
        "patients_patient",
        "scheduling_appointment",
        "screening_medicalscreening",
    }
)

# More rows than the longest page shows (a page of 50, with a few rows each).
MAX_ROWS_READ = 150

SEQUENTIAL = ("Seq Scan", "Parallel Seq Scan")
RUN = ("SELECT", "WITH")
PLANNED_ONLY = ("UPDATE", "DELETE")


@dataclass(frozen=True)
class PlanProblem:
    table: str
    node: str
    rows_read: int | None
    sql: str

    def __str__(self) -> str:
        rows = "" if self.rows_read is None else f" reading {self.rows_read} rows"
        return f"{self.node} on {self.table}{rows}: {self.sql[:400]}"


def _scans(plan: dict):
    if "Relation Name" in plan:
        yield plan
    for child in plan.get("Plans", ()):
        yield from _scans(child)


def _rows_read(node: dict) -> int | None:
    if "Actual Rows" not in node:
        return None
    per_loop = (
        node["Actual Rows"]
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )
    return int(per_loop * node.get("Actual Loops", 1))


def _problems(cursor, sql: str, tables, max_rows: int) -> list[PlanProblem]:
    analyze = "ANALYZE, " if sql.lstrip().upper().startswith(RUN) else ""
    cursor.execute(f"EXPLAIN ({analyze}FORMAT JSON) {sql}")
    (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    found = []
    for node in _scans(plan[0]["Plan"]):
        table, rows = node["Relation Name"], _rows_read(node)
        if table not in tables:
            continue
        if node["Node Type"] in SEQUENTIAL or (rows is not None and rows > max_rows):
            found.append(PlanProblem(table, node["Node Type"], rows, sql))
    return found


def plan_problems(sqls, tables=GROWING_TABLES, max_rows: int = MAX_ROWS_READ) -> list[PlanProblem]:
    """The sequential scans of `tables`, and their scans reading more than `max_rows`, in
    the plans of `sqls` (statements with their parameters in place, as
    `CaptureQueriesContext` keeps them)."""
    found = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        try:
            for sql in sqls:
                if sql.lstrip().upper().startswith(RUN + PLANNED_ONLY):
                    found += _problems(cursor, sql, tables, max_rows)
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET random_page_cost")
    return found


def plan_problems_of_page(client, url: str, *, method: str = "get", data=None) -> list[str]:
    """Request `url` (it must answer 200) and describe each plan problem of the SQL it
    ran."""
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return [str(problem) for problem in plan_problems(q["sql"] for q in captured.captured_queries)]
