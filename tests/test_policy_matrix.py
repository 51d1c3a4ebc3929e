"""Every role against every page: who gets the page, who is refused, who is sent to sign in.

Pages that show one record are also opened by staff of another clinic, who must get 404
(not 403), so that they cannot learn the record exists. The outside therapist has no
sharing authorisation yet and must see nothing. A page added to urls.py without a row
here fails `test_every_page_is_in_the_matrix`.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kapcare import policy
from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.consents.tests.test_documents_fixtures import sign, treatment_document
from kapcare.dosing.tests.test_dea_fixtures import file_loss, stocked, take
from kapcare.education.tests.factories import education_page
from kapcare.journal.tests.factories import journal_entry
from kapcare.messaging.tests.factories import patient_thread
from kapcare.policy import Action
from kapcare.pricing import cost
from kapcare.referrals.tests.factories import referral_for_review
from kapcare.therapists import services as therapists
from kapcare.therapists.tests.directory_factories import certificate
from tests.factories import (
    ConsultationRequestFactory,
    RoomFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
    raise_alert,
)

ROLES = [
    "coordinator",
    "clinician",
    "nurse",
    "clinic_admin",
    "therapist",
    "patient_user",
    "outsider",
]

OK, DENIED, MISSING, HOME = 200, 403, 404, 302


def row(coordinator, clinician, clinic_admin, therapist, patient_user, outsider, *, nurse=None):
    """The answer per role. A nurse gets the clinician's answer unless `nurse` says
    otherwise (`NURSE_DIFFERS`): like a clinician at the bedside, not for the clinician's
    decisions (kapcare/policy.py)."""
    return dict(
        zip(
            ROLES,
            [
                coordinator,
                clinician,
                clinician if nurse is None else nurse,
                clinic_admin,
                therapist,
                patient_user,
                outsider,
            ],
            strict=True,
        )
    )


PATIENT_ONLY = row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)

# url name -> (kwargs builder key, expected status per role). A nurse is refused what is a
# clinician's alone: the licensed scales, the medical screening and eligibility, and (kept
# to the desk and the clinician) a tablet consent and a sharing authorisation taken for the
# patient; elsewhere the nurse gets the clinician's answer.
MATRIX = {
    "home": (None, row(HOME, HOME, HOME, HOME, HOME, HOME)),
    "coordinator_home": (None, row(OK, DENIED, DENIED, DENIED, DENIED, OK)),
    "clinician_home": (None, row(DENIED, OK, DENIED, DENIED, DENIED, DENIED)),
    "admin_home": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "therapist_home": (None, row(DENIED, DENIED, DENIED, OK, DENIED, DENIED)),
    "portal:home": (None, row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "accounts:profile": (None, row(OK, OK, OK, OK, OK, OK)),
    "accounts:password_change": (None, row(OK, OK, OK, OK, OK, OK)),
    # Two-factor sign-in: a signed-in session past the second factor (force_login, see
    # tests/second_factor.py) is sent on from the code page.
    "second_factor:overview": (None, row(OK, OK, OK, OK, OK, OK)),
    "second_factor:enrol": (None, row(OK, OK, OK, OK, OK, OK)),
    "second_factor:verify": (None, row(HOME, HOME, HOME, HOME, HOME, HOME)),
    "clinics:settings": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "people:list": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "patients:list": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "patients:create": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "patients:chart": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "patients:edit": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "patients:body_measurement_create": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "intake:queue": (None, row(OK, DENIED, OK, DENIED, DENIED, OK)),
    "intake:detail": ("request", row(OK, DENIED, OK, DENIED, DENIED, MISSING)),
    # Referrals held for review: the front desk and the admin decide whom they are about.
    "referrals:queue": (None, row(OK, DENIED, OK, DENIED, DENIED, OK)),
    "referrals:detail": ("referral", row(OK, DENIED, OK, DENIED, DENIED, MISSING)),
    "intake:convert": ("request", row(OK, DENIED, OK, DENIED, DENIED, MISSING)),
    "measures:send_link": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "measures:enter": ("patient_instrument", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "measures:portal_questionnaires": (None, row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "follow_up:patient": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "follow_up:portal": (None, PATIENT_ONLY),
    "measures:portal_questionnaire": (
        "instrument",
        row(DENIED, DENIED, DENIED, DENIED, OK, DENIED),
    ),
    "measures:alerts": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "measures:alert": ("alert", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "measures:licensed_scale_create": (
        "patient",
        row(DENIED, OK, DENIED, DENIED, DENIED, DENIED, nurse=DENIED),
    ),
    "screening:detail": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "screening:history": ("patient", row(DENIED, OK, DENIED, DENIED, DENIED, DENIED, nurse=DENIED)),
    "screening:review": ("patient", row(DENIED, OK, DENIED, DENIED, DENIED, DENIED, nurse=DENIED)),
    "screening:eligibility": (
        "patient",
        row(DENIED, OK, DENIED, DENIED, DENIED, DENIED, nurse=DENIED),
    ),
    "screening:health_history": (None, PATIENT_ONLY),
    "screening:catalogue": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:documents": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:new_version": ("document", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:version": ("version", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:portal_consents": (None, PATIENT_ONLY),
    "consents:portal_sign": (None, PATIENT_ONLY),
    "consents:portal_withdraw": ("signature", PATIENT_ONLY),
    "consents:patient_consents": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "consents:tablet_sign": ("patient", row(OK, OK, DENIED, DENIED, DENIED, MISSING, nurse=DENIED)),
    "consents:patient_withdraw": (
        "patient_signature",
        row(OK, OK, OK, DENIED, DENIED, MISSING),
    ),
    "consents:signature_pdf": ("signature", row(OK, OK, OK, DENIED, OK, MISSING)),
    "sharing:portal_list": (None, PATIENT_ONLY),
    "sharing:portal_authorize": (None, PATIENT_ONLY),
    "sharing:portal_revoke": ("authorization", PATIENT_ONLY),
    "sharing:staff_list": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "sharing:staff_authorize": (
        "patient",
        row(OK, OK, DENIED, DENIED, DENIED, MISSING, nurse=DENIED),
    ),
    "sharing:staff_revoke": (
        "patient_authorization",
        row(OK, OK, OK, DENIED, DENIED, MISSING),
    ),
    # Only for a therapist the patient authorised (tests/test_therapist_access.py); the
    # `therapist` persona has no authorisation, so the record "does not exist" for them.
    "sharing:shared_record": ("patient", row(DENIED, DENIED, DENIED, MISSING, DENIED, DENIED)),
    "audit:search": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "audit:my_access_log": (None, row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    # --- episodes ---
    "episodes:create": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "episodes:detail": ("episode", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "conformance:episode": ("episode", row(OK, OK, OK, MISSING, MISSING, MISSING)),
    "conformance:episode_pdf": ("episode", row(OK, OK, OK, MISSING, MISSING, MISSING)),
    "conformance:clinic": (None, row(OK, OK, OK, MISSING, MISSING, OK)),
    "research:download": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "research:exports": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    # Another clinic's admin gets 404 (kapcare/research/tests/test_background.py).
    "research:export_file": ("research_export", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "episodes:edit": ("episode", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "episodes:session_create": ("episode", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "episodes:session_record": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # --- gates ---
    "gates:session": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # --- Today board (the live fragments; the board itself is on /desk/ and /clinical/) ---
    # The front desk, clinicians and nurses follow the day; another clinic's coordinator
    # gets their own clinic's board.
    "today:board": (None, row(OK, OK, DENIED, DENIED, DENIED, OK)),
    "today:gates": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # --- series ---
    "series:plan": ("episode", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # --- feeds ---
    "feeds:my_feed": (None, row(DENIED, DENIED, DENIED, OK, OK, DENIED)),
    "feeds:room_feed": ("room", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    # --- cost ---
    "cost:price_list": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "cost:price_edit": ("price", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    # --- billing: the front desk and the admin handle money, clinicians see it ---
    "billing:coverage": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "billing:patient_estimates": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "billing:estimate_pdf": ("estimate", row(OK, OK, OK, DENIED, OK, MISSING)),
    "billing:clinic_estimates": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "billing:portal_estimates": (None, PATIENT_ONLY),
    "billing:code_table": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "billing:code_edit": ("code", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    # The money reports: the admin and the front desk; the clinic's own account, so they do
    # not exist for a patient or an outside therapist (404).
    "billing:reports": (None, row(OK, DENIED, OK, MISSING, MISSING, OK)),
    "billing:report": ("report", row(OK, DENIED, OK, MISSING, MISSING, OK)),
    "billing:report_csv": ("report", row(OK, DENIED, OK, MISSING, MISSING, OK)),
    # The ledger: staff read it (clinicians see the charges), the patient reads their own
    # in the portal, the therapist nothing; the admin keeps the package products.
    "billing:patient_ledger": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "billing:portal_payments": (None, PATIENT_ONLY),
    "billing:package_products": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    # --- scheduling ---
    "scheduling:day": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "scheduling:week": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "scheduling:rooms": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "scheduling:room_edit": ("room", row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "scheduling:working_hours": (None, row(OK, DENIED, OK, DENIED, DENIED, OK)),
    "scheduling:session": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # --- dosing record ---
    "dosing:record": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # Not signed yet: back to the record (the signed one: dosing/tests/test_record_pdf.py).
    "signing:record_pdf": ("session", row(HOME, HOME, HOME, DENIED, DENIED, MISSING)),
    # --- dose ---
    # --- vitals ---
    "vitals:live": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # --- events ---
    # --- substances ---
    "substances:register": (None, row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    "substances:lot": ("lot", row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    # --- esketamine ---
    # Only a clinician records the REMS enrolment; any staff member sees the REMS forms to
    # send. The session here gives ketamine: its REMS form sends staff back to the record.
    "esketamine:enrolment": (
        "patient",
        row(DENIED, OK, DENIED, DENIED, DENIED, DENIED, nurse=DENIED),
    ),
    "esketamine:forms": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "esketamine:form_pdf": ("session", row(HOME, HOME, HOME, DENIED, DENIED, MISSING)),
    # The DEA records: read and printed by the register's readers; taking an inventory and
    # reporting a loss are the licensed staff's (kapcare/dosing/tests/test_dea_pages.py).
    "substances:register_print": (None, row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    "substances:register_pdf": (None, row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    "substances:inventories": (None, row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    "substances:inventory": ("inventory", row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    "substances:losses": (None, row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    # --- outcomes ---
    # The clinic's outcome figures: its clinicians and its admin (not the front desk, not
    # the bedside); aggregates only, so another clinic's staff are refused by role.
    "outcomes:dashboard": (None, row(DENIED, OK, OK, MISSING, MISSING, DENIED, nurse=DENIED)),
    "outcomes:rates_csv": (None, row(DENIED, OK, OK, MISSING, MISSING, DENIED, nurse=DENIED)),
    "outcomes:durability_csv": (None, row(DENIED, OK, OK, MISSING, MISSING, DENIED, nurse=DENIED)),
    "outcomes:waivers_csv": (None, row(DENIED, OK, OK, MISSING, MISSING, DENIED, nurse=DENIED)),
    "substances:loss": ("loss_report", row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    "substances:loss_pdf": ("loss_report", row(DENIED, OK, OK, DENIED, DENIED, DENIED)),
    # --- discharge ---
    # --- signing ---
    # The patient's own dosing session; the `records` session is planned, so the page says
    # to come back after it (the form itself: kapcare/dosing/tests/test_experience_*.py).
    "signing:experience": ("session", PATIENT_ONLY),
    # --- therapists directory ---
    "therapists:directory": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "therapists:create": (None, row(OK, OK, OK, DENIED, DENIED, OK)),
    "therapists:detail": ("therapist_profile", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "therapists:edit": ("therapist_profile", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    # Also the therapist it describes (kapcare/therapists/tests/test_directory_certificate.py);
    # the `therapist` persona is someone else.
    "therapists:certificate": ("therapist_profile", row(OK, OK, OK, MISSING, DENIED, MISSING)),
    "therapists:find": (None, PATIENT_ONLY),
    # --- invitations ---
    "therapist_account:own_profile": (None, row(DENIED, DENIED, DENIED, OK, DENIED, DENIED)),
    # --- therapist portal ---
    # Only for a therapist under a live authorisation (and named on the episode to record):
    # kapcare/therapists/tests/test_portal_*.py. The `therapist` persona has none: 404.
    "therapist_portal:record_new_session": (
        "patient",
        row(DENIED, DENIED, DENIED, MISSING, DENIED, DENIED),
    ),
    "therapist_portal:record_planned_session": (
        "session",
        row(DENIED, DENIED, DENIED, MISSING, DENIED, DENIED),
    ),
    "therapist_portal:send_questionnaire": (
        "patient",
        row(DENIED, DENIED, DENIED, MISSING, DENIED, DENIED),
    ),
    # --- messaging ---
    # A clinic–patient thread; therapists' threads: kapcare/messaging/tests/test_pages.py.
    "messaging:inbox": (None, row(OK, OK, OK, OK, OK, OK)),
    "messaging:thread": ("thread", row(OK, OK, OK, MISSING, OK, MISSING)),
    "messaging:staff_new": ("patient", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "messaging:therapist_new": ("patient", row(DENIED, DENIED, DENIED, MISSING, DENIED, DENIED)),
    "messaging:portal_new": (None, PATIENT_ONLY),
    # --- portal and journal ---
    # The patient's own journal: not even the clinic reads it (kapcare/journal/tests/).
    "journal:list": (None, PATIENT_ONLY),
    "journal:new": (None, PATIENT_ONLY),
    "journal:edit": ("journal_entry", PATIENT_ONLY),
    "measures:portal_measures": (None, PATIENT_ONLY),  # the patient's own results
    # --- patient education: written by the admin and clinicians, read in the portal ---
    "education:pages": (None, row(DENIED, OK, OK, DENIED, DENIED, DENIED, nurse=DENIED)),
    "education:page": (
        "education_page",
        row(DENIED, OK, OK, DENIED, DENIED, DENIED, nurse=DENIED),
    ),
    "education:new_version": (
        "education_page",
        row(DENIED, OK, OK, DENIED, DENIED, DENIED, nurse=DENIED),
    ),
    "education:portal_list": (None, PATIENT_ONLY),
    "education:portal_page": ("education_topic", PATIENT_ONLY),
    "education:after_care_sheet": ("session", row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "clinic_logo:settings": (None, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
}

# Pages anyone may open, signed in or not.
PUBLIC = {
    "intake:request",
    "intake:thanks",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "index",
    "measures:link",
    "measures:questionnaire_done",
    "feeds:ics",  # the secret token is the credential (kapcare/scheduling/tests/test_feeds.py)
    # --- invitations ---
    # The token in the invitation link is the credential (kapcare/therapists/tests/).
    "therapist_account:accept",
    "healthz",  # no patient data (kapcare/deployment/tests/test_health.py)
    "clinic_logo:image",  # the clinic's logo names no patient (kapcare/clinics/tests/test_logo.py)
}

# Not pages: POST-only actions (covered by their app's tests) and the API (tests/test_api_*).
NOT_PAGES = {
    "audit:export",
    "intake:change_status",
    "people:set_active",
    "patients:invite_to_portal",
    "accounts:revoke_token",
    "accounts:create_token",
    "second_factor:new_recovery_codes",
    # --- gates ---
    "gates:checklist",
    "gates:waive",
    "gates:start",
    # --- check-in (kapcare/episodes/tests/test_check_in.py, dosing/tests/test_today_pages.py) ---
    "check_in:check_in",
    # --- dose ---
    "dose:prescribe",
    "dose:confirm",
    "dose:setting",
    # --- esketamine ---
    "esketamine:prescribe",
    "esketamine:device",
    "esketamine:resolution",
    "esketamine:submission",
    # --- substances ---
    "substances:session_use",
    "substances:receive",
    "substances:correct",
    "substances:loss_submitted",
    # --- vitals ---
    "vitals:record",
    # --- events ---
    "events:dose",
    "events:infusion",
    "events:adverse",
    "events:intervention",
    # --- discharge ---
    "discharge:assessment",
    "discharge:discharge",
    # --- signing ---
    "signing:sign",
    "signing:addendum",
    "signing:summary_save",
    "signing:summary_release",
    # --- therapists directory ---
    "therapists:verify",
    # --- invitations ---
    "therapist_account:invite",
    # --- therapist portal ---
    # --- messaging ---
    # --- portal and journal ---
    "journal:share",
    "journal:unshare",
    # --- patient education (kapcare/education/tests/test_views.py) ---
    "education:mark_read",
    # --- referrals: POST /fhir/r4/, FHIR's API (kapcare/referrals/tests/test_import.py) ---
    "fhir_transaction",
}


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            # The FHIR interface has its own matrix: kapcare/fhir/tests/test_policy.py.
            if entry.namespace in {"admin", "api", "fhir"}:
                continue
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_page_is_in_the_matrix():
    unknown = set(named_patterns()) - set(MATRIX) - PUBLIC - NOT_PAGES
    assert not unknown, f"add these pages to the policy matrix: {sorted(unknown)}"


def with_certificate(therapist, by):
    profile = therapist.therapist_profiles.get(clinic_id=by.clinic_id)
    therapists.update_profile(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        profile=profile,
        data={"training_certificate": certificate()},
    )
    return profile


@pytest.fixture
def records(clinic, patient, clinician, patient_user):
    signature = sign(patient, by=patient_user)
    document = treatment_document(clinic)
    # Given to a colleague, so that the `therapist` persona stays without authorisation.
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorization = authorize(patient, colleague, by=clinician)
    episode = open_episode(patient, clinician, therapist=colleague)
    session = plan_session(episode, clinician, room=RoomFactory(clinic=clinic))
    return {
        "episode": {"episode_id": episode.external_id},
        "session": {"session_id": session.external_id},
        "room": {"room_id": session.appointment.room.external_id},
        "price": {"price_id": cost.price_list(clinic)[0].external_id},  # cost
        "appointment": {"appointment_id": session.appointment.external_id},
        "authorization": {"authorization_id": authorization.external_id},
        "patient_authorization": {
            "patient_id": patient.external_id,
            "authorization_id": authorization.external_id,
        },
        "signature": {"signature_id": signature.external_id},
        "patient_signature": {
            "patient_id": patient.external_id,
            "signature_id": signature.external_id,
        },
        "document": {"document_id": document.external_id},
        "version": {"version_id": document.versions.get().external_id},
        "patient": {"patient_id": patient.external_id},
        "request": {"request_id": ConsultationRequestFactory(clinic=clinic).external_id},
        "alert": {"alert_id": raise_alert(clinician, patient).external_id},
        "patient_instrument": {"patient_id": patient.external_id, "instrument": "phq9"},
        "instrument": {"instrument": "phq9"},
        "referral": {  # referrals
            "referral_id": referral_for_review(
                clinic, by=clinician, candidates=[patient]
            ).external_id
        },
        # --- each area adds its keys below ---
        "journal_entry": {"entry_id": journal_entry(patient).external_id},  # journal
        "thread": {"thread_id": patient_thread(patient, clinician).external_id},  # messaging
        # --- therapists directory ---
        # The colleague's entry, made when the authorisation named them, with a certificate.
        "therapist_profile": {"therapist_id": with_certificate(colleague, clinician).external_id},
        # --- DEA records ---
        **dea_records(clinic, clinician),
        # --- research export ---
        "research_export": {"export_id": built_research_export(clinic, clinician)},
        # --- billing ---
        **billing_records(clinic, episode, clinician),
        # --- patient education ---
        "education_page": {"page_id": education_page(clinic).external_id},
        "education_topic": {"topic": "after-care"},
    }


def billing_records(clinic, episode, clinician) -> dict:
    from kapcare.billing import services as billing

    estimate = billing.issue_estimate(
        actor=Actor(user=clinician, ip_address="127.0.0.1"),
        episode=episode,
        reason="Requested",
        requested=True,
    )
    code = next(iter(billing.code_table(clinic).values()))
    return {
        "estimate": {"estimate_id": estimate.external_id},
        "code": {"code_id": code.external_id},
        "report": {"report_name": "estimates-due"},
    }


def built_research_export(clinic, by):
    from kapcare.research import services
    from kapcare.research.models import ResearchExport

    export = ResearchExport.objects.create(clinic=clinic, requested_by=by)
    services.build(export.pk)
    return export.external_id


def dea_records(clinic, clinician) -> dict:
    stocked(clinic, clinician)
    return {
        "lot": {"lot_number": "KET-2611"},
        "inventory": {"inventory_id": take(clinician, clinic).external_id},
        "loss_report": {"report_id": file_loss(clinician, clinic, {"KET-2611": "5"}).external_id},
    }


@pytest.mark.parametrize("url_name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_the_expected_answer(client, request, records, url_name, role):
    kwargs_key, expected = MATRIX[url_name]
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse(url_name, kwargs=records[kwargs_key] if kwargs_key else None)

    response = client.get(url)

    assert response.status_code == expected[role], f"{role} on {url_name}"


@pytest.mark.parametrize("url_name", sorted(MATRIX))
def test_anonymous_visitor_is_sent_to_sign_in(client, records, url_name):
    kwargs_key, _ = MATRIX[url_name]
    url = reverse(url_name, kwargs=records[kwargs_key] if kwargs_key else None)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_patient_cannot_open_the_clinics_chart_even_their_own(
    client, patient_user, patient, other_patient
):
    client.force_login(patient_user)

    assert client.get(reverse("patients:chart", args=[patient.external_id])).status_code == 403
    assert (
        client.get(reverse("patients:chart", args=[other_patient.external_id])).status_code == 403
    )


def test_each_role_lands_on_its_own_home(
    client, coordinator, clinician, nurse, clinic_admin, therapist, patient_user, patient
):
    homes = {
        coordinator: "/desk/",
        clinician: "/clinical/",
        nurse: "/clinical/",
        clinic_admin: "/clinic-admin/",
        therapist: "/therapist/",
        patient_user: "/portal/",
    }
    for user, path in homes.items():
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] == path


def test_deactivated_staff_are_refused_at_once(client, coordinator, patient):
    client.force_login(coordinator)
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])

    response = client.get(reverse("patients:chart", args=[patient.external_id]))

    assert response.status_code == 302


# --- The nurse's actions on a dosing session (the POST-only ones are not pages above) ------

NURSE_AT_THE_BEDSIDE = [
    Action.VIEW_DOSING_RECORD,
    Action.RECORD_VITALS,
    Action.RECORD_ADVERSE_EVENT,
    Action.CONFIRM_DOSE,
    Action.WITNESS_WASTE,
    Action.RECORD_CONTROLLED_SUBSTANCE,
    Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER,
]
THE_CLINICIANS_DECISIONS = [
    Action.DECIDE_ELIGIBILITY,
    Action.COMPLETE_MEDICAL_SCREENING,
    Action.PRESCRIBE_DOSE,
    Action.WAIVE_GATE,
    Action.START_DOSING_SESSION,
    Action.DISCHARGE_PATIENT,
    Action.SIGN_DOSING_RECORD,
    Action.ADD_ADDENDUM,
]
# Licensed hands only: the front desk may not check, witness or handle ketamine.
CONTROLLED_SUBSTANCE_ACTIONS = [
    Action.CONFIRM_DOSE,
    Action.WITNESS_WASTE,
    Action.RECORD_CONTROLLED_SUBSTANCE,
]


@pytest.fixture
def dosing_session(clinic, patient, clinician):
    return plan_session(
        open_episode(patient, clinician), clinician, room=RoomFactory(clinic=clinic)
    )


@pytest.mark.parametrize("action", NURSE_AT_THE_BEDSIDE, ids=str)
def test_a_nurse_works_at_the_bedside_like_a_clinician(nurse, clinician, dosing_session, action):
    assert policy.can(nurse, action, dosing_session)
    assert policy.can(clinician, action, dosing_session)


@pytest.mark.parametrize("action", THE_CLINICIANS_DECISIONS, ids=str)
def test_a_nurse_does_not_make_the_clinicians_decisions(nurse, clinician, dosing_session, action):
    assert not policy.can(nurse, action, dosing_session)
    assert policy.can(clinician, action, dosing_session)


@pytest.mark.parametrize("action", CONTROLLED_SUBSTANCE_ACTIONS, ids=str)
@pytest.mark.parametrize("role", ["coordinator", "clinic_admin", "therapist", "patient_user"])
def test_only_licensed_people_check_witness_or_handle_ketamine(
    request, dosing_session, action, role
):
    assert not policy.can(request.getfixturevalue(role), action, dosing_session)


def test_a_nurse_of_another_clinic_may_not_touch_the_session(other_clinic, dosing_session):
    stranger = UserFactory(role=Role.NURSE, clinic=other_clinic)

    assert not policy.can(stranger, Action.CONFIRM_DOSE, dosing_session)
