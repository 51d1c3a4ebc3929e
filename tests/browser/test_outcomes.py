"""The clinic admin opens the outcome dashboard from their home, filters it to one model
and downloads the rates as CSV; the page passes axe at desktop and phone sizes. Then,
from the dashboard, the clinic's ASKP3 conformance: a failing element, its episodes, and
one episode's report."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kapcare.conformance.services import refresh_conformance
from kapcare.outcomes.tests.factories import course
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login


@pytest.fixture
def followed_up(clinic):
    course(clinic, model="bracketed", baseline=20, after=4, later=[(60, 5), (120, 14)])
    course(clinic, model="bracketed", baseline=18, after=12)
    course(clinic, model="standalone", baseline=22, after=9, later=[(30, 15)])


@pytest.mark.browser
def test_admin_filters_the_dashboard_by_model_and_downloads_the_csv(
    page, live_server, clinic_admin, followed_up
):
    login(page, clinic_admin.email)
    page.get_by_role("link", name="Outcomes", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Outcomes")
    expect(page.get_by_role("note")).to_contain_text("observational data, not a trial")

    page.get_by_label("Model of care").select_option(label="Bracketed KAP")
    page.get_by_role("button", name="Show").click()

    by_model = page.locator("#rates-model")
    expect(by_model.get_by_role("rowheader")).to_have_count(1)
    expect(by_model.get_by_role("rowheader").first).to_have_text("Bracketed KAP")
    expect(page.get_by_role("img", name="Share of responders without relapse")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the rates (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "outcome-rates.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    models = [row for row in rows if row["group_by"] == "model"]
    assert [(row["group"], row["with_baseline"], row["responders"]) for row in models] == [
        ("bracketed", "2", "1")
    ]

    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.reload()
        assert_accessible(page)


@pytest.mark.browser
def test_from_the_dashboard_the_admin_opens_an_episodes_report_from_a_failing_element(
    page, live_server, clinic_admin, followed_up
):
    # The courses are written straight to the tables: no screening, consent or vital signs,
    # so elements fail. The hourly refresh stores each episode's evaluation.
    refresh_conformance(clinic_id=clinic_admin.clinic_id)
    login(page, clinic_admin.email)
    page.get_by_role("link", name="Outcomes", exact=True).click()

    page.get_by_role("link", name="ASKP3 conformance of the clinic's episodes").click()
    expect(page.get_by_role("heading", level=1, name="ASKP3 conformance")).to_be_visible()
    page.get_by_role("link", name=re.compile("episodes not meeting")).first.click()
    expect(page.get_by_role("heading", name=re.compile("^Not meeting"))).to_be_visible()
    page.locator("a[href*='/conformance/#']").first.click()

    expect(page).to_have_url(re.compile(r"/clinical/episodes/[0-9a-f-]+/conformance/#"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("ASKP3 conformance")
    expect(page.get_by_text("Not met").first).to_be_visible()
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert_accessible(page)
