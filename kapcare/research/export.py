"""The de-identified research dataset: a zip of CSV files (patients, episodes, doses,
vitals, assessments with their items, therapy sessions) and a data dictionary, under
HIPAA's Safe Harbor method (`rules`).

Each patient gets a random study id (`secrets.token_hex`), new at each export and
consistent within it; episodes and doses get random keys the same way. Rows are read with
`.iterator()` and written one by one into the zip, so no table is held in memory (only
the map from record ids to study ids). The export is recorded in the access log, one
"exported" row per patient included, in one insert."""

import csv
import datetime as dt
import io
import secrets
import zipfile
from collections.abc import Iterable, Iterator

from django.db.models import Min, OuterRef, Subquery

from kapcare.audit.log import Actor, record_export
from kapcare.dosing.models import DosingRecord, Observation
from kapcare.episodes.models import CareSession, Episode, SessionKind
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.patients.models import Patient
from kapcare.research import rules

CHUNK = 2000

COLUMNS = {
    "patients.csv": [
        ("study_id", "Random id of the patient in this export (not derived from any record)."),
        ("age_at_first_contact", "Whole years at first contact; over 89 as “90+”."),
        ("sex_at_birth", "F, M or UNK (US Core birth sex)."),
    ],
    "episodes.csv": [
        ("study_id", "The patient's study id."),
        ("episode_key", "Random id of the episode in this export."),
        ("model", "Model of care: in_session, bracketed, blended, standalone."),
        ("diagnosis_code", "ICD-10-CM code."),
        ("planned_route", "Planned route of ketamine: iv, im, sublingual, intranasal."),
        ("has_trauma_history", "true or false."),
        ("state", "Where the episode stands now (referred … completed, discontinued)."),
        ("opened_day", "Day offset of the episode's opening from first contact."),
        ("state_changed_day", "Day offset of its last change of state."),
    ],
    "doses.csv": [
        ("study_id", "The patient's study id."),
        ("episode_key", "The episode's key."),
        ("dose_key", "Random id of the dose in this export."),
        ("day", "Day offset of the dose from first contact."),
        ("drug", "ketamine or esketamine."),
        ("route", "Route given."),
        ("dose_mg", "Dose in mg."),
        ("prescribed_mg_per_kg", "Prescribed dose in mg/kg, when weight-based."),
        ("infusion_minutes", "Planned infusion length in minutes."),
        ("dose_minutes", "Minutes from the dose's start to its end."),
        ("therapist_present", "true or false."),
    ],
    "vitals.csv": [
        ("study_id", "The patient's study id."),
        ("dose_key", "The dose's key."),
        ("minutes_from_dose_start", "Minutes from the dose's start (negative: before it)."),
        ("vital", "systolic, diastolic, heart_rate, spo2, respiratory_rate, …"),
        ("loinc_code", "LOINC code of the vital sign."),
        ("value", "The reading."),
        ("unit", "Its unit."),
    ],
    "assessments.csv": [
        ("study_id", "The patient's study id."),
        ("instrument", "phq9, gad7, pcl5, cssrs_screen."),
        ("day", "Day offset of completion from first contact."),
        ("total", "Total score."),
        ("band", "Severity band of the total."),
        ("items", "Item answers in order, separated by “;” (empty: unanswered)."),
    ],
    "therapy_sessions.csv": [
        ("study_id", "The patient's study id."),
        ("episode_key", "The episode's key."),
        ("kind", "preparation or integration."),
        ("status", "planned, done, cancelled, missed …"),
        ("day", "Day offset of the session from first contact."),
        ("duration_minutes", "Length in minutes, when recorded."),
        ("modality", "Therapy modality, when recorded."),
    ],
}


def _first_contacts(patients):
    """Each patient's first contact: the earliest of the record's creation, an episode's
    opening and a completed questionnaire (demo and imported records may predate the
    record)."""
    first_episode = (
        Episode.objects.filter(patient_id=OuterRef("pk"))
        .order_by()
        .values("patient_id")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    first_assessment = (
        Assessment.objects.filter(patient_id=OuterRef("pk"), completed_at__isnull=False)
        .order_by()
        .values("patient_id")
        .annotate(first=Min("completed_at"))
        .values("first")
    )
    return patients.annotate(
        first_episode=Subquery(first_episode), first_assessment=Subquery(first_assessment)
    )


class Dataset:
    def __init__(self, clinic=None) -> None:
        self.clinic = clinic
        self.patients = Patient.objects.all()
        if clinic is not None:
            self.patients = self.patients.filter(clinic=clinic)
        self.study_ids: dict[int, str] = {}
        self.clinic_of: dict[int, int] = {}
        self.first_contact = {}
        self.episode_keys: dict[int, str] = {}
        self.dose_keys: dict[int, str] = {}
        self.dose_starts = {}

    def _scoped(self, rows):
        return rows.filter(patient__clinic=self.clinic) if self.clinic is not None else rows

    def patient_rows(self) -> Iterator[list]:
        for patient in _first_contacts(self.patients).order_by("?").iterator(CHUNK):
            moments = [
                m
                for m in (patient.created_at, patient.first_episode, patient.first_assessment)
                if m is not None
            ]
            first_day = min(moments).astimezone(dt.UTC).date()
            self.clinic_of[patient.pk] = patient.clinic_id
            self.study_ids[patient.pk] = secrets.token_hex(8)
            self.first_contact[patient.pk] = first_day
            yield [
                self.study_ids[patient.pk],
                rules.age_category(patient.age_on(first_day)),
                patient.sex_at_birth,
            ]

    def _day(self, patient_id, moment) -> str:
        return rules.day_offset(moment, self.first_contact[patient_id])

    def episode_rows(self) -> Iterator[list]:
        for e in self._scoped(Episode.objects.order_by("?")).iterator(CHUNK):
            self.episode_keys[e.pk] = secrets.token_hex(8)
            yield [
                self.study_ids[e.patient_id],
                self.episode_keys[e.pk],
                e.model,
                e.diagnosis_code,
                e.dose_route,
                str(e.has_trauma_history).lower(),
                e.state,
                self._day(e.patient_id, e.created_at),
                self._day(e.patient_id, e.state_changed_at),
            ]

    def dose_rows(self) -> Iterator[list]:
        records = self._scoped(
            DosingRecord.objects.select_related("session").order_by("?")
        ).iterator(CHUNK)
        for r in records:
            self.dose_keys[r.pk] = secrets.token_hex(8)
            start = r.dose_started_at or r.session.started_at or r.session.planned_start
            self.dose_starts[r.pk] = start
            minutes = (
                round((r.dose_ended_at - r.dose_started_at).total_seconds() / 60)
                if r.dose_started_at and r.dose_ended_at
                else ""
            )
            yield [
                self.study_ids[r.patient_id],
                self.episode_keys.get(r.session.episode_id, ""),
                self.dose_keys[r.pk],
                self._day(r.patient_id, start),
                r.drug,
                r.route,
                "" if r.dose_mg is None else str(r.dose_mg),
                "" if r.prescribed_mg_per_kg is None else str(r.prescribed_mg_per_kg),
                "" if r.infusion_minutes is None else r.infusion_minutes,
                minutes,
                str(r.therapist_present).lower(),
            ]

    def vital_rows(self) -> Iterator[list]:
        rows = self._scoped(Observation.objects.order_by("record_id", "taken_at", "id"))
        for patient_id, record_id, taken_at, vital, loinc, value, unit in rows.values_list(
            "patient_id", "record_id", "taken_at", "vital", "loinc_code", "value", "unit"
        ).iterator(CHUNK):
            start = self.dose_starts.get(record_id)
            yield [
                self.study_ids[patient_id],
                self.dose_keys.get(record_id, ""),
                round((taken_at - start).total_seconds() / 60) if start else "",
                vital,
                loinc,
                value,
                unit,
            ]

    def assessment_rows(self) -> Iterator[list]:
        rows = self._scoped(
            Assessment.objects.filter(status=AssessmentStatus.COMPLETED).order_by("?")
        )
        for patient_id, instrument, completed_at, total, band, answers in rows.values_list(
            "patient_id", "instrument", "completed_at", "total", "band", "answers"
        ).iterator(CHUNK):
            yield [
                self.study_ids[patient_id],
                instrument,
                self._day(patient_id, completed_at),
                "" if total is None else total,
                band,
                ";".join("" if a is None else str(int(a)) for a in answers or []),
            ]

    def therapy_session_rows(self) -> Iterator[list]:
        rows = self._scoped(
            CareSession.objects.exclude(kind=SessionKind.DOSING).order_by("?")
        ).values_list(
            "patient_id",
            "episode_id",
            "kind",
            "status",
            "started_at",
            "planned_start",
            "duration_minutes",
            "modality",
        )
        for (
            patient_id,
            episode_id,
            kind,
            status,
            started,
            planned,
            minutes,
            modality,
        ) in rows.iterator(CHUNK):
            yield [
                self.study_ids[patient_id],
                self.episode_keys.get(episode_id, ""),
                kind,
                status,
                self._day(patient_id, started or planned),
                "" if minutes is None else minutes,
                modality,
            ]


def _write_csv(archive: zipfile.ZipFile, name: str, rows: Iterable[list]) -> int:
    count = 0
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as text:
        writer = csv.writer(text)
        writer.writerow([column for column, _ in COLUMNS[name]])
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _dictionary(counts: dict[str, int]) -> str:
    lines = [
        "# Data dictionary",
        "",
        "A de-identified extract of kapcare under HIPAA's Safe Harbor method "
        "(45 CFR 164.514(b)(2)). Study ids and keys are random, new at each export.",
        "",
    ]
    for name, columns in COLUMNS.items():
        lines += [f"## {name} ({counts.get(name, 0)} rows)", ""]
        lines += [f"- `{column}`: {meaning}" for column, meaning in columns]
        lines.append("")
    lines += ["## The 18 Safe Harbor identifiers and how each is handled", ""]
    lines += [f"- ({letter}) {what}: {how}" for letter, what, how in rules.SAFE_HARBOR]
    return "\n".join(lines) + "\n"


def write_dataset(target, *, actor: Actor, clinic=None) -> dict[str, int]:
    """Write the zip to `target` (a path or a binary file); the rows written per file."""
    dataset = Dataset(clinic)
    counts = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in (
            ("patients.csv", dataset.patient_rows()),
            ("episodes.csv", dataset.episode_rows()),
            ("doses.csv", dataset.dose_rows()),
            ("vitals.csv", dataset.vital_rows()),
            ("assessments.csv", dataset.assessment_rows()),
            ("therapy_sessions.csv", dataset.therapy_session_rows()),
        ):
            counts[name] = _write_csv(archive, name, rows)
        archive.writestr("data_dictionary.md", _dictionary(counts))
    record_export(actor, dataset.clinic_of.items(), object_type="research_dataset")
    return counts
