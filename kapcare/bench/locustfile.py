"""The load itself, run by locust in its own process (`manage.py bench` starts it): never
imported by Django, since locust patches the standard library for gevent when it starts.

The plan (a JSON file named by KAPCARE_BENCH_PLAN) lists the requests and the seconds each
gets. With several users the requests take turns: every simulated user asks, without
pause, for the request whose turn it is, and stops when the last turn ends. One user goes
round the requests in order until the time is up. Every request is written down (page, start, time
taken, status) and the list saved when locust quits, so the figures are computed from the
raw times (kapcare/bench/figures.py), not from locust's rounded ones.
"""

import json
import os
import time
from pathlib import Path

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

PLAN = json.loads(Path(os.environ["KAPCARE_BENCH_PLAN"]).read_text(encoding="utf-8"))
TARGETS = PLAN["targets"]
SECONDS_EACH = PLAN["seconds_each"]
TOTAL_SECONDS = SECONDS_EACH * len(TARGETS)

run = {"start": None, "samples": []}


@events.test_start.add_listener
def started(**_kwargs):
    run["start"] = time.time()


@events.request.add_listener
def timed(name, response_time, response=None, start_time=None, **_kwargs):
    status = getattr(response, "status_code", 0) or 0
    run["samples"].append([name, start_time or time.time(), response_time, status])


@events.quitting.add_listener
def save(**_kwargs):
    Path(PLAN["samples_path"]).write_text(json.dumps(run), encoding="utf-8")


class BenchUser(FastHttpUser):
    wait_time = constant(0)
    network_timeout = PLAN["request_timeout"]
    connection_timeout = PLAN["request_timeout"]

    next_in_round = 0

    @task
    def ask(self):
        elapsed = time.time() - run["start"]
        if elapsed >= TOTAL_SECONDS:
            raise StopUser()
        if PLAN["in_turns"]:
            target = TARGETS[int(elapsed // SECONDS_EACH)]
        else:
            target = TARGETS[self.next_in_round % len(TARGETS)]
            self.next_in_round += 1
        self.client.request(
            target["method"],
            target["path"],
            name=target["name"],
            headers=target["headers"],
            data=target["body"] or None,
            allow_redirects=False,
        )
