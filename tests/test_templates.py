"""Template hygiene that Django does not check: a `{# … #}` comment must fit on one line,
or Django prints it on the page as text."""

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
