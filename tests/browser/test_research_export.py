"""The clinic admin asks for the de-identified research dataset from their home, sees it
built in the background and downloads the zip; the page passes axe at desktop and phone
sizes."""

import zipfile

import pytest
from playwright.sync_api import expect

from kapcare.outcomes.tests.factories import course
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login


@pytest.mark.browser
def test_admin_builds_and_downloads_the_research_dataset(page, live_server, clinic_admin):
    course(clinic_admin.clinic, baseline=20, after=4)
    login(page, clinic_admin.email)
    page.get_by_role("link", name="De-identified research export").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("research export")
    expect(page.get_by_text("No dataset has been built yet.")).to_be_visible()

    page.get_by_role("button", name="Build a new dataset").click()

    # The tests' task backend builds at once; a worker would take a while (the list polls).
    exports = page.get_by_role("region", name="Exports", exact=True)
    expect(page.get_by_role("cell", name="Ready to download")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the zip").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        assert "data_dictionary.md" in archive.namelist()
    expect(exports).to_be_visible()

    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.reload()
        assert_accessible(page)
