"""The admin's research dataset, built in the background: asked for on the page, built by
the task into the file storage, downloaded while kept, then removed."""

import csv
import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.research import services
from kapcare.research.models import ExportStatus, ResearchExport
from tests.factories import PatientFactory, UserFactory

PAGE = "research:download"


@pytest.fixture
def patients(clinic):
    return [PatientFactory(clinic=clinic) for _ in range(3)]


def ask(client, django_capture_on_commit_callbacks):
    """POST the request; the task runs on commit (the tests' backend runs it at once)."""
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse(PAGE))


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_admin_asks_the_task_builds_and_the_admin_downloads(
    client, clinic_admin, patients, other_patient, django_capture_on_commit_callbacks
):
    client.force_login(clinic_admin)

    response = ask(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    export = ResearchExport.objects.get()
    assert export.status == ExportStatus.READY
    assert export.requested_by_id == clinic_admin.pk
    page = client.get(reverse(PAGE)).content.decode()
    url = reverse("research:export_file", args=[export.external_id])
    assert url in page
    assert "Ready to download" in page
    archive = zip_of(client.get(url))
    rows = list(csv.DictReader(io.StringIO(archive.read("patients.csv").decode())))
    assert len(rows) == len(patients) + 1  # the clinic's, not another clinic's
    exported = AccessLogEntry.objects.filter(action=AccessAction.EXPORT, actor=clinic_admin)
    assert exported.filter(object_type="research_dataset").count() == len(patients) + 1
    assert exported.filter(object_type="researchexport", object_id=str(export.external_id))


def test_a_second_request_while_one_is_built_is_refused_at_the_button(
    client, clinic_admin, patients, django_capture_on_commit_callbacks
):
    ResearchExport.objects.create(clinic=clinic_admin.clinic, requested_by=clinic_admin)
    client.force_login(clinic_admin)

    response = ask(client, django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert "already being built" in response.content.decode()
    assert ResearchExport.objects.count() == 1
    # The page polls the list while the build is under way.
    assert 'hx-trigger="every 5s"' in client.get(reverse(PAGE)).content.decode()


def test_another_clinics_admin_finds_no_file_and_a_clinician_is_refused(
    client, clinic_admin, outsider, clinician, patients, django_capture_on_commit_callbacks
):
    client.force_login(clinic_admin)
    ask(client, django_capture_on_commit_callbacks)
    url = reverse("research:export_file", args=[ResearchExport.objects.get().external_id])
    other_admin = UserFactory(role="admin", clinic=outsider.clinic)

    client.force_login(other_admin)
    assert client.get(url).status_code == 404
    client.force_login(clinician)
    assert client.get(url).status_code == 403
    assert client.post(reverse(PAGE)).status_code == 403


def test_the_zip_is_removed_once_its_keep_has_passed(
    client, clinic_admin, patients, settings, django_capture_on_commit_callbacks
):
    client.force_login(clinic_admin)
    ask(client, django_capture_on_commit_callbacks)
    export = ResearchExport.objects.get()
    stored = export.content.name
    url = reverse("research:export_file", args=[export.external_id])

    later = timezone.now() + settings.RESEARCH_EXPORT_KEEP + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        client.force_login(clinic_admin)  # the session itself has timed out by then
        assert client.get(url).status_code == 404
        assert services.expire_old(timezone.now()) == 1

    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert not export.content
    assert not export.content.storage.exists(stored)


def test_a_failed_build_leaves_no_file_and_says_so(
    client, clinic_admin, patients, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_dataset", broken)
    client.force_login(clinic_admin)

    ask(client, django_capture_on_commit_callbacks)

    export = ResearchExport.objects.get()
    assert export.status == ExportStatus.FAILED
    assert not export.content
    assert "Failed" in client.get(reverse(PAGE)).content.decode()
