"""The pages that print — the patient's chart, the dosing record and the day list — link
the print stylesheet (for paper only); the stylesheet leaves the application out."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from kapcare.dosing.tests.test_signing_fixtures import finished_record

PRINT_LINK = 'href="/static/kapcare/print.css" media="print"'


@pytest.fixture
def record(patient, clinician):
    return finished_record(patient, clinician)


def test_the_dosing_record_links_the_print_stylesheet(client, clinician, record):
    client.force_login(clinician)

    html = client.get(reverse("dosing:record", args=[record.session.external_id])).content

    assert PRINT_LINK in html.decode()


def test_the_chart_links_the_print_stylesheet(client, clinician, patient):
    client.force_login(clinician)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content

    assert PRINT_LINK in html.decode()


def test_the_day_list_links_the_print_stylesheet(client, coordinator):
    client.force_login(coordinator)

    assert PRINT_LINK in client.get(reverse("scheduling:day")).content.decode()


def test_the_print_stylesheet_leaves_out_navigation_forms_and_buttons():
    with open(finders.find("kapcare/print.css"), encoding="utf-8") as sheet:
        css = sheet.read()

    assert ".site-header, .site-footer, nav, form, button" in css
    assert "tr { break-inside: avoid; }" in css


def test_the_dosing_record_lists_its_parts_once(client, clinician, record):
    """The page index lists the parts (from their headings); the session's own menu keeps
    only the episode and the gates, so the parts are not listed twice."""
    client.force_login(clinician)

    html = client.get(reverse("dosing:record", args=[record.session.external_id])).content

    assert b"data-page-index" in html
    assert b'href="#vitals"' not in html
    assert b'id="vitals"' in html
