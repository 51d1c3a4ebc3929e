"""The vitals chart drawn as SVG for the signed record's PDF (a pure function)."""

import pytest

from kapcare.dosing.vitals.svg import HEIGHT, Series, _runs, _top_of_scale, vitals_chart_svg


@pytest.mark.parametrize(
    ("values", "top"),
    [
        ([], 200),  # no value: the scale still reaches the systolic alert
        ([120, 80], 200),
        ([201], 220),
        ([220], 220),
        ([None, 239], 240),
    ],
)
def test_the_scale_reaches_the_highest_value_rounded_up_to_twenty(values, top):
    assert _top_of_scale([Series("sbp", "SBP", values)]) == top


@pytest.mark.parametrize(
    ("points", "runs"),
    [
        ([], []),
        ([(1, 1), (2, 2)], [[(1, 1), (2, 2)]]),
        ([(1, 1), None, (3, 3)], [[(1, 1)], [(3, 3)]]),
        ([None, None], []),
    ],
)
def test_a_missing_value_leaves_a_gap_in_the_line(points, runs):
    assert _runs(points) == runs


def test_no_readings_draw_no_chart():
    assert vitals_chart_svg([], [], []) == ""


def test_each_vital_is_a_line_with_its_own_dashes_and_a_legend():
    svg = vitals_chart_svg(
        [0, 10, 20],
        ["09:00", "09:10", "09:20"],
        [Series("hr", "HR (/min)", [80, 90, 85]), Series("dbp", "DBP (mmHg)", [80, None, 82])],
    )

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.count("<polyline") == 3  # HR whole; DBP split by its missing value
    assert 'stroke-dasharray="6 4"' in svg  # DBP dashed, HR solid
    assert "HR (/min)" in svg
    assert "DBP (mmHg)" in svg
    assert "09:10" in svg


def test_a_higher_value_is_drawn_higher():
    svg = vitals_chart_svg([0, 10], ["a", "b"], [Series("hr", "HR", [60, 120])])

    points = svg.split('<polyline points="')[1].split('"')[0].split()
    (_, first_y), (_, second_y) = (tuple(map(float, p.split(","))) for p in points)
    assert second_y < first_y < HEIGHT


def test_labels_are_escaped():
    svg = vitals_chart_svg([0], ["<b>"], [Series("hr", "HR <&>", [70])])

    assert "<b>" not in svg
    assert "HR &lt;&amp;&gt;" in svg
