"""The harness's pieces that touch Django: the bare view and where it exists, the sessions
it signs in with, the loopback rule, the targets it finds, and one short run end to end."""

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from kapcare.accounts.models import ApiToken, Role
from kapcare.bench import credentials, queries, targets
from kapcare.bench.load import NotLoopback, require_loopback
from kapcare.bench.urls import BARE_VIEW_PATH
from kapcare.consents.models import SharingAuthorization
from kapcare.episodes.models import EpisodeState
from tests.factories import PatientFactory, authorize, open_episode
from tests.second_factor import give_authenticator, sign_in_with_password_only

STRONG_KEY = "Yq3v-8NwZk1pTfR0sLx7GmB2hJc9UeA4oDi6WnKrE5tHyP_aQz"
READ_URLCONF = (
    "import json, kapcare.settings as s; print(json.dumps([s.ROOT_URLCONF, s.BENCH_BARE_VIEW]))"
)


def production_urlconf(**env: str) -> list:
    clean = {name: value for name, value in os.environ.items() if name != "BENCH_BARE_VIEW"}
    result = subprocess.run(
        [sys.executable, "-c", READ_URLCONF],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "kapcare.settings",
            "DEBUG": "0",
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "kap.example",
            **env,
        },
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_serve_the_site_without_the_bare_view():
    assert production_urlconf() == ["kapcare.urls", False]


def test_only_a_server_started_for_the_bench_serves_the_bare_view():
    assert production_urlconf(BENCH_BARE_VIEW="1") == ["kapcare.bench.urls", True]


def test_the_sites_urls_have_no_bare_view():
    with pytest.raises(Resolver404):
        resolve(BARE_VIEW_PATH, urlconf="kapcare.urls")


@pytest.mark.urls("kapcare.bench.urls")
def test_bare_view_sends_an_anonymous_visitor_to_sign_in(client, db):
    response = client.get(BARE_VIEW_PATH)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.urls("kapcare.bench.urls")
def test_bare_view_holds_staff_at_the_second_factor_like_every_page(client, coordinator):
    sign_in_with_password_only(client, coordinator)

    response = client.get(BARE_VIEW_PATH)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")


@pytest.mark.urls("kapcare.bench.urls")
def test_bare_view_answers_a_signed_in_user_with_no_query_of_its_own(
    client, coordinator, django_assert_max_num_queries
):
    client.force_login(coordinator)

    with django_assert_max_num_queries(6):
        response = client.get(BARE_VIEW_PATH)

    assert response.status_code == 200
    assert response.content == b"ok"


def test_a_session_made_by_the_bench_opens_the_staff_pages(coordinator):
    device = give_authenticator(coordinator)
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = credentials.open_session(coordinator)

    response = client.get("/desk/")

    assert response.status_code == 200
    assert response.wsgi_request.user.pk == coordinator.pk
    assert client.session["otp_device_id"] == device.persistent_id


def test_signing_out_ends_the_sessions_and_revokes_the_tokens(coordinator, clinician):
    sign_ins = credentials.sign_in({Role.COORDINATOR: coordinator, Role.CLINICIAN: clinician})
    client = Client()

    credentials.sign_out(sign_ins)

    client.cookies[django_settings.SESSION_COOKIE_NAME] = sign_ins.sessions[Role.COORDINATOR]
    assert client.get("/desk/").status_code == 302
    tokens = ApiToken.objects.filter(user__in=[coordinator, clinician])
    assert tokens.count() == 2
    assert all(token.is_revoked for token in tokens)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.0.0.2:8000/", True),
        ("http://[::1]:8000", True),
        ("http://localhost:8000", True),
        ("http://10.0.0.5:8000", False),
        ("http://kap.example.org", False),
        ("http://localhost.kap.example.org", False),
        ("https://127.0.0.1:8443", False),
        ("127.0.0.1:8000", False),
    ],
)
def test_the_bench_loads_only_a_server_on_the_loopback(url, allowed):
    if allowed:
        assert require_loopback(url) == url.rstrip("/")
    else:
        with pytest.raises(NotLoopback):
            require_loopback(url)


def test_the_command_refuses_a_server_off_the_loopback(settings, db):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="only loads a server on the loopback"):
        call_command("bench", "--url", "http://192.0.2.10:8000")


def test_the_command_refuses_to_run_with_debug_off(db):
    with pytest.raises(CommandError, match="only runs with DEBUG=1"):
        call_command("bench", "--url", "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--users", "0"), ("--users", "65"), ("--duration", "0"), ("--duration", "1801")],
)
def test_the_command_is_bounded_in_users_and_time(settings, db, option, value):
    settings.DEBUG = True

    with pytest.raises(CommandError, match=option):
        call_command("bench", option, value, "--url", "http://127.0.0.1:8000")


@pytest.fixture
def busy_clinic(clinic, coordinator, clinician, clinic_admin, patient, other_patient):
    """A clinic with an episode in treatment, and a therapist sharing in one patient."""
    from tests.factories import UserFactory

    therapist = UserFactory(role=Role.THERAPIST, clinic=None, email="rae@example.org")
    authorize(patient, therapist, scopes=("measures", "schedule"), by=coordinator)
    episode = open_episode(patient, coordinator)
    episode.state = EpisodeState.IN_TREATMENT
    episode.save(update_fields=["state"])
    return clinic


def test_the_bench_finds_the_largest_clinic_and_a_user_per_role(
    busy_clinic, outsider_patient, patient_user
):
    clinic = targets.choose_clinic()
    users = targets.find_users(clinic)

    assert clinic.pk == busy_clinic.pk
    assert set(users) == {
        Role.COORDINATOR,
        Role.CLINICIAN,
        Role.ADMIN,
        Role.THERAPIST,
        Role.PATIENT,
    }
    assert users[Role.PATIENT].pk == patient_user.pk
    assert users[Role.THERAPIST].email == "rae@example.org"


def test_the_targets_name_each_roles_pages_and_records(busy_clinic, patient):
    users = targets.find_users(busy_clinic)
    records = targets.find_records(busy_clinic, users[Role.THERAPIST])

    built = {target.name: target for target in targets.build_targets(users, records)}

    assert built["bare Django view"].kind == "bare"
    assert built["shared record"].path == f"/shared/patients/{patient.external_id}/"
    assert built["episode"].path == f"/episodes/{records.episode_in_treatment.external_id}/"
    assert built["patient search"].method == "POST"
    assert "controlled-substance register" not in built  # no nurse in this clinic
    assert {target.role for target in built.values()} >= {Role.THERAPIST, Role.PATIENT}


def test_the_therapist_opens_a_record_they_share_when_not_the_longest(
    clinic, coordinator, patient, other_patient
):
    from tests.factories import UserFactory

    therapist = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(other_patient, therapist, by=coordinator)

    records = targets.find_records(clinic, therapist)

    assert records.long_history_patient.pk == patient.pk
    assert records.shared_patient.pk == other_patient.pk


def test_an_expired_authorisation_gives_the_bench_no_therapist(clinic, coordinator, patient):
    from tests.factories import UserFactory

    therapist = UserFactory(role=Role.THERAPIST, clinic=None)
    authorization = authorize(patient, therapist, by=coordinator)
    SharingAuthorization.objects.filter(pk=authorization.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert Role.THERAPIST not in targets.find_users(clinic)


def test_an_empty_database_has_nothing_to_bench(db):
    with pytest.raises(targets.NothingToBench, match="No patients"):
        targets.choose_clinic()


def run_bench(*args: str) -> str:
    """The command's refusal, or "" when it ends within budget."""
    try:
        call_command("bench", *args, stdout=io.StringIO())
    except CommandError as error:
        return str(error)
    return ""


@pytest.mark.urls("kapcare.bench.urls")
def test_a_short_run_against_a_live_server_writes_the_report(
    settings, live_server, clinic, coordinator, clinician, patient, tmp_path
):
    settings.DEBUG = True
    PatientFactory.create_batch(3, clinic=clinic)

    outcome = run_bench(
        "--url", live_server.url,
        "--users", "1",
        "--duration", "3",
        "--pages", "coordinator home", "API patients",
        "--budget", "relaxed",
        "--out", str(tmp_path),
    )  # fmt: skip

    # A slow shared machine may be over even the relaxed budget; the figures must be there.
    assert outcome == "" or outcome.startswith("Over the relaxed budget")
    written = json.loads((tmp_path / "report.json").read_text())
    pages = {page["name"]: page for page in written["pages"]}
    assert list(pages) == ["bare Django view", "coordinator home", "API patients"]
    for page in pages.values():
        assert page["queries"] > 0
        assert page["load"]["1"]["requests"] > 0
        assert page["load"]["1"]["failures"] == 0
    assert written["facts"]["users"] == [1]
    assert written["facts"]["server"] == live_server.url
    assert (tmp_path / "report.md").read_text().startswith("# Bench report")
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()


def test_explaining_a_write_never_runs_it(clinic):
    plan = queries.explain(f"UPDATE clinics_clinic SET name = 'Renamed' WHERE id = {clinic.pk}")

    clinic.refresh_from_db()
    assert plan
    assert clinic.name == "Music City Ketamine"


def test_the_slowest_statements_are_explained_each_once(clinic):
    select = f"SELECT name FROM clinics_clinic WHERE id = {clinic.pk}"
    measured = {
        "desk": queries.PageQueries(2, 9.0, 200, [(5.0, select), (1.0, "SAVEPOINT s1")]),
        "chart": queries.PageQueries(1, 4.0, 200, [(4.0, select)]),
    }

    slowest = queries.slowest_queries(measured, count=5)

    assert [(query.page, query.ms, query.sql) for query in slowest] == [("desk", 5.0, select)]
    assert "not explained" not in slowest[0].plan


def test_a_request_without_an_answer_has_status_zero_instead_of_stopping_the_bench():
    from kapcare.bench.load import ask_once
    from kapcare.bench.server import free_port

    entry = {"method": "GET", "path": "/", "headers": {}, "body": ""}

    assert ask_once(f"http://127.0.0.1:{free_port()}", entry) == 0
