"""The whole-course estimate: the pure calculation (no database), then the estimate of an
episode at its clinic's prices and the default price list."""

from decimal import Decimal

import pytest

from kapcare.clinics.models import PriceKind, PriceListItem
from kapcare.pricing import cost
from tests.factories import open_episode

# --- estimate_course (pure) -------------------------------------------------------------------

# (dose price, doses, therapist fee, therapy sessions) -> (lines, clinic, therapist, total)
ESTIMATES = [
    pytest.param(
        "475.00",
        6,
        "150.00",
        7,
        [
            "6 dosing sessions × $475.00 = $2,850.00",
            "7 therapy sessions × $150.00 = $1,050.00 (paid to your therapist)",
        ],
        "2850.00",
        "1050.00",
        "3900.00",
        id="the seed clinic's induction series with an outside therapist",
    ),
    pytest.param(
        "475",
        1,
        "200",
        1,
        [
            "1 dosing session × $475.00 = $475.00",
            "1 therapy session × $200.00 = $200.00 (paid to your therapist)",
        ],
        "475.00",
        "200.00",
        "675.00",
        id="one of each, in the singular",
    ),
    pytest.param(
        Decimal("399.995"),
        3,
        Decimal("89.994"),
        3,
        [
            "3 dosing sessions × $400.00 = $1,200.00",
            "3 therapy sessions × $89.99 = $269.97 (paid to your therapist)",
        ],
        "1200.00",
        "269.97",
        "1469.97",
        id="unit prices are rounded to the cent, half up, before multiplying",
    ),
    pytest.param(
        "0.00",
        2,
        "0",
        2,
        [
            "2 dosing sessions × $0.00 = $0.00",
            "2 therapy sessions × $0.00 = $0.00 (paid to your therapist)",
        ],
        "0.00",
        "0.00",
        "0.00",
        id="free sessions are included at $0.00",
    ),
    pytest.param(
        "1250.00",
        12,
        "175.50",
        14,
        [
            "12 dosing sessions × $1,250.00 = $15,000.00",
            "14 therapy sessions × $175.50 = $2,457.00 (paid to your therapist)",
        ],
        "15000.00",
        "2457.00",
        "17457.00",
        id="thousands are grouped",
    ),
]


@pytest.mark.parametrize(
    ("dose_price", "doses", "fee", "therapy", "lines", "clinic_part", "therapist_part", "total"),
    ESTIMATES,
)
def test_an_estimate_adds_the_doses_and_the_therapy_sessions(
    dose_price, doses, fee, therapy, lines, clinic_part, therapist_part, total
):
    estimate = cost.estimate_course(dose_price, doses, fee, therapy)

    assert [line.text for line in estimate.lines] == lines
    assert estimate.clinic_total == Decimal(clinic_part)
    assert estimate.therapist_total == Decimal(therapist_part)
    assert estimate.total == Decimal(total)
    assert estimate.is_complete


def test_a_standalone_course_has_no_therapy_line_and_needs_no_fee():
    estimate = cost.estimate_course("475.00", 6, None, 0)

    assert [line.text for line in estimate.lines] == ["6 dosing sessions × $475.00 = $2,850.00"]
    assert estimate.is_complete
    assert not estimate.has_therapy
    assert estimate.total == Decimal("2850.00")


def test_a_fee_not_entered_is_not_counted_as_zero_but_named_as_missing():
    estimate = cost.estimate_course("475.00", 6, None, 7)

    therapy = estimate.lines[1]
    assert not therapy.is_included
    assert therapy.amount is None
    assert therapy.text == "7 therapy sessions: not included"
    assert estimate.total == Decimal("2850.00")
    assert not estimate.is_complete
    assert estimate.missing == [
        "your therapist's fee for 7 sessions, which has not been entered yet: ask your therapist."
    ]


def test_a_route_without_a_price_is_named_as_missing():
    estimate = cost.estimate_course(None, 6, "150.00", 7, route="intranasal")

    assert not estimate.lines[0].is_included
    assert estimate.clinic_total == Decimal("0.00")
    assert estimate.total == Decimal("1050.00")
    assert estimate.missing == [
        "the price of intranasal dosing sessions, which is not on the clinic's price list: "
        "ask the clinic."
    ]


def test_no_planned_sessions_make_an_empty_estimate_of_zero():
    estimate = cost.estimate_course(None, 0, None, 0)

    assert estimate.lines == []
    assert estimate.is_complete
    assert estimate.total == Decimal("0.00")


def test_the_in_session_model_warns_that_the_therapists_time_at_the_dose_may_cost_more():
    estimate = cost.estimate_course("475.00", 6, "150.00", 7, therapist_at_dose=True)

    assert len(estimate.notes) == 1
    assert "during each dosing session" in estimate.notes[0]


@pytest.mark.parametrize("price", ["-0.01", Decimal("-475")])
def test_a_negative_price_is_refused(price):
    with pytest.raises(ValueError, match="cannot be negative"):
        cost.estimate_course(price, 6, None, 0)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        cost.estimate_course("475.00", -1, None, 0)


def test_the_summary_says_the_total_and_who_is_paid_what():
    summary = cost.estimate_course("475.00", 6, "150.00", 7).summary

    assert summary == (
        "Estimated cost of the planned course: $3,900.00 (6 dosing sessions × $475.00 = "
        "$2,850.00, paid to the clinic; 7 therapy sessions × $150.00 = $1,050.00, paid to "
        "your therapist). This is an estimate, not a bill."
    )


def test_the_summary_of_an_incomplete_estimate_says_what_is_not_included():
    summary = cost.estimate_course("475.00", 6, None, 7).summary

    assert summary.startswith("Estimated cost of the planned course: $2,850.00 so far (")
    assert "Not included: your therapist's fee for 7 sessions" in summary


# --- An episode at its clinic's prices -------------------------------------------------------


def dosing_item(clinic, route="iv"):
    return PriceListItem.objects.get(clinic=clinic, kind=PriceKind.DOSING_SESSION, route=route)


def test_a_clinic_gets_a_default_dosing_price_for_every_route(clinic):
    cost.ensure_default_price_list(clinic)

    items = PriceListItem.objects.filter(clinic=clinic).order_by("route")
    assert [(i.route, i.name, i.amount) for i in items] == [
        ("im", "Dosing session (intramuscular)", Decimal("475.00")),
        ("intranasal", "Dosing session (intranasal)", Decimal("475.00")),
        ("iv", "Dosing session (intravenous)", Decimal("475.00")),
        ("sublingual", "Dosing session (sublingual)", Decimal("475.00")),
    ]


def test_the_default_price_list_never_overwrites_the_admins_prices(clinic):
    cost.ensure_default_price_list(clinic)
    PriceListItem.objects.filter(clinic=clinic, route="iv").update(amount="500.00", is_active=False)

    cost.ensure_default_price_list(clinic)

    item = dosing_item(clinic)
    assert (item.amount, item.is_active) == (Decimal("500.00"), False)
    assert PriceListItem.objects.filter(clinic=clinic).count() == 4


def test_an_episode_is_estimated_at_its_routes_price_and_planned_counts(clinic, clinician, patient):
    cost.ensure_default_price_list(clinic)
    PriceListItem.objects.filter(clinic=clinic, route="im").update(amount="350.00")
    episode = open_episode(
        patient,
        clinician,
        dose_route="im",
        therapist_fee=Decimal("160.00"),
        planned_doses=4,
        planned_preparation_sessions=2,
        planned_integration_sessions=4,
    )

    estimate = cost.estimate_for_episode(episode)

    assert [line.text for line in estimate.lines] == [
        "4 dosing sessions × $350.00 = $1,400.00",
        "6 therapy sessions × $160.00 = $960.00 (paid to your therapist)",
    ]


def test_an_estimate_reads_one_price_in_one_query(
    clinic, clinician, patient, django_assert_num_queries
):
    cost.ensure_default_price_list(clinic)
    episode = open_episode(patient, clinician)

    with django_assert_num_queries(1):
        cost.estimate_for_episode(episode)


def test_a_new_clinics_first_estimate_uses_the_default_price(clinic, clinician, patient):
    episode = open_episode(patient, clinician, therapist_fee=Decimal("150.00"))

    estimate = cost.estimate_for_episode(episode)

    assert estimate.lines[0].unit_price == Decimal("475.00")


def test_a_route_the_clinic_no_longer_offers_has_no_price(clinic, clinician, patient):
    cost.ensure_default_price_list(clinic)
    PriceListItem.objects.filter(clinic=clinic, route="iv").update(is_active=False)
    episode = open_episode(patient, clinician, therapist_fee=Decimal("150.00"))

    estimate = cost.estimate_for_episode(episode)

    assert not estimate.lines[0].is_included
    assert "intravenous dosing sessions" in estimate.missing[0]


def test_a_standalone_episode_is_estimated_without_therapy(clinic, clinician, patient):
    episode = open_episode(patient, clinician, model="standalone")

    estimate = cost.estimate_for_episode(episode)

    assert not estimate.has_therapy
    assert estimate.is_complete


def test_another_clinics_price_is_not_used(clinic, other_clinic, clinician, patient):
    cost.ensure_default_price_list(other_clinic)
    PriceListItem.objects.filter(clinic=other_clinic).update(amount="1.00")
    episode = open_episode(patient, clinician)

    estimate = cost.estimate_for_episode(episode)

    assert estimate.lines[0].unit_price == Decimal("475.00")
