"""Crawl every page that shows a patient's data and check each one left a row in the
access log, naming the patient (or the consultation request) it showed.

Pages are found from urls.py, not listed by hand: any URL with a `patient_id` or
`request_id` in it is crawled, so a page added later is covered without touching this
file. A URL with another kind of id fails the crawl until the crawler learns to fill it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.billing import services as billing
from kapcare.consents.tests.test_documents_fixtures import sign
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord, Drug
from kapcare.journal.tests.factories import journal_entry
from kapcare.messaging.tests.factories import patient_thread
from kapcare.referrals.tests.factories import referral_for_review
from tests.factories import (
    BodyMeasurementFactory,
    ConsultationRequestFactory,
    RoomFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
    raise_alert,
)

# Parameters that name something other than a patient's data.
NOT_RECORD_IDS = {
    "user_id",
    "token_id",
    "uidb64",
    "token",
    "clinic_slug",
    # The clinic's consent documents: no patient data.
    "document_id",
    "version_id",
    # The clinic's rooms and price list: no patient data.
    "room_id",
    "price_id",
    # The therapist directory: no patient data; the entry's page logs the patients
    # its episodes name (kapcare/therapists/tests/test_directory_pages.py).
    "therapist_id",
    "credential",
    # The clinic's DEA records (an inventory, a theft or loss report): no patient data.
    "inventory_id",
    "report_id",
    # A lot of the register names no patient; the lines its page shows log their patients
    # (kapcare/dosing/tests/test_substances_pages.py).
    "lot_number",
    # A de-identified research dataset: no patient named; its build logs an "exported" row
    # per patient and each download its own row (kapcare/research/tests/test_background.py).
    "export_id",
    # The clinic's billing code table: no patient data.
    "code_id",
    # A money report's name, not a record: its rows log each patient they list
    # (kapcare/billing/tests/test_reports.py).
    "report_name",
    # The clinic's education pages: no patient data (the portal's page logs the patient
    # reading it: kapcare/education/tests/test_views.py).
    "page_id",
    "topic",
}

# List pages that show patients without an id in their URL, and who opens them.
LIST_PAGES = {
    "patients:list": "coordinator",
    "coordinator_home": "coordinator",
    "clinician_home": "clinician",
    "portal:home": "patient_user",
    "measures:portal_questionnaires": "patient_user",
    "measures:alerts": "clinician",
    "screening:health_history": "patient_user",
    "consents:portal_consents": "patient_user",
    "consents:portal_sign": "patient_user",
    "audit:my_access_log": "patient_user",
    "journal:list": "patient_user",  # portal and journal
    "measures:portal_measures": "patient_user",  # portal and journal
    "billing:portal_estimates": "patient_user",  # the patient's Good Faith Estimates
    "billing:portal_payments": "patient_user",  # the patient's charges and payments
    "education:portal_list": "patient_user",  # patient education
}


def record_patterns(resolver=None, namespace=""):
    """(url name, parameter names) of every page whose URL names a record."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            # The FHIR interface has its own matrix: kapcare/fhir/tests/test_policy.py.
            if entry.namespace in {"admin", "api", "fhir"}:
                continue
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from record_patterns(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            params = set(getattr(entry.pattern, "converters", {}))
            if params - NOT_RECORD_IDS:
                yield f"{namespace}{entry.name}", params


def test_crawler_finds_the_patient_pages():
    names = {name for name, _ in record_patterns()}
    assert {"patients:chart", "patients:edit", "intake:detail"} <= names


def test_every_record_page_writes_the_access_log(
    client, clinician, coordinator, patient_user, clinic, patient
):
    BodyMeasurementFactory(patient=patient, recorded_by=clinician)
    consultation = ConsultationRequestFactory(clinic=clinic)
    shared_with = UserFactory(role=Role.THERAPIST, clinic=None)
    fillers = {
        "authorization_id": authorize(patient, shared_with, by=clinician).external_id,
        "patient_id": patient.external_id,
        "request_id": consultation.external_id,
        "alert_id": raise_alert(clinician, patient).external_id,
        "instrument": "phq9",
        "signature_id": sign(patient, by=patient_user).external_id,
        "entry_id": journal_entry(patient).external_id,  # portal and journal
        "thread_id": patient_thread(patient, clinician).external_id,  # messaging
        # referrals: one held for review, the patient among its candidates
        "referral_id": referral_for_review(
            clinic, by=coordinator, candidates=[patient]
        ).external_id,
    }
    episode = open_episode(patient, clinician, therapist=shared_with)
    session = plan_session(episode, clinician, room=RoomFactory(clinic=clinic))
    fillers["episode_id"] = episode.external_id
    fillers["session_id"] = session.external_id
    fillers["appointment_id"] = session.appointment.external_id
    # --- billing: an estimate issued on request ---
    fillers["estimate_id"] = billing.issue_estimate(
        actor=Actor(user=coordinator, ip_address="127.0.0.1"),
        episode=episode,
        reason="Requested",
        requested=True,
    ).external_id
    # --- therapist portal: the therapist records their own session, not a dose ---
    therapy = plan_session(episode, clinician, kind="integration")
    per_page = {"therapist_portal:record_planned_session": {"session_id": therapy.external_id}}
    # --- esketamine: the REMS form of a session where esketamine was given ---
    spravato = plan_session(
        episode, clinician, room=RoomFactory(clinic=clinic), starts_at=session.planned_end
    )
    given = recording.record_for(Actor(user=clinician, ip_address="127.0.0.1"), spravato)
    DosingRecord.objects.filter(pk=given.pk).update(
        drug=Drug.ESKETAMINE, dose_mg=56, dose_started_at=spravato.planned_start
    )
    per_page["esketamine:form_pdf"] = {"session_id": spravato.external_id}
    # --- the signed dosing record's PDF: a session dosed, discharged and signed ---
    signed = plan_session(
        episode, clinician, room=RoomFactory(clinic=clinic), starts_at=spravato.planned_end
    )
    done = recording.record_for(Actor(user=clinician, ip_address="127.0.0.1"), signed)
    DosingRecord.objects.filter(pk=done.pk).update(
        dose_started_at=signed.planned_start,
        discharged_at=signed.planned_end,
        signed_at=signed.planned_end,
        signed_by=clinician,
    )
    per_page["signing:record_pdf"] = {"session_id": signed.external_id}
    crawled = []
    for name, params in record_patterns():
        unknown = params - set(fillers)
        assert not unknown, f"teach the crawler to fill {unknown} for {name}"
        url = reverse(name, kwargs={p: fillers[p] for p in params} | per_page.get(name, {}))
        # The patient's own portal pages are opened by the patient; the shared record by the
        # therapist the patient authorised; the front desk's queue by the coordinator; every
        # other record page by a clinician.
        if url.startswith("/portal/"):
            user = patient_user
        elif url.startswith("/shared/"):
            user = shared_with  # the therapist the patient authorised
        elif "request_id" in params or "referral_id" in params:
            user = coordinator
        else:
            user = clinician
        client.force_login(user)
        before = AccessLogEntry.objects.count()

        response = client.get(url)

        if response.status_code == 405:
            continue  # POST-only action; its write is checked by its own tests
        assert response.status_code == 200, f"{name} answered {response.status_code}"
        new_rows = AccessLogEntry.objects.order_by("id")[before:]
        if "request_id" in params:
            logged = any(r.object_id == str(consultation.external_id) for r in new_rows)
        else:
            logged = any(r.patient_id == patient.pk for r in new_rows)
        assert logged, f"{name} did not log"
        assert all(r.actor_id == user.pk and r.ip_address == "127.0.0.1" for r in new_rows)
        crawled.append(name)
    assert len(crawled) >= 4


@pytest.mark.parametrize(("url_name", "persona"), sorted(LIST_PAGES.items()))
def test_list_pages_log_each_patient_shown(client, request, clinician, patient, url_name, persona):
    raise_alert(clinician, patient)  # so that the safety alert list shows the patient
    client.force_login(request.getfixturevalue(persona))
    before = AccessLogEntry.objects.filter(patient=patient).count()

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert AccessLogEntry.objects.filter(patient=patient).count() > before


def test_search_results_are_logged_as_listed(client, coordinator, patient):
    client.force_login(coordinator)

    client.post(reverse("patients:list"), {"query": patient.family_name})

    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert entry.action == AccessAction.LIST
    assert entry.actor_role == "coordinator"
