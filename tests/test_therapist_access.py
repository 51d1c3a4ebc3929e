"""The outside therapist against every page, under every state of a sharing authorisation:
none, each scope alone, expired, revoked one request ago, and one given for a different
patient. Every read the therapist makes is a disclosure the patient can see, the emails
to the therapist never name the patient, and the pages run a fixed number of queries
whatever the number of patients and authorisations.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from icalendar import Calendar

from kapcare.accounts.models import ApiToken, Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.consents import services
from kapcare.consents.models import DocumentKind, SharingAuthorization
from kapcare.education.tests.factories import education_page
from kapcare.journal.tests.factories import journal_entry
from kapcare.pricing import cost
from kapcare.referrals.tests.factories import referral_for_review
from kapcare.scheduling import feeds
from kapcare.scopes import Scope
from kapcare.therapists.tests.directory_factories import add_therapist, certificate
from tests.factories import (
    ConsultationRequestFactory,
    PatientFactory,
    RoomFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
    raise_alert,
)
from tests.test_policy_matrix import MATRIX, billing_records, built_research_export, dea_records

OK, DENIED, MISSING = 200, 403, 404

# Pages meant for the therapist (or for everyone signed in): the rest of MATRIX is not.
THERAPIST_PAGES = {
    "home",
    "accounts:profile",
    "therapist_home",
    "sharing:shared_record",
    # --- therapist portal: kapcare/therapists/tests/test_portal_*.py ---
    "therapist_portal:record_new_session",
    "therapist_portal:record_planned_session",
    "therapist_portal:send_questionnaire",
    # --- messaging: kapcare/messaging/tests/test_pages.py (own thread, another's,
    # the patient's, expired, revoked) ---
    "messaging:thread",
    "messaging:therapist_new",
}

MEASURES_SECTION = 'id="shared-measures-heading"'
ALERTS_SECTION = 'id="shared-alerts-heading"'
NO_SESSIONS = "No dosing sessions are scheduled yet"
NO_SUMMARY_YET = "No session summary has been released yet."
SCHEDULE_SECTION = 'id="shared-schedule-heading"'


def shared_url(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


def assessments_url(patient) -> str:
    return f"/api/v1/patients/{patient.external_id}/assessments"


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def revoke(authorization, by):
    return services.revoke_authorization(
        actor=Actor(user=by, ip_address="127.0.0.1"), authorization=authorization
    )


def feed_events(client, therapist) -> list:
    """The events of the therapist's calendar feed, fetched as a calendar application does."""
    response = client.get(reverse("feeds:ics", args=[feeds.feed_for_user(therapist).token]))
    assert response.status_code == OK
    return Calendar.from_ical(response.content).walk("VEVENT")


@pytest.fixture
def dosing(patient, clinician, therapist):
    """A dosing session two days from now, in the therapist's episode of the patient."""
    episode = open_episode(patient, clinician, therapist=therapist)
    starts_at = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2)
    return plan_session(episode, clinician, starts_at=starts_at)


def url_parameters() -> dict[str, set[str]]:
    """Each named page's URL parameters, read from urls.py."""

    def walk(resolver, namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                # The FHIR interface has its own matrix: kapcare/fhir/tests/test_policy.py.
                if entry.namespace in {"admin", "api", "fhir"}:
                    continue
                prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}", set(entry.pattern.converters)

    return dict(walk(get_resolver()))


@pytest.fixture
def all_scopes(patient, therapist):
    return authorize(patient, therapist, scopes=Scope.values)


# --- No authorisation ---------------------------------------------------------------------


def test_therapist_without_authorisation_gets_404_on_the_shared_record(client, therapist, patient):
    client.force_login(therapist)

    assert client.get(shared_url(patient)).status_code == MISSING


def test_therapist_without_authorisation_sees_no_patient_at_home(client, therapist, patient):
    client.force_login(therapist)

    response = client.get(reverse("therapist_home"))

    assert response.status_code == OK
    assert response.context["caseload"] == []
    assert patient.family_name not in response.content.decode()
    assert not AccessLogEntry.objects.filter(actor=therapist).exists()


def test_therapist_without_authorisation_gets_404_from_the_measures_api(client, therapist, patient):
    response = client.get(assessments_url(patient), headers=bearer(therapist))

    assert response.status_code == MISSING


@pytest.mark.parametrize("role", ["coordinator", "clinician", "clinic_admin", "patient_user"])
def test_only_therapists_open_a_shared_record(client, request, patient, all_scopes, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(shared_url(patient)).status_code == DENIED


# --- Each scope alone ---------------------------------------------------------------------


@pytest.mark.parametrize("scope", Scope.values)
def test_each_scope_alone_shows_only_its_own_section(client, therapist, clinician, patient, scope):
    raise_alert(clinician, patient)  # a PHQ-9 (a measure) that raised a safety alert
    authorize(patient, therapist, scopes=[scope])
    client.force_login(therapist)

    response = client.get(shared_url(patient))

    content = response.content.decode()
    assert response.status_code == OK
    assert patient.full_name in content
    assert Scope(scope).label in content
    assert (MEASURES_SECTION in content) == (scope == Scope.MEASURES)
    assert (ALERTS_SECTION in content) == (scope == Scope.SAFETY_ALERTS)
    assert (NO_SESSIONS in content) == (scope == Scope.SCHEDULE)
    assert (NO_SUMMARY_YET in content) == (scope == Scope.SESSION_SUMMARIES)
    assert "Nothing to show yet" not in content  # every scope has its section


@pytest.mark.parametrize("scope", Scope.values)
def test_sessions_appear_only_under_the_schedule_scope(client, therapist, patient, dosing, scope):
    authorize(patient, therapist, scopes=[scope])
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert (SCHEDULE_SECTION in content) == (scope == Scope.SCHEDULE)
    assert len(feed_events(client, therapist)) == (1 if scope == Scope.SCHEDULE else 0)


@pytest.mark.parametrize("scope", Scope.values)
def test_measures_api_answers_only_under_the_measures_scope(client, therapist, patient, scope):
    authorize(patient, therapist, scopes=[scope])

    response = client.get(assessments_url(patient), headers=bearer(therapist))

    assert response.status_code == (OK if scope == Scope.MEASURES else MISSING)


@pytest.mark.parametrize("scope", Scope.values)
def test_home_lists_the_patient_with_the_scope_in_words_and_the_expiry(
    client, therapist, patient, scope
):
    authorization = authorize(patient, therapist, scopes=[scope])
    client.force_login(therapist)

    response = client.get(reverse("therapist_home"))

    content = response.content.decode()
    assert patient.full_name in content
    assert Scope(scope).label in content
    expires = authorization.expires_on
    assert f"{expires:%b} {expires.day}, {expires.year}" in content
    assert shared_url(patient) in content


def test_two_authorisations_for_one_patient_show_each_scope(client, therapist, patient):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    client.force_login(therapist)

    response = client.get(reverse("therapist_home"))

    assert [entry.patient for entry in response.context["caseload"]] == [patient]
    assert Scope.SAFETY_ALERTS.label in response.content.decode()
    assert ALERTS_SECTION in client.get(shared_url(patient)).content.decode()


# --- Expired ------------------------------------------------------------------------------


@pytest.fixture
def expiring_soon(patient, therapist):
    """Measures and safety alerts, shared until the end of the day after tomorrow."""
    today = services.clinic_today(patient.clinic)
    return authorize(
        patient, therapist, scopes=Scope.values, expires_on=today + dt.timedelta(days=2)
    )


def test_authorisation_is_in_force_until_the_end_of_its_last_day(
    client, therapist, patient, expiring_soon
):
    with time_machine.travel(expiring_soon.expires_at - dt.timedelta(minutes=1)):
        client.force_login(therapist)
        assert client.get(shared_url(patient)).status_code == OK


def test_expired_authorisation_shows_nothing(client, therapist, patient, expiring_soon):
    with time_machine.travel(expiring_soon.expires_at + dt.timedelta(minutes=1)):
        client.force_login(therapist)

        assert client.get(shared_url(patient)).status_code == MISSING
        assert client.get(reverse("therapist_home")).context["caseload"] == []
        api = client.get(assessments_url(patient), headers=bearer(therapist))
        assert api.status_code == MISSING


# --- Revoked ------------------------------------------------------------------------------


def test_revoked_therapist_gets_404_on_next_request(
    client, therapist, patient, patient_user, all_scopes
):
    client.force_login(therapist)
    assert client.get(shared_url(patient)).status_code == OK
    patient_client = Client()
    patient_client.force_login(patient_user)
    patient_client.post(reverse("sharing:portal_revoke", args=[all_scopes.external_id]))

    assert client.get(shared_url(patient)).status_code == MISSING
    assert client.get(reverse("therapist_home")).context["caseload"] == []


def test_revoked_therapist_gets_404_from_the_api_on_next_request(
    client, therapist, patient, patient_user, all_scopes
):
    headers = bearer(therapist)
    assert client.get(assessments_url(patient), headers=headers).status_code == OK
    revoke(all_scopes, patient_user)

    assert client.get(assessments_url(patient), headers=headers).status_code == MISSING


def test_revoked_therapists_calendar_feed_is_empty_on_next_fetch(
    client, therapist, patient, patient_user, all_scopes, dosing
):
    assert len(feed_events(client, therapist)) == 1
    revoke(all_scopes, patient_user)

    assert feed_events(client, therapist) == []


def test_expired_authorisation_empties_the_calendar_feed(
    client, therapist, patient, expiring_soon, dosing
):
    with time_machine.travel(expiring_soon.expires_at + dt.timedelta(minutes=1)):
        assert feed_events(client, therapist) == []


def test_revoking_one_authorisation_leaves_another_in_force(
    client, therapist, patient, patient_user
):
    measures = authorize(patient, therapist, scopes=[Scope.MEASURES])
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    revoke(measures, patient_user)
    client.force_login(therapist)

    content = client.get(shared_url(patient)).content.decode()

    assert ALERTS_SECTION in content
    assert MEASURES_SECTION not in content


# --- A different patient ------------------------------------------------------------------


def test_authorisation_for_a_different_patient_opens_only_that_patient(
    client, therapist, coordinator, patient, other_patient
):
    authorize(other_patient, therapist, scopes=Scope.values, by=coordinator)
    client.force_login(therapist)

    assert client.get(shared_url(patient)).status_code == MISSING
    assert client.get(shared_url(other_patient)).status_code == OK
    caseload = client.get(reverse("therapist_home")).context["caseload"]
    assert [entry.patient for entry in caseload] == [other_patient]
    api = client.get(assessments_url(patient), headers=bearer(therapist))
    assert api.status_code == MISSING


def test_authorisation_for_another_therapist_opens_nothing(client, therapist, patient):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None, email="tess@example.org")
    authorize(patient, colleague, scopes=Scope.values)
    client.force_login(therapist)

    assert client.get(shared_url(patient)).status_code == MISSING


# --- Staff-only pages stay closed to an authorised therapist ------------------------------


@pytest.fixture
def fillers(clinic, patient, clinician, therapist, all_scopes):
    """A value for each URL parameter: records of the authorised patient (an episode with
    this very therapist, and its dosing session), and the very authorisation (and its
    signature) that lets the therapist in."""
    version = services.current_version(clinic, DocumentKind.TREATMENT)
    episode = open_episode(patient, clinician, therapist=therapist)
    session = plan_session(episode, clinician)
    return {
        "episode_id": episode.external_id,
        "session_id": session.external_id,
        "appointment_id": session.appointment.external_id,
        "patient_id": patient.external_id,
        "request_id": ConsultationRequestFactory(clinic=clinic).external_id,
        "alert_id": raise_alert(clinician, patient).external_id,
        "instrument": "phq9",
        # referrals: one about this very patient, held for review
        "referral_id": referral_for_review(clinic, by=clinician, candidates=[patient]).external_id,
        "authorization_id": all_scopes.external_id,
        "signature_id": all_scopes.signature.external_id,
        "document_id": version.document.external_id,
        "version_id": version.external_id,
        "room_id": RoomFactory(clinic=clinic).external_id,
        "price_id": cost.price_list(clinic)[0].external_id,  # cost
        # portal and journal: shared with them, still only the patient's page
        "entry_id": journal_entry(patient, shared_with=therapist).external_id,
        # therapists directory: another therapist's entry, with a certificate
        "therapist_id": add_therapist(clinician, training_certificate=certificate()).external_id,
        # the register's DEA records: a lot, an inventory, a theft or loss report
        **{
            name: value
            for each in [
                *dea_records(clinic, clinician).values(),
                *billing_records(clinic, episode, clinician).values(),
            ]
            for name, value in each.items()
        },
        # patient education: the clinic's page, and a topic of the portal's
        "page_id": education_page(clinic).external_id,
        "topic": "after-care",
        # the clinic's de-identified research dataset, built
        "export_id": built_research_export(clinic, clinician),
    }


@pytest.mark.parametrize(
    "url_name",
    sorted(
        name
        for name, (_, expected) in MATRIX.items()
        if expected["therapist"] in (DENIED, MISSING) and name not in THERAPIST_PAGES
    ),
)
def test_authorised_therapist_is_still_refused_every_clinic_page(
    client, therapist, fillers, url_name
):
    params = url_parameters()[url_name]
    unknown = params - set(fillers)
    assert not unknown, f"teach this test to fill {unknown} for {url_name}"
    client.force_login(therapist)

    response = client.get(reverse(url_name, kwargs={p: fillers[p] for p in params}))

    assert response.status_code in (DENIED, MISSING), url_name


def test_the_loop_over_the_matrix_covers_the_patient_pages():
    names = {n for n, (_, e) in MATRIX.items() if e["therapist"] in (DENIED, MISSING)}
    assert {"patients:chart", "screening:detail", "measures:alert"} <= names


# --- Disclosures --------------------------------------------------------------------------


def test_opening_a_shared_record_is_logged_as_a_disclosure(client, therapist, patient, all_scopes):
    client.force_login(therapist)

    client.get(shared_url(patient))

    entry = AccessLogEntry.objects.filter(actor=therapist, patient=patient).latest("id")
    assert entry.action == AccessAction.DISCLOSE
    assert entry.channel == Channel.WEB


def test_listing_at_home_is_logged_as_a_disclosure(client, therapist, patient, all_scopes):
    client.force_login(therapist)

    client.get(reverse("therapist_home"))

    entry = AccessLogEntry.objects.filter(actor=therapist, patient=patient).latest("id")
    assert entry.action == AccessAction.DISCLOSE


def test_reading_measures_through_the_api_is_logged_as_a_disclosure(
    client, therapist, patient, all_scopes
):
    client.get(assessments_url(patient), headers=bearer(therapist))

    entry = AccessLogEntry.objects.filter(actor=therapist, patient=patient).latest("id")
    assert (entry.action, entry.channel) == (AccessAction.DISCLOSE, Channel.API)


def test_every_therapist_read_is_a_disclosure_and_nothing_else(
    client, therapist, patient, all_scopes
):
    client.force_login(therapist)
    client.get(reverse("therapist_home"))
    client.get(shared_url(patient))
    client.get(assessments_url(patient), headers=bearer(therapist))

    actions = set(AccessLogEntry.objects.filter(actor=therapist).values_list("action", flat=True))

    assert actions == {AccessAction.DISCLOSE}


def test_patient_sees_the_therapists_reads_under_who_viewed_my_record(
    client, therapist, patient, patient_user, all_scopes
):
    client.force_login(therapist)
    client.get(shared_url(patient))
    client.force_login(patient_user)

    response = client.get(reverse("audit:my_access_log"))

    content = response.content.decode()
    assert therapist.full_name in content
    assert "Disclosed" in content


def test_a_refused_therapist_leaves_no_disclosure_only_the_refusal(client, therapist, patient):
    client.force_login(therapist)
    client.get(shared_url(patient))

    actions = AccessLogEntry.objects.filter(patient=patient, actor=therapist)
    assert list(actions.values_list("action", flat=True)) == [AccessAction.REFUSED]


# --- Emails -------------------------------------------------------------------------------


def test_emails_to_the_therapist_never_name_the_patient(
    client, patient, patient_user, mailoutbox, django_capture_on_commit_callbacks
):
    new_therapist = UserFactory.build(full_name="Nina Newcomer", email="nina@practice.example")
    with django_capture_on_commit_callbacks(execute=True):
        authorization = authorize(patient, new_therapist, scopes=Scope.values)
        revoke(authorization, patient_user)

    to_therapist = [m for m in mailoutbox if m.to == ["nina@practice.example"]]
    assert len(to_therapist) == 3  # the invitation, access granted, access ended
    for message in to_therapist:
        text = f"{message.subject}\n{message.body}"
        assert patient.given_name not in text
        assert patient.family_name not in text
        assert str(patient.external_id) not in text


def test_a_new_therapist_is_invited_as_a_therapist_outside_any_clinic(patient):
    new_therapist = UserFactory.build(full_name="Nina Newcomer", email="nina@practice.example")

    authorization = authorize(patient, new_therapist, scopes=[Scope.MEASURES])

    account = authorization.therapist
    assert (account.email, account.role, account.clinic_id) == (
        "nina@practice.example",
        Role.THERAPIST,
        None,
    )
    # …and exists only as the clinic's directory entry until they accept the invitation.
    assert account.therapist_profiles.get().clinic_id == patient.clinic_id
    assert not account.has_usable_password()


# --- Queries do not grow ------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == OK
    return len(queries)


def test_home_runs_the_same_queries_for_one_patient_or_many(
    client, clinic, coordinator, therapist, patient, django_assert_max_num_queries
):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    client.force_login(therapist)
    client.get(reverse("therapist_home"))  # the session is settled
    one = _queries(client, reverse("therapist_home"))
    for _ in range(4):
        other = PatientFactory(clinic=clinic)
        authorize(other, therapist, scopes=[Scope.MEASURES], by=coordinator)
        authorize(other, therapist, scopes=[Scope.SCHEDULE], by=coordinator)

    with django_assert_max_num_queries(one):
        response = client.get(reverse("therapist_home"))

    assert len(response.context["caseload"]) == 5
    # session, user, authorisations, log, unread, session save; attention: 7
    assert one <= 15


def test_shared_record_runs_the_same_queries_however_long_the_record(
    client, therapist, clinician, patient, patient_user, django_assert_max_num_queries
):
    authorize(patient, therapist, scopes=Scope.values)
    raise_alert(clinician, patient)
    client.force_login(therapist)
    client.get(shared_url(patient))
    one = _queries(client, shared_url(patient))
    for _ in range(4):
        raise_alert(clinician, patient)
        authorize(patient, therapist, scopes=Scope.values)
    revoke(SharingAuthorization.objects.filter(patient=patient).first(), patient_user)

    with django_assert_max_num_queries(one):
        response = client.get(shared_url(patient))

    assert response.content.decode().count("Not yet reviewed") == 5
