"""The instruments as data: item counts, option values, bands and the LOINC codes that
docs/clinical-reference.md#loinc lists. Pure: no database."""

import ast
import dataclasses
from pathlib import Path

import pytest

from kapcare.measures import instruments
from kapcare.measures.instruments import INSTRUMENTS, LICENSED_SCALES

MEASURES = Path(instruments.__file__).parent


def test_the_registry_holds_exactly_the_four_public_domain_instruments():
    assert set(INSTRUMENTS) == {"phq9", "gad7", "pcl5", "cssrs_screen"}


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_each_instrument_is_filed_under_its_own_id(instrument_id):
    assert INSTRUMENTS[instrument_id].id == instrument_id


@pytest.mark.parametrize(
    ("instrument_id", "count"), [("phq9", 9), ("gad7", 7), ("pcl5", 20), ("cssrs_screen", 7)]
)
def test_each_instrument_has_its_published_number_of_items(instrument_id, count):
    assert INSTRUMENTS[instrument_id].item_count == count


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_items_are_numbered_in_order_from_one(instrument_id):
    items = INSTRUMENTS[instrument_id].items
    assert [item.number for item in items] == list(range(1, len(items) + 1))


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_every_item_has_text(instrument_id):
    assert all(item.text.strip() for item in INSTRUMENTS[instrument_id].items)


@pytest.mark.parametrize(
    ("instrument_id", "values", "labels"),
    [
        (
            "phq9",
            (0, 1, 2, 3),
            ("Not at all", "Several days", "More than half the days", "Nearly every day"),
        ),
        (
            "gad7",
            (0, 1, 2, 3),
            ("Not at all", "Several days", "More than half the days", "Nearly every day"),
        ),
        (
            "pcl5",
            (0, 1, 2, 3, 4),
            ("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
        ),
        ("cssrs_screen", (True, False), ("Yes", "No")),
    ],
)
def test_options_carry_the_published_values_and_labels(instrument_id, values, labels):
    instrument = INSTRUMENTS[instrument_id]
    assert instrument.option_values == values
    assert tuple(option.label for option in instrument.options) == labels


def test_phq9_loinc_codes_are_those_listed_in_product_md_in_item_order():
    phq9 = INSTRUMENTS["phq9"]
    assert phq9.loinc_panel == "44249-1"
    assert phq9.loinc_total == "44261-6"
    assert [item.loinc for item in phq9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]


def test_phq9_item_9_is_the_self_harm_question_with_its_loinc_code():
    item_9 = INSTRUMENTS["phq9"].items[8]
    assert item_9.text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert item_9.loinc == "44260-8"


def test_phq9_difficulty_question_is_carried_unscored_with_its_loinc_code():
    difficulty = INSTRUMENTS["phq9"].unscored
    assert difficulty is not None
    assert difficulty.loinc == "69722-7"
    assert difficulty.text.startswith("If you checked off any problems")
    assert [option.label for option in difficulty.options] == [
        "Not difficult at all",
        "Somewhat difficult",
        "Very difficult",
        "Extremely difficult",
    ]


def test_gad7_loinc_codes_are_those_listed_in_product_md_and_the_items_in_order():
    gad7 = INSTRUMENTS["gad7"]
    assert gad7.loinc_panel == "69737-5"
    assert gad7.loinc_total == "70274-6"
    assert [item.loinc for item in gad7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]


def test_pcl5_item_codes_are_left_empty_rather_than_guessed():
    assert all(item.loinc == "" for item in INSTRUMENTS["pcl5"].items)


def test_cssrs_screen_item_codes_follow_the_question_order():
    assert [item.loinc for item in INSTRUMENTS["cssrs_screen"].items] == [
        "93246-7",
        "93247-5",
        "93248-3",
        "93249-1",
        "93250-9",
        "93267-3",
        "93269-9",
    ]


@pytest.mark.parametrize(
    ("instrument_id", "stem"),
    [
        (
            "phq9",
            "Over the last 2 weeks, how often have you been bothered by any of the "
            "following problems?",
        ),
        (
            "gad7",
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
        ),
    ],
)
def test_phq_instruments_open_with_their_published_stem(instrument_id, stem):
    assert INSTRUMENTS[instrument_id].instructions == stem


def test_pcl5_items_follow_the_past_month_stem():
    pcl5 = INSTRUMENTS["pcl5"]
    assert pcl5.item_stem == "In the past month, how much were you bothered by:"
    assert pcl5.items[0].text == (
        "Repeated, disturbing, and unwanted memories of the stressful experience?"
    )
    assert pcl5.items[19].text == "Trouble falling or staying asleep?"


@pytest.mark.parametrize(
    ("instrument_id", "expected"),
    [
        ("phq9", [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]),
        ("gad7", [(0, 4), (5, 9), (10, 14), (15, 21)]),
    ],
)
def test_bands_cover_every_total_once_from_zero_to_the_maximum(instrument_id, expected):
    instrument = INSTRUMENTS[instrument_id]
    assert [(band.low, band.high) for band in instrument.bands] == expected
    assert instrument.bands[-1].high == instrument.max_total


@pytest.mark.parametrize(
    ("item_number", "opened_by"), [(1, None), (2, None), (3, 2), (4, 2), (5, 2), (6, None), (7, 6)]
)
def test_cssrs_screen_skip_logic_is_part_of_the_data(item_number, opened_by):
    assert INSTRUMENTS["cssrs_screen"].items[item_number - 1].only_if_yes_to == opened_by


def test_cssrs_screen_follow_up_is_printed_as_6b():
    follow_up = INSTRUMENTS["cssrs_screen"].items[6]
    assert (follow_up.label, follow_up.text) == ("6b", "Was this within the past 3 months?")


@pytest.mark.parametrize(
    ("scale_id", "minimum", "maximum"),
    [("bdi2", 0, 63), ("bai", 0, 63), ("hama", 0, 56), ("madrs", 0, 60), ("cadss", 0, 92)],
)
def test_licensed_scales_carry_their_published_total_range(scale_id, minimum, maximum):
    scale = LICENSED_SCALES[scale_id]
    assert (scale.minimum, scale.maximum) == (minimum, maximum)


def test_licensed_scales_are_recorded_by_name_and_range_only():
    fields = {f.name for f in dataclasses.fields(instruments.LicensedScale)}
    assert "items" not in fields


def test_instruments_cannot_be_changed_at_run_time():
    with pytest.raises(dataclasses.FrozenInstanceError):
        INSTRUMENTS["phq9"].max_missing = 9  # type: ignore[misc]


@pytest.mark.parametrize("module", ["instruments.py", "scoring.py"])
def test_measures_modules_import_nothing_from_django(module):
    tree = ast.parse((MEASURES / module).read_text())
    imported = [
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    ]
    assert imported
    assert not [name for name in imported if name.split(".")[0] == "django"]
