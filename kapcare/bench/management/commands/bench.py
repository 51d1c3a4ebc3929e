"""`manage.py bench`: load each role's pages and the main API calls beside a bare view, and
write what they cost (docs/performance/README.md)."""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from kapcare.bench import credentials, load, queries, server, targets
from kapcare.bench.budgets import BUDGETS
from kapcare.bench.figures import LoadFigures, PageResult, load_figures
from kapcare.bench.report import Report, RunFacts, write_report
from kapcare.patients.models import Patient

MAX_USERS = 64
MAX_SECONDS = 1800
MIN_SECONDS_EACH = 0.5
MAX_SLOWEST = 20


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def database_name() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
    return connection.vendor


class Command(BaseCommand):
    help = (
        "Load each role's pages and the main API calls, one after another, with N users "
        "and no think time, beside a bare Django view with the same middleware; write the "
        "percentiles, throughput, queries and slowest plans as Markdown and JSON, and exit "
        "non-zero when the budget is not met. Development and benchmark databases only: it "
        "writes sessions, API tokens and access-log rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users",
            type=int,
            nargs="+",
            default=[1, 16],
            help="simulated users of each run, one run per number (default: 1 16)",
        )
        parser.add_argument(
            "--duration",
            type=float,
            nargs="+",
            default=[60],
            help="seconds of each run, shared by the pages in turn: one for every run, or one "
            "per number of --users, in the same order (default 60)",
        )
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--server",
            choices=["gunicorn"],
            default="gunicorn",
            help="start gunicorn (DEBUG off, production settings) on a free loopback port",
        )
        where.add_argument(
            "--url",
            help="load a server already running on the loopback, started with "
            "BENCH_BARE_VIEW=1 against the same database",
        )
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
        parser.add_argument("--clinic", help="the clinic's slug (default: the largest)")
        parser.add_argument("--budget", choices=sorted(BUDGETS), default="strict")
        parser.add_argument(
            "--out",
            type=Path,
            help="the report's folder (default var/bench/<time>/; committed reports go "
            "under docs/performance/)",
        )
        parser.add_argument("--slowest", type=int, default=5, help="queries explained (5)")
        parser.add_argument(
            "--pages",
            nargs="+",
            metavar="NAME",
            help="only these pages and API calls, by the name the report gives them (the "
            "bare view is always run)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The bench signs in as the clinic's people and writes access-log rows for its "
                "patients, so it only runs with DEBUG=1, on a development or benchmark "
                "database (the server it starts still runs with DEBUG off)."
            )
        if not all(1 <= count <= MAX_USERS for count in options["users"]):
            raise CommandError(f"--users must be between 1 and {MAX_USERS}.")
        if len(set(options["users"])) != len(options["users"]):
            raise CommandError("--users names each number once.")
        given = options["duration"]
        if len(given) not in {1, len(options["users"])}:
            raise CommandError("--duration takes one number of seconds, or one per --users.")
        if not all(0 < seconds <= MAX_SECONDS for seconds in given):
            raise CommandError(f"--duration must be more than 0 and at most {MAX_SECONDS} s.")
        if len(given) == 1:
            given = given * len(options["users"])
        durations = dict(zip(options["users"], given, strict=True))
        users = sorted(durations)
        if not 0 <= options["slowest"] <= MAX_SLOWEST:
            raise CommandError(f"--slowest must be between 0 and {MAX_SLOWEST}.")
        if not 1 <= options["workers"] <= 16:
            raise CommandError("--workers must be between 1 and 16.")
        url = None
        if options["url"]:
            try:
                url = load.require_loopback(options["url"])
            except load.NotLoopback as error:
                raise CommandError(str(error)) from error

        try:
            clinic = targets.choose_clinic(options["clinic"])
            users_by_role = targets.find_users(clinic)
            records = targets.find_records(clinic, users_by_role.get("therapist"))
        except targets.NothingToBench as error:
            raise CommandError(str(error)) from error
        chosen = targets.build_targets(users_by_role, records)
        if options["pages"]:
            unknown = set(options["pages"]) - {target.name for target in chosen}
            if unknown:
                raise CommandError(
                    f"No page named {', '.join(sorted(unknown))} here; the pages are: "
                    + ", ".join(target.name for target in chosen)
                )
            chosen = [t for t in chosen if t.kind == "bare" or t.name in options["pages"]]
        if min(durations.values()) / len(chosen) < MIN_SECONDS_EACH:
            raise CommandError(
                f"{len(chosen)} pages need at least {MIN_SECONDS_EACH * len(chosen):g} s "
                "per run (--duration)."
            )
        started = datetime.now(UTC)
        load_before = os.getloadavg()[0]
        commit = git_commit()  # the code that runs, before anyone edits it during the run
        out = options["out"] or settings.BASE_DIR / "var" / "bench" / started.strftime(
            "%Y%m%dT%H%M%SZ"
        )
        # Each run's plan, raw times and the servers' logs, kept for a look afterwards but
        # never beside a report that may be committed.
        workdir = Path(tempfile.mkdtemp(prefix="kapcare-bench-"))
        self.stdout.write(
            f"Bench of {clinic} ({len(chosen)} pages and API calls, roles: "
            f"{', '.join(sorted(users_by_role))}); report in {out}"
        )

        # The sessions are signed with the server's secret key: a one-off key given to the
        # gunicorn started here, or this process's own for a server given by --url.
        secret_key = settings.SECRET_KEY if url else secrets.token_urlsafe(50)
        with override_settings(SECRET_KEY=secret_key):
            measured, slowest, loads, chosen = self.measure_and_load(
                url,
                chosen,
                users_by_role,
                options,
                durations=durations,
                workdir=workdir,
                secret_key=secret_key,
            )

        # A page too slow to load counts as one failed request in every run.
        not_loaded = LoadFigures(0, 1, None, None, None, 0.0)
        results = [
            PageResult(
                name=target.name,
                kind=target.kind,
                role=target.role,
                method=target.method,
                path=target.pattern,
                queries=measured[target.name].count,
                sql_ms=round(measured[target.name].sql_ms, 2),
                load={count: loads[count].get(target.name, not_loaded) for count in users},
                note=""
                if target.name in loads[users[0]]
                else f"not loaded: {measured[target.name].seconds:.0f} s alone",
            )
            for target in chosen
        ]
        report = Report(
            facts=RunFacts(
                date=started.strftime("%Y-%m-%d %H:%M UTC"),
                commit=commit,
                database=database_name(),
                patients=Patient.objects.count(),
                clinic=clinic.name,
                clinic_patients=Patient.objects.filter(clinic=clinic).count(),
                users=users,
                seconds_per_run=[durations[count] for count in users],
                server=url or f"gunicorn, {options['workers']} workers, DEBUG off",
                cores=os.cpu_count() or 0,
                load_average=load_before,
            ),
            budget=BUDGETS[options["budget"]],
            pages=results,
            slowest_queries=slowest,
        )
        json_path, markdown_path = write_report(report, out)
        self.stdout.write(markdown_path.read_text(encoding="utf-8").split("\n## ")[0])
        self.stdout.write(f"Written: {markdown_path} and {json_path} (working files: {workdir})")
        if not report.passed:
            raise CommandError(f"Over the {report.budget.name} budget: see {markdown_path}.")
        self.stdout.write(self.style.SUCCESS(f"Within the {report.budget.name} budget."))

    def measure_and_load(
        self, url, chosen, users_by_role, options, *, durations, workdir, secret_key
    ):
        sign_ins = credentials.sign_in(users_by_role)
        try:
            measured = queries.measure(chosen, sign_ins)
            refused = [t for t in chosen if measured[t.name].status != 200]
            for target in refused:
                self.stderr.write(
                    f"Left out {target.name} ({target.method} {target.pattern}): it answered "
                    f"{measured[target.name].status} to its {target.role}."
                )
            chosen = [target for target in chosen if target not in refused]
            if not chosen or chosen[0].kind != "bare":
                raise CommandError("The bare view did not answer; nothing to compare with.")
            slowest = queries.slowest_queries(measured, options["slowest"])
            entries = [
                load.plan_entry(target, sign_ins)
                for target in chosen
                if measured[target.name].seconds <= load.TOO_SLOW_TO_LOAD_SECONDS
            ]
            loads = self.run_loads(
                url,
                entries,
                durations=durations,
                workers=options["workers"],
                workdir=workdir,
                secret_key=secret_key,
            )
        finally:
            credentials.sign_out(sign_ins)
        return measured, slowest, loads, chosen

    def run_loads(self, url, entries, *, durations, workers, workdir, secret_key):
        """Each run's figures by page, against the given server or a gunicorn started here."""
        if url is not None:
            return self.load_server(url, entries, durations, workers, workdir)
        with server.gunicorn(
            workers=workers, workdir=workdir, secret_key=secret_key
        ) as started_url:
            return self.load_server(started_url, entries, durations, workers, workdir)

    def load_server(self, url, entries, durations, workers, workdir):
        statuses = load.warm_up(url, entries, workers=workers)
        if statuses[entries[0]["name"]] != 200:
            raise CommandError(
                f"{url} does not answer the bare view ({statuses[entries[0]['name']]}): "
                "start it with BENCH_BARE_VIEW=1 against this database."
            )
        figures = {}
        for count, seconds in sorted(durations.items()):
            seconds_each = seconds / len(entries)
            self.stdout.write(f"{count} user(s), {seconds:g} s…")
            phases, samples = load.run_load(
                url, entries, users=count, seconds_each=seconds_each, workdir=workdir
            )
            figures[count] = load_figures(
                phases,
                samples,
                users=count,
                settle_seconds=load.settle_seconds(count, seconds_each),
            )
        return figures
