"""A document's Markdown as sanitised HTML: what it may produce, and nothing else."""

import pytest
from django.utils.safestring import SafeString

from kapcare.consents.markdown import render_markdown


def test_renders_the_allowed_elements():
    html = render_markdown(
        "# Title\n\nSome **bold** and *italic*, a [link](https://example.org).\n\n"
        "- one\n- two\n\n1. first\n\n> quoted\n\n---\n\nline  \nbreak"
    )

    for fragment in (
        "<h1>Title</h1>",
        "<strong>bold</strong>",
        "<em>italic</em>",
        'href="https://example.org"',
        "<ul>",
        "<ol>",
        "<li>one</li>",
        "<blockquote>",
        "<hr>",
        "<br>",
    ):
        assert fragment in html


def test_returns_a_safe_string():
    assert isinstance(render_markdown("text"), SafeString)


@pytest.mark.parametrize(
    ("markdown", "absent"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x" onerror="alert(1)">', "<img"),
        ("![photo](https://example.org/x.png)", "<img"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ('<a href="https://example.org" onclick="x()">a</a>', "<a "),
        ("`code`", "<code"),
        ("<iframe src='https://example.org'></iframe>", "<iframe"),
    ],
)
def test_leaves_out_anything_not_on_the_allow_list(markdown, absent):
    assert absent not in render_markdown(markdown)


def test_the_sanitiser_strips_attributes_the_parser_would_let_through():
    from kapcare.consents import markdown

    html = markdown._parser.render("[a](https://example.org 'a title')")

    assert 'title="a title"' in html
    assert "title=" not in render_markdown("[a](https://example.org 'a title')")


def test_raw_html_is_shown_as_text_not_markup():
    assert "&lt;b&gt;" in render_markdown("<b>hi</b> there")


def test_heading_offset_moves_headings_down_and_stops_at_h6():
    html = render_markdown("# One\n\n## Two\n\n###### Six", heading_offset=1)

    assert "<h2>One</h2>" in html
    assert "<h3>Two</h3>" in html
    assert "<h6>Six</h6>" in html
    assert "<h1>" not in html


def test_empty_text_gives_empty_html():
    assert render_markdown("") == ""
