"""The ketamine register reconciled lot by lot: stock, sessions, witnesses, corrections.
Pure rules: no database."""

import datetime as dt
import zoneinfo
from decimal import Decimal as D
from itertools import count

import pytest

from kapcare.dosing.models import SubstanceEntryKind
from kapcare.dosing.substances import rules
from kapcare.dosing.substances.rules import Entry, mg, reconcile

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
DAY_A = dt.date(2026, 12, 1)
DAY_B = dt.date(2026, 12, 8)
_ids = count(1)


def entry(kind, amount, *, lot="KET-1", session=None, day=DAY_A, witness=True, corrects=None):
    number = next(_ids)
    return Entry(
        id=number,
        lot_number=lot,
        kind=kind,
        amount_mg=D(amount),
        recorded_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO) + dt.timedelta(minutes=number),
        session=session,
        session_date=day if session else None,
        has_witness=witness if kind == rules.WASTED else False,
        corrects_id=corrects.id if corrects else None,
    )


def use(session, day, drawn, given, wasted, returned="0", lot="KET-1", witness=True):
    rows = [entry(rules.DRAWN, drawn, lot=lot, session=session, day=day)]
    rows.append(entry(rules.GIVEN, given, lot=lot, session=session, day=day))
    if D(wasted):
        rows.append(entry(rules.WASTED, wasted, lot=lot, session=session, day=day, witness=witness))
    if D(returned):
        rows.append(entry(rules.RETURNED, returned, lot=lot, session=session, day=day))
    return rows


def test_the_kinds_are_the_models_kinds():
    assert set(rules.STOCK_SIGN) | {rules.CORRECTION} == set(SubstanceEntryKind.values)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("50.00"), "50 mg"),
        (D("36.20"), "36.2 mg"),
        (D("13.8"), "13.8 mg"),
        (D("0.00"), "0 mg"),
        (D("-5.00"), "−5 mg"),
        (D("500"), "500 mg"),
        (D("0.05"), "0.05 mg"),
    ],
)
def test_amounts_read_without_trailing_zeros(amount, text):
    assert mg(amount) == text


def test_the_reconciliation_example():
    received = entry(rules.RECEIVED, "500")
    entries = [
        received,
        *use("A", DAY_A, "50", "36.2", "13.8"),
        *use("B", DAY_B, "50", "40", "5"),
        entry(rules.RECEIVED, "100"),  # mistyped: 95 mg arrived
    ]
    mistyped = entries[-1]
    entries.append(entry(rules.CORRECTION, "-5", corrects=mistyped))

    register = reconcile(entries)

    (lot,) = register.lots
    assert lot.stock_mg == D("495")  # 500 + 95 − 50 − 50
    assert lot.received_mg == D("595")
    assert [s.is_balanced for s in lot.sessions] == [True, False]
    assert lot.discrepancies == (
        "Session of December 8, 2026: 50 mg drawn, 40 mg given, 5 mg wasted: 5 mg unaccounted for.",
    )
    assert not register.is_reconciled


@pytest.mark.parametrize(
    ("drawn", "given", "wasted", "returned", "sentence"),
    [
        ("50", "36.2", "13.8", "0", None),
        ("50", "50", "0", "0", None),
        ("50", "40", "0", "10", None),
        ("50", "30", "10", "10", None),
        (
            "50",
            "36",
            "10",
            "0",
            "Session of December 1, 2026: 50 mg drawn, 36 mg given, 10 mg wasted: "
            "4 mg unaccounted for.",
        ),
        (
            "50",
            "49.99",
            "0",
            "0",
            "Session of December 1, 2026: 50 mg drawn, 49.99 mg given, 0 mg wasted: "
            "0.01 mg unaccounted for.",
        ),
        (
            "50",
            "30",
            "10",
            "5",
            "Session of December 1, 2026: 50 mg drawn, 30 mg given, 10 mg wasted, "
            "5 mg returned: 5 mg unaccounted for.",
        ),
        (
            "50",
            "45",
            "10",
            "0",
            "Session of December 1, 2026: 50 mg drawn, 45 mg given, 10 mg wasted: "
            "5 mg more given, wasted or returned than drawn.",
        ),
    ],
)
def test_a_session_balances_when_drawn_equals_given_wasted_and_returned(
    drawn, given, wasted, returned, sentence
):
    entries = [entry(rules.RECEIVED, "500"), *use("A", DAY_A, drawn, given, wasted, returned)]

    (lot,) = reconcile(entries).lots

    assert lot.sessions[0].discrepancy == sentence
    assert lot.discrepancies == ((sentence,) if sentence else ())


@pytest.mark.parametrize(
    ("rows", "stock"),
    [
        ([(rules.RECEIVED, "500")], "500"),
        ([(rules.RECEIVED, "500"), (rules.DRAWN, "50")], "450"),
        ([(rules.RECEIVED, "500"), (rules.DRAWN, "50"), (rules.RETURNED, "10")], "460"),
        # Given and wasted come out of what was drawn, not out of the stock again.
        ([(rules.RECEIVED, "500"), (rules.GIVEN, "40"), (rules.WASTED, "10")], "500"),
        ([(rules.RECEIVED, "500.00"), (rules.DRAWN, "0.01")], "499.99"),
    ],
)
def test_the_stock_is_received_and_returned_less_drawn(rows, stock):
    entries = [entry(kind, amount) for kind, amount in rows]

    (lot,) = reconcile(entries).lots

    assert lot.stock_mg == D(stock)


def test_each_line_carries_the_balance_after_it():
    entries = [entry(rules.RECEIVED, "100"), *use("A", DAY_A, "50", "40", "10")]

    (lot,) = reconcile(entries).lots

    assert [line.balance_after_mg for line in lot.lines] == [D(100), D(50), D(50), D(50)]


def test_drawing_more_than_received_is_a_discrepancy():
    entries = [entry(rules.RECEIVED, "40"), *use("A", DAY_A, "50", "50", "0")]

    (lot,) = reconcile(entries).lots

    assert lot.discrepancies == (
        "The register shows more drawn than received: the stock falls to −10 mg with the "
        "entry of November 30, 2026.",
    )
    assert lot.lines[1].is_below_zero


def test_drawing_exactly_the_stock_leaves_zero_without_a_discrepancy():
    entries = [entry(rules.RECEIVED, "50"), *use("A", DAY_A, "50", "50", "0")]

    (lot,) = reconcile(entries).lots

    assert lot.stock_mg == 0
    assert lot.discrepancies == ()


def test_a_stock_below_zero_is_told_once_until_it_recovers():
    entries = [
        entry(rules.RECEIVED, "40"),
        entry(rules.DRAWN, "50"),
        entry(rules.DRAWN, "10"),
        entry(rules.RECEIVED, "100"),
        entry(rules.DRAWN, "200"),
    ]

    (lot,) = reconcile(entries).lots

    below = [s for s in lot.discrepancies if "more drawn than received" in s]
    assert [s.split("falls to ")[1].split(" with")[0] for s in below] == ["−10 mg", "−120 mg"]


def test_a_correction_restores_the_stock_a_mistyped_draw_took():
    received = entry(rules.RECEIVED, "40")
    drawn = entry(rules.DRAWN, "50", session="A")  # 40 mg were drawn
    entries = [
        received,
        drawn,
        entry(rules.GIVEN, "40", session="A"),
        entry(rules.CORRECTION, "-10", corrects=drawn),
    ]

    (lot,) = reconcile(entries).lots

    assert lot.stock_mg == 0
    assert lot.sessions[0].is_balanced
    assert lot.lines[-1].corrects_kind == rules.DRAWN
    assert lot.lines[-1].stock_change_mg == D(10)
    # The fall below zero before the correction is still in the register's history.
    assert len(lot.discrepancies) == 1


def test_a_correction_of_a_given_amount_balances_the_session_and_leaves_the_stock():
    given = entry(rules.GIVEN, "36", session="A")
    entries = [
        entry(rules.RECEIVED, "100"),
        entry(rules.DRAWN, "50", session="A"),
        given,
        entry(rules.WASTED, "10", session="A"),
        entry(rules.CORRECTION, "4", corrects=given),
    ]

    (lot,) = reconcile(entries).lots

    assert lot.discrepancies == ()
    assert lot.stock_mg == D(50)


def test_a_correction_of_a_correction_counts_as_the_original_kind():
    received = entry(rules.RECEIVED, "100")
    first = entry(rules.CORRECTION, "-10", corrects=received)
    second = entry(rules.CORRECTION, "5", corrects=first)

    (lot,) = reconcile([received, first, second]).lots

    assert lot.stock_mg == D(95)
    assert lot.lines[-1].corrects_kind == rules.RECEIVED


def test_a_correction_that_points_at_another_lot_is_a_discrepancy():
    other = entry(rules.RECEIVED, "100", lot="KET-2")
    entries = [
        entry(rules.RECEIVED, "100"),
        other,
        entry(rules.CORRECTION, "-5", corrects=other),  # on lot KET-1
    ]

    register = reconcile(entries)

    assert register.discrepancies == [
        (
            "KET-1",
            "The correction of −5 mg on November 30, 2026 points at an entry of lot KET-2, "
            "not of this lot.",
        )
    ]
    assert register.lots[0].stock_mg == D(100)  # the stray correction moves nothing


@pytest.mark.parametrize(
    ("referenced", "sentence"),
    [
        # The lot reconciled alone, told of the other lot's line: the true sentence.
        ("other lot's line", "points at an entry of lot KET-2, not of this lot."),
        # Through a correction of that line (a correction of a correction).
        ("chain", "points at an entry of lot KET-2, not of this lot."),
        # Not told of it: as good as a line that does not exist.
        ("nothing", "points at no entry of the register."),
    ],
)
def test_a_lot_reconciled_alone_names_the_other_lot_a_correction_points_at(referenced, sentence):
    other = entry(rules.RECEIVED, "100", lot="KET-2")
    fixed = entry(rules.CORRECTION, "-1", lot="KET-2", corrects=other)
    target = fixed if referenced == "chain" else other
    lot_1 = [entry(rules.RECEIVED, "100"), entry(rules.CORRECTION, "-5", corrects=target)]
    known = {"other lot's line": [other], "chain": [other, fixed], "nothing": []}[referenced]

    register = reconcile(lot_1, known)

    (lot,) = register.lots  # the referenced lines are no lot of their own
    assert lot.discrepancies == (f"The correction of −5 mg on November 30, 2026 {sentence}",)
    assert lot.stock_mg == D(100)


def test_a_correction_that_points_at_no_entry_is_a_discrepancy():
    ghost = Entry(
        id=999_999,
        lot_number="KET-1",
        kind=rules.RECEIVED,
        amount_mg=D(1),
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=CHICAGO),
    )
    entries = [entry(rules.RECEIVED, "100"), entry(rules.CORRECTION, "-5", corrects=ghost)]

    (lot,) = reconcile(entries).lots

    assert lot.discrepancies == (
        "The correction of −5 mg on November 30, 2026 points at no entry of the register.",
    )


def test_a_waste_without_a_witness_is_a_discrepancy():
    entries = [entry(rules.RECEIVED, "100"), *use("A", DAY_A, "50", "40", "10", witness=False)]

    (lot,) = reconcile(entries).lots

    assert lot.discrepancies == ("The waste of 10 mg on November 30, 2026 has no witness.",)


def test_lots_are_reconciled_apart_in_the_order_of_their_first_entry():
    entries = [
        entry(rules.RECEIVED, "100", lot="KET-2"),
        entry(rules.RECEIVED, "100", lot="KET-1"),
        *use("A", DAY_A, "50", "50", "0", lot="KET-1"),
    ]

    register = reconcile(entries)

    assert [(lot.lot_number, lot.stock_mg) for lot in register.lots] == [
        ("KET-2", D(100)),
        ("KET-1", D(50)),
    ]
    assert register.is_reconciled


def test_a_session_drawing_from_two_lots_balances_in_each():
    entries = [
        entry(rules.RECEIVED, "100", lot="KET-1"),
        entry(rules.RECEIVED, "100", lot="KET-2"),
        *use("A", DAY_A, "30", "30", "0", lot="KET-1"),
        *use("A", DAY_A, "20", "15", "0", lot="KET-2"),
    ]

    register = reconcile(entries)

    assert register.discrepancies == [
        (
            "KET-2",
            "Session of December 1, 2026: 20 mg drawn, 15 mg given, 0 mg wasted: "
            "5 mg unaccounted for.",
        )
    ]


def test_entries_are_reconciled_in_the_order_they_were_recorded():
    later = entry(rules.DRAWN, "50")
    earlier = entry(rules.RECEIVED, "50")
    earlier = Entry(**{**earlier.__dict__, "recorded_at": later.recorded_at - dt.timedelta(1)})

    (lot,) = reconcile([later, earlier]).lots

    assert [line.entry.kind for line in lot.lines] == [rules.RECEIVED, rules.DRAWN]
    assert lot.discrepancies == ()


def test_an_empty_register_is_reconciled():
    register = reconcile([])

    assert register.lots == ()
    assert register.is_reconciled


@pytest.mark.parametrize(
    ("day", "until"),
    [
        (dt.date(2026, 12, 7), dt.date(2028, 12, 7)),
        (dt.date(2028, 2, 29), dt.date(2030, 3, 1)),
    ],
)
def test_a_register_line_is_kept_two_years_from_its_date(day, until):
    assert rules.kept_until(day) == until
