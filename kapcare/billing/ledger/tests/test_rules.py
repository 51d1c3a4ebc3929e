"""The ledger's pure rules, table by table: amounts as typed, the infusion's running time,
each route's charge lines, the package refund by each of the clinic's rules, the balance
and the $400 flag."""

import datetime as dt
from decimal import Decimal

import pytest

from kapcare.billing import rules as code_rules
from kapcare.billing.codes import DEFAULT_CODES
from kapcare.billing.ledger import rules

D = Decimal
START = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


def codes(**overrides):
    table = {
        key: code_rules.Code(
            key=key,
            system=system,
            code=code,
            description=description,
            modifiers=modifiers,
            is_active=is_active,
        )
        for (key, system, code, description, modifiers, is_active, _source) in DEFAULT_CODES
    }
    table.update(overrides)
    return table


@pytest.mark.parametrize(
    ("typed", "amount", "problem"),
    [
        ("475", D("475.00"), ""),
        ("475.00", D("475.00"), ""),
        (" $1,250.5 ", D("1250.50"), ""),
        ("0.01", D("0.01"), ""),
        ("", None, "Enter an amount, e.g. 475.00."),
        ("0", None, "Enter an amount above zero."),
        ("-5", None, "Enter an amount in dollars and cents, e.g. 475.00."),
        ("1e3", None, "Enter an amount in dollars and cents, e.g. 475.00."),
        ("NaN", None, "Enter an amount in dollars and cents, e.g. 475.00."),
        ("4.755", None, "Enter at most two digits after the point."),
        ("1.2.3", None, "Enter an amount in dollars and cents, e.g. 475.00."),
        ("1000000", None, "Enter an amount below 1,000,000."),
    ],
    ids=lambda v: repr(v),
)
def test_an_amount_is_parsed_as_dollars_and_cents_never_a_float(typed, amount, problem):
    assert rules.parse_amount(typed) == (amount, problem)


@pytest.mark.parametrize(
    ("minutes_running", "pauses", "planned", "expected"),
    [
        (40, [], None, 40),
        (95, [], None, 95),
        (95, [(10, 25)], None, 80),  # paused 15 minutes
        (95, [(90, None)], None, 90),  # paused until the end
        (60, [(-10, 5)], None, 55),  # a pause before the start counts from the start
        (None, [], 40, 40),  # no recorded times: the planned duration
        (None, [], None, 0),
    ],
)
def test_the_infusion_time_is_its_running_time_less_its_pauses(
    minutes_running, pauses, planned, expected
):
    ended = None if minutes_running is None else START + dt.timedelta(minutes=minutes_running)
    given = [
        (
            START + dt.timedelta(minutes=a),
            None if b is None else START + dt.timedelta(minutes=b),
        )
        for a, b in pauses
    ]
    started = None if minutes_running is None else START

    assert rules.infusion_minutes_given(started, ended, given, planned) == expected


@pytest.mark.parametrize(
    ("route", "drug", "minutes", "dose_mg", "expected"),
    [
        ("iv", "ketamine", 40, None, [("96365", 1), ("J3490", 1)]),
        ("iv", "ketamine", 90, None, [("96365", 1), ("J3490", 1)]),  # 30 min beyond: no 96366
        ("iv", "ketamine", 91, None, [("96365", 1), ("96366", 1), ("J3490", 1)]),
        ("iv", "ketamine", 181, None, [("96365", 1), ("96366", 2), ("J3490", 1)]),
        ("im", "ketamine", 5, None, [("96372", 1), ("J3490", 1)]),
        ("sublingual", "ketamine", 0, None, [("J3490", 1)]),
        ("intranasal", "esketamine", 0, D("56"), [("G2082", 1)]),
        ("intranasal", "esketamine", 0, D("84"), [("G2083", 1)]),
        ("intranasal", "esketamine", 0, None, [("G2082", 1)]),
    ],
)
def test_each_route_and_duration_charges_its_codes(route, drug, minutes, dose_mg, expected):
    lines = rules.session_charge_lines(
        route=route,
        drug=drug,
        minutes=minutes,
        dose_mg=dose_mg,
        codes=codes(),
        session_price=D("475.00"),
    )

    assert [(line.code, line.units) for line in lines] == expected
    assert lines[0].charge == D("475.00")  # the session's price on the primary line
    assert sum(line.charge for line in lines) == D("475.00")


def test_the_monitoring_codes_are_charged_per_hour_where_the_clinic_uses_them():
    table = codes()
    on = code_rules.Code(**{**table["psychedelic_monitoring_first"].__dict__, "is_active": True})
    lines = rules.session_charge_lines(
        route="im",
        drug="ketamine",
        minutes=100,
        dose_mg=None,
        codes=codes(psychedelic_monitoring_first=on),
        session_price=D("475.00"),
    )

    assert [(line.code, line.units) for line in lines] == [
        ("96372", 1),
        ("J3490", 1),
        ("0820T", 2),
    ]


def test_the_vials_ndc_goes_on_the_drug_line_only():
    lines = rules.session_charge_lines(
        route="iv",
        drug="ketamine",
        minutes=40,
        dose_mg=None,
        codes=codes(),
        session_price=D("475.00"),
        ndc="0409-2051-05",
    )

    assert {line.code: line.ndc for line in lines} == {"96365": "", "J3490": "0409-2051-05"}


@pytest.mark.parametrize(
    ("rule", "sessions", "used", "price", "fee", "single", "unused", "amount"),
    [
        (rules.PRO_RATA, 6, 0, D("2400.00"), D("0"), D("475"), 6, D("2400.00")),
        (rules.PRO_RATA, 6, 2, D("2400.00"), D("0"), D("475"), 4, D("1600.00")),
        (rules.PRO_RATA, 6, 3, D("2400.00"), D("50.00"), D("475"), 3, D("1150.00")),
        (rules.PRO_RATA, 6, 6, D("2400.00"), D("0"), D("475"), 0, D("0.00")),
        (rules.PRO_RATA, 6, 5, D("2400.00"), D("500.00"), D("475"), 1, D("0.00")),  # never < 0
        (rules.PRO_RATA, 3, 1, D("1000.00"), D("0"), None, 2, D("666.67")),  # rounded to cents
        (rules.PER_SESSION, 6, 2, D("2400.00"), D("0"), D("475.00"), 4, D("1450.00")),
        (rules.PER_SESSION, 6, 2, D("2400.00"), D("25.00"), D("475.00"), 4, D("1425.00")),
        (rules.PER_SESSION, 6, 6, D("2400.00"), D("0"), D("475.00"), 0, D("0.00")),
        (rules.PER_SESSION, 6, 2, D("2400.00"), D("0"), None, 4, D("1600.00")),  # no price
        (rules.PER_SESSION, 6, 0, D("2400.00"), D("0"), D("475.00"), 6, D("2400.00")),
    ],
)
def test_an_unused_package_refunds_by_the_clinics_rule(
    rule, sessions, used, price, fee, single, unused, amount
):
    refund = rules.package_refund(
        sessions=sessions,
        used=used,
        price=price,
        rule=rule,
        fee=fee,
        single_session_price=single,
    )

    assert (refund.unused, refund.amount) == (unused, amount)


def line(amount):
    return rules.Line(START, "x", "x", D(amount))


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ([], D("0.00")),
        (["475.00", "-475.00"], D("0.00")),
        (["475.00", "-200.00"], D("275.00")),
        (["2400.00", "-2400.00", "475.00", "-475.00", "-1600.00", "1600.00"], D("0.00")),
        (["-100.00"], D("-100.00")),  # in credit
    ],
)
def test_the_balance_is_the_sum_of_the_lines(amounts, expected):
    assert rules.balance([line(a) for a in amounts]) == expected


@pytest.mark.parametrize(
    ("billed", "estimated", "over"),
    [
        (D("2850.00"), D("2850.00"), False),
        (D("3249.99"), D("2850.00"), False),
        (D("3250.00"), D("2850.00"), True),  # "$400 or more"
        (D("4000.00"), D("2850.00"), True),
        (D("4000.00"), None, False),  # no estimate to compare
    ],
)
def test_charges_400_or_more_above_the_estimate_are_flagged(billed, estimated, over):
    assert rules.is_over_estimate(billed, estimated, D("400.00")) is over
