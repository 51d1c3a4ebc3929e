"""`manage.py generate_network`: refuses where it must; the same seed gives the same
people; a run into the demo's clinic adds to it."""

import json
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from kapcare.accounts.models import User
from kapcare.clinics.models import Clinic
from kapcare.episodes.models import CareSession
from kapcare.patients.models import Patient
from tests.clock import wall_clock


def generate(**options) -> dict:
    """Run the command; return its summary (the last line printed)."""
    out = StringIO()
    call_command("generate_network", stdout=out, verbosity=0, **options)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("SUMMARY ")
    return json.loads(last.removeprefix("SUMMARY "))


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        generate(patients=5, clinics=1, seed=2)

    assert not Patient.objects.exists()


def test_it_runs_with_debug_off_when_forced(db, settings):
    settings.DEBUG = False

    summary = generate(patients=5, clinics=1, seed=2, force=True)

    assert summary["counts"]["patients.patient"] == 5


def test_it_refuses_an_unknown_clinic(db, settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="no-such-clinic"):
        generate(patients=5, into_clinic="no-such-clinic")


def test_the_same_seed_gives_the_same_patients(db, settings):
    settings.DEBUG = True

    def people():
        with transaction.atomic():
            generate(patients=40, clinics=2, seed=9)
            rows = list(
                Patient.objects.order_by("external_id").values_list(
                    "external_id", "given_name", "family_name", "birth_date", "created_at"
                )
            )
            sessions = list(
                CareSession.objects.order_by("external_id").values_list(
                    "external_id", "kind", "status", "planned_start"
                )
            )
            transaction.set_rollback(True)
        return rows, sessions

    with time_machine.travel(wall_clock(0, 11), tick=False):
        first = people()
        second = people()

    assert first == second
    assert len(first[0]) == 40


def test_a_run_into_the_demo_clinic_adds_its_patients(db, settings):
    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    music_city = Clinic.objects.get(slug="music-city")
    before = Patient.objects.filter(clinic=music_city).count()

    summary = generate(patients=30, into_clinic="music-city", seed=4)

    assert Patient.objects.filter(clinic=music_city).count() == before + 30
    assert Clinic.objects.count() == 2
    assert summary["clinics"][0]["slug"] == "music-city"
    coordinator = User.objects.get(email=summary["clinics"][0]["logins"]["coordinator"])
    assert coordinator.clinic_id == music_city.pk
