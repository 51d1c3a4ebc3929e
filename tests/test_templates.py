"""Template hygiene that Django does not check: a `{# … #}` comment must fit on one line,
or Django prints it on the page as text."""

import re
from pathlib import Path

from django.urls import reverse

import kapcare

TEMPLATES = sorted(
    path
    for pattern in ("*.html", "*.txt")
    for path in Path(kapcare.__file__).parent.rglob(pattern)
    if "templates" in path.parts
)


def test_templates_are_found():
    assert len(TEMPLATES) > 50


def test_no_comment_spans_lines():
    broken = [
        f"{path.relative_to(Path(kapcare.__file__).parent)}:{number}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert not broken, f"use {{% comment %}} for these: {broken}"


def test_health_history_page_shows_no_template_comment(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.get(reverse("screening:health_history"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "{#" not in page
    assert "A radio-button question" not in page


# What the Content-Security-Policy refuses in a page (tests/test_response_headers.py checks
# the rendered pages; this catches a template no test renders). PDFs are not browser pages.
INLINE_CODE = re.compile(
    r"""\sstyle\s*=|<style\b|<script\b(?![^>]*\bsrc=)(?![^>]*application/json)"""
    r"""|\son[a-z]+\s*=|javascript:""",
    re.IGNORECASE,
)


def test_no_page_template_has_inline_script_style_or_event_handler():
    found = [
        f"{path.relative_to(Path(kapcare.__file__).parent)}:{number}: {line.strip()[:80]}"
        for path in TEMPLATES
        # PDFs and emails are no pages: no browser applies the CSP to them, and an email's
        # HTML part needs its styles inline (mail clients drop style sheets).
        if path.suffix == ".html" and "pdf" not in path.parts and "email" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if INLINE_CODE.search(line)
    ]
    assert not found, "move these to kapcare/static or a CSS class:\n" + "\n".join(found)


def test_the_inline_code_pattern_sees_each_kind():
    lines = [
        '<p style="x">',
        "<style>",
        "<script>go()</script>",
        '<a onclick="go()">',
        '<a href="javascript:go()">',
    ]
    allowed = ['<script src="/static/x.js" defer></script>', '<script type="application/json">']

    assert all(INLINE_CODE.search(line) for line in lines)
    assert not any(INLINE_CODE.search(line) for line in allowed)
