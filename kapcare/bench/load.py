"""Running the load: a loopback server's address checked, a warm-up, then locust in its own
process over the plan (kapcare/bench/locustfile.py), its raw times read back."""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from kapcare.bench.credentials import SignIns
from kapcare.bench.figures import Phase, Sample, phases_in_turn
from kapcare.bench.queries import request_headers
from kapcare.bench.targets import Target

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Requests still running when a turn ends finish before the next one is counted.
SETTLE_FRACTION = 0.15
# A request not answered within this many seconds counts as failed and its user goes on: a
# page that hangs must not hold the whole run (gunicorn itself gives up at 60 s).
REQUEST_TIMEOUT = 30.0
# A page that took this long alone (in process) is not loaded at all: under load it would
# hold every server process for a minute and fail every page after it.
TOO_SLOW_TO_LOAD_SECONDS = 10.0


def settle_seconds(users: int, seconds_each: float) -> float:
    """What is left out at the start of each turn: nothing for one user, whose previous
    request has always finished; otherwise a share of the turn."""
    return 0.0 if users == 1 else seconds_each * SETTLE_FRACTION


class NotLoopback(ValueError):
    pass


def require_loopback(url: str) -> str:
    """The address, if it is an http server on this machine; the bench loads nothing else."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http":
        raise NotLoopback(f"The bench speaks plain http to a server on this machine, not {url}.")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise NotLoopback(
            f"The bench only loads a server on the loopback (127.0.0.1, ::1, localhost), "
            f"not {host or url!r}."
        )
    return url.rstrip("/")


def plan_entry(target: Target, sign_ins: SignIns) -> dict:
    headers = request_headers(target, sign_ins)
    body = ""
    if target.method == "POST":
        body = urlencode(target.form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return {
        "name": target.name,
        "method": target.method,
        "path": target.path,
        "headers": headers,
        "body": body,
    }


def ask_once(url: str, entry: dict) -> int:
    """The status of one request; 0 when no answer came in time."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port or 80, timeout=REQUEST_TIMEOUT
    )
    try:
        connection.request(
            entry["method"], entry["path"], body=entry["body"] or None, headers=entry["headers"]
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def warm_up(url: str, entries: list[dict], *, workers: int) -> dict[str, int]:
    """Ask for each request once from as many connections at a time as the server has
    processes, so that each process compiles its templates and fills its caches before the
    timing starts; the status of each."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rounds = [pool.map(lambda entry: ask_once(url, entry), entries) for _ in range(workers)]
        statuses = [list(answers) for answers in rounds]
    return {entry["name"]: statuses[-1][i] for i, entry in enumerate(entries)}


def run_load(
    url: str, entries: list[dict], *, users: int, seconds_each: float, workdir: Path
) -> tuple[list[Phase], list[Sample]]:
    # One user goes round the pages in order until the time is up: every page is timed
    # even when one takes longer than its share of the run. Several users take the pages
    # in turns (module docstring of kapcare/bench/figures.py).
    in_turns = users > 1
    total = seconds_each * len(entries)
    workdir.mkdir(parents=True, exist_ok=True)
    plan_path = workdir / f"plan-{users}-users.json"
    samples_path = workdir / f"samples-{users}-users.json"
    plan_path.write_text(
        json.dumps(
            {
                "targets": entries,
                "seconds_each": seconds_each,
                "request_timeout": REQUEST_TIMEOUT,
                "in_turns": in_turns,
                "samples_path": str(samples_path),
            }
        ),
        encoding="utf-8",
    )
    with open(workdir / f"locust-{users}-users.log", "w", encoding="utf-8") as log:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{math.ceil(total) + 2}s",
                "--stop-timeout",
                str(math.ceil(REQUEST_TIMEOUT) + 5),
                "--host",
                url,
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "KAPCARE_BENCH_PLAN": str(plan_path)},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=total + 120,
            check=False,
        )
    if not samples_path.exists():
        raise RuntimeError(f"locust wrote no timings; see {workdir}/locust-{users}-users.log")
    run = json.loads(samples_path.read_text(encoding="utf-8"))
    samples = [
        Sample(page=page, started_at=started, ms=ms, status=status)
        for page, started, ms, status in run["samples"]
    ]
    names = [entry["name"] for entry in entries]
    if in_turns:
        phases = phases_in_turn(names, start=run["start"], seconds_each=seconds_each)
    else:
        phases = [Phase(name, run["start"], run["start"] + total) for name in names]
    return phases, samples
