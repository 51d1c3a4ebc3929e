"""The de-identified research export, on the demo clinics' records."""

import csv
import io
import re
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.patients.models import Patient
from kapcare.research import rules


def export(path, *args) -> dict[str, str]:
    call_command("export_research_dataset", str(path), *args, stdout=StringIO())
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def rows(files, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name])))


def test_the_demo_export_holds_no_name_email_phone_or_date_of_birth(demo, tmp_path):
    files = export(tmp_path / "dataset.zip")
    text = "\n".join(files.values())

    found = []
    for patient in Patient.objects.all():
        identifiers = [
            patient.given_name,
            patient.family_name,
            patient.email,
            patient.phone,
            patient.birth_date.isoformat(),
            patient.birth_date.strftime("%m/%d/%Y"),
        ]
        for value in filter(None, identifiers):
            if re.search(rf"(?<![\w@.-]){re.escape(value)}(?![\w@.-])", text):
                found.append((patient.pk, value))
        digits = re.sub(r"\D", "", patient.phone)
        if len(digits) >= 7 and digits in re.sub(r"[^\d\n]", "", text):
            found.append((patient.pk, "phone digits"))
    assert found == []


def test_every_file_and_the_data_dictionary_are_written(demo, tmp_path):
    files = export(tmp_path / "dataset.zip")

    assert set(files) == {
        "patients.csv",
        "episodes.csv",
        "doses.csv",
        "vitals.csv",
        "assessments.csv",
        "therapy_sessions.csv",
        "data_dictionary.md",
    }
    assert all(rows(files, name) for name in files if name.endswith(".csv"))
    for letter, _, _ in rules.SAFE_HARBOR:
        assert f"- ({letter}) " in files["data_dictionary.md"]


def test_study_ids_are_random_consistent_and_not_record_ids(demo, tmp_path):
    first = export(tmp_path / "one.zip")
    second = export(tmp_path / "two.zip")

    ids = {row["study_id"] for row in rows(first, "patients.csv")}
    assert len(ids) == Patient.objects.count()
    assert {row["study_id"] for row in rows(first, "assessments.csv")} <= ids
    assert {row["study_id"] for row in rows(first, "episodes.csv")} <= ids
    assert ids.isdisjoint({row["study_id"] for row in rows(second, "patients.csv")})
    record_ids = {str(p.pk) for p in Patient.objects.all()}
    record_ids |= {str(p.external_id) for p in Patient.objects.all()}
    assert ids.isdisjoint(record_ids)


def test_dates_are_day_offsets_and_ages_at_most_90_plus(demo, tmp_path):
    files = export(tmp_path / "dataset.zip")

    for name in ("episodes.csv", "doses.csv", "assessments.csv", "therapy_sessions.csv"):
        for row in rows(files, name):
            for column in ("day", "opened_day", "state_changed_day"):
                if row.get(column):
                    assert re.fullmatch(r"-?\d+", row[column]), (name, column, row[column])
    ages = [row["age_at_first_contact"] for row in rows(files, "patients.csv")]
    assert all(age == "90+" or int(age) <= 89 for age in ages)


def test_one_clinic_only_and_the_export_is_in_the_access_log(demo, tmp_path):
    clinic = Patient.objects.first().clinic
    files = export(tmp_path / "dataset.zip", "--clinic", clinic.slug)

    assert len(rows(files, "patients.csv")) == Patient.objects.filter(clinic=clinic).count()
    logged = AccessLogEntry.objects.filter(
        action=AccessAction.EXPORT, object_type="research_dataset"
    )
    assert set(logged.values_list("patient_id", flat=True)) == set(
        Patient.objects.filter(clinic=clinic).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(("age", "shown"), [(18, "18"), (89, "89"), (90, "90+"), (104, "90+")])
def test_ages_over_89_are_one_category(age, shown):
    assert rules.age_category(age) == shown
