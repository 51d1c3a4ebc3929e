"""Idle sign-out with the last activity written at most once a minute."""

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.middleware import SESSION_KEY, STAMP_RESOLUTION_SECONDS
from tests.clock import wall_clock

LOGIN = "/accounts/login/"
PAGE = "/desk/"


def stamp(client) -> float | None:
    return client.session.get(SESSION_KEY)


def session_writes(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if "django_session" in query["sql"] and query["sql"].lstrip().upper().startswith("UPDATE")
    ]


def test_a_request_within_the_minute_leaves_the_session_unwritten(client, coordinator):
    with time_machine.travel(wall_clock(1, 10), tick=False) as traveller:
        client.force_login(coordinator)
        client.get(PAGE)
        first = stamp(client)
        traveller.shift(dt.timedelta(seconds=STAMP_RESOLUTION_SECONDS - 1))

        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200

    assert stamp(client) == first
    assert session_writes(queries) == []


def test_a_request_a_minute_later_moves_the_clock(client, coordinator):
    start = wall_clock(1, 10)
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(coordinator)
        client.get(PAGE)
        traveller.shift(dt.timedelta(seconds=STAMP_RESOLUTION_SECONDS))

        with CaptureQueriesContext(connection) as queries:
            client.get(PAGE)

    assert stamp(client) == (start + dt.timedelta(seconds=STAMP_RESOLUTION_SECONDS)).timestamp()
    assert len(session_writes(queries)) == 1


def test_staff_are_still_signed_out_at_the_limit_counted_from_the_last_stamp(client, coordinator):
    with time_machine.travel(wall_clock(1, 10), tick=False) as traveller:
        client.force_login(coordinator)
        client.get(PAGE)
        traveller.shift(dt.timedelta(seconds=STAMP_RESOLUTION_SECONDS - 1))
        client.get(PAGE)  # not stamped: the clock still runs from the first request
        traveller.shift(dt.timedelta(minutes=15) - dt.timedelta(seconds=58))

        response = client.get(PAGE)

    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_a_request_every_14_minutes_keeps_staff_signed_in(client, coordinator):
    with time_machine.travel(wall_clock(1, 10), tick=False) as traveller:
        client.force_login(coordinator)
        for _ in range(4):
            assert client.get(PAGE).status_code == 200
            traveller.shift(dt.timedelta(minutes=14))

        assert client.get(PAGE).status_code == 200


def test_a_signed_in_request_reads_the_user_with_the_clinic_in_one_query(client, coordinator):
    client.force_login(coordinator)
    client.get("/home/")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/home/").status_code == 302

    clinic_reads = [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        and 'FROM "clinics_clinic"' in query["sql"]
    ]
    assert clinic_reads == []
