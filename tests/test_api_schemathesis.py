"""The API against its own OpenAPI document, with schemathesis: every operation, called by
each role's token on the demo clinic, with generated input (valid and invalid), must never
answer 5xx, and each answer (status, body) must be one the document declares.

The schema is read from the Django application over WSGI (no server). Path parameters are
either generated or those of the demo's records, so the operations are exercised beyond
"404, no such record". Examples are few per operation and derandomized: the run is the
same every time and takes a couple of minutes; the counts close the session's log.
"""

from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kapcare.accounts.models import ApiToken, Role, User
from kapcare.api import api
from kapcare.consents.models import SharingAuthorization
from kapcare.demo.build import load_demo
from kapcare.dosing.substances.models import Inventory, TheftLossReport
from kapcare.episodes.models import CareSession, Episode, SessionKind
from kapcare.patients.models import Patient
from kapcare.scheduling.models import Room
from tests.conftest import API_FUZZING

# Examples per operation, role and mode (valid input, then invalid).
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 8, schemathesis.GenerationMode.NEGATIVE: 4}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The therapist and the patient first: the staff's writes (a revocation, a session done)
# would otherwise take their records out of reach before they are exercised.
ROLES = [Role.THERAPIST, Role.PATIENT, Role.CLINICIAN, Role.ADMIN, Role.COORDINATOR]
DEMO_EMAILS = {
    Role.THERAPIST: "therapist@demo.kapcare.org",
    Role.PATIENT: "patient@demo.kapcare.org",
    Role.CLINICIAN: "clinician@demo.kapcare.org",
    Role.ADMIN: "admin@demo.kapcare.org",
    Role.COORDINATOR: "coordinator@demo.kapcare.org",
}


@pytest.fixture
def wsgi_requests_keep_the_test_transaction():
    """Django's test client does the same: a request through the WSGI handler would close
    the database connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def demo_records() -> dict[str, str]:
    """The ids of the portal patient's records, which the demo therapist may see."""
    patient = Patient.objects.get(user__email=DEMO_EMAILS[Role.PATIENT])
    sessions = CareSession.objects.filter(patient=patient).order_by("planned_start")
    dosing = sessions.filter(kind=SessionKind.DOSING).exclude(dosing_record=None).first()
    therapy = sessions.exclude(kind=SessionKind.DOSING).filter(status="planned").first()
    episode = Episode.objects.filter(patient=patient).order_by("-created_at").first()
    authorization = SharingAuthorization.objects.filter(patient=patient, revoked_at=None).first()
    room = Room.objects.filter(clinic_id=patient.clinic_id).order_by("name").first()
    found = {
        "patient": patient,
        "episode": episode,
        "dosing session": dosing,
        "planned therapy session": therapy,
        "authorisation": authorization,
        "room": room,
    }
    missing = [name for name, record in found.items() if record is None]
    assert not missing, f"The demo has no {', '.join(missing)} for its portal patient."
    # The clinic's DEA records: its biennial inventory and its theft or loss report.
    clinic = patient.clinic
    found["inventory"] = Inventory.objects.filter(clinic=clinic).first()
    found["theft or loss report"] = TheftLossReport.objects.filter(clinic=clinic).first()
    return {name: str(record.external_id) for name, record in found.items()}


def real_path_parameters(path: str, records: dict[str, str]) -> dict[str, str]:
    """The demo's record for each id in `path` (the instrument's id is an enum already)."""
    by_name = {
        "patient_id": records["patient"],
        "episode_id": records["episode"],
        "authorization_id": records["authorisation"],
        "inventory_id": records["inventory"],
        "report_id": records["theft or loss report"],
        "room_id": records["room"],
        "session_id": records[
            "dosing session" if "/dosing-sessions/" in path else "planned therapy session"
        ],
    }
    return {name: value for name, value in by_name.items() if "{" + name + "}" in path}


def run_operation(operation, headers: dict, records: dict, failures: dict) -> int:
    """Calls `operation` with generated cases; returns how many requests were made and
    adds each distinct failure to `failures`."""
    sent = 0
    fixed = real_path_parameters(operation.path, records)
    for mode, count in EXAMPLES.items():
        strategies = [operation.as_strategy(generation_mode=mode)]
        if fixed:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))

        @hypothesis_settings(
            max_examples=count,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def call(case):
            nonlocal sent
            sent += 1
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except schemathesis.errors.FailureGroup as group:
                for failure in group.exceptions:
                    key = (operation.label, response.status_code, failure.title)
                    failures.setdefault(key, str(group))

        call()
    return sent


def test_every_operation_answers_as_documented_and_never_5xx(
    db, wsgi_requests_keep_the_test_transaction, request
):
    load_demo()
    records = demo_records()
    # Read from the API itself: with DEBUG off the document's URL answers only an admin.
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    # Django's own WSGI handler: kapcare.wsgi also runs the production start-up checks,
    # which a test process (with its test-only settings) is not meant to pass.
    schema.app = get_wsgi_application()
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.path.endswith("/revoke"),
    )
    requests: Counter[str] = Counter()
    failures: dict[tuple, str] = {}
    for role in ROLES:
        user = User.objects.get(email=DEMO_EMAILS[role])
        _, token = ApiToken.issue(user, "schemathesis")
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            requests[role] += run_operation(operation, headers, records, failures)

    server_errors = sum(1 for (_, status, _) in failures if status >= 500)
    summary = (
        f"{len(operations)} operations x {len(ROLES)} roles, {sum(requests.values())} requests "
        f"({', '.join(f'{role}: {count}' for role, count in requests.items())}): "
        f"{server_errors} kinds of server error, {len(failures) - server_errors} kinds of "
        "answer not as documented"
    )
    request.node.user_properties.append((API_FUZZING, summary))
    assert not failures, summary + "\n\n" + "\n\n".join(failures.values())
