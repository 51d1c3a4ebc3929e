"""The screening page, the chart's section and timeline, the portal card, and every role on
every screening page (with its access-log row)."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.screening import chart, portal, rules, services, timeline
from kapcare.screening.tests.conftest import actor, history_data

OK, DENIED, MISSING = 200, 403, 404

ROLES = ["coordinator", "clinician", "clinic_admin", "therapist", "patient_user", "outsider"]


def row(*statuses):
    """Expected status per persona, in the order of ROLES (as tests/test_policy_matrix.py)."""
    return dict(zip(ROLES, statuses, strict=True))


# url name -> (takes the patient's id?, expected status per persona). The same rows are
# proposed for tests/test_policy_matrix.py.
PAGES = {
    "screening:detail": (True, row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "screening:history": (True, row(DENIED, OK, DENIED, DENIED, DENIED, DENIED)),
    "screening:review": (True, row(DENIED, OK, DENIED, DENIED, DENIED, DENIED)),
    "screening:eligibility": (True, row(DENIED, OK, DENIED, DENIED, DENIED, DENIED)),
    "screening:health_history": (False, row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "screening:catalogue": (False, row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
}
ROLE_CASES = [(name, persona) for name, (_, expected) in PAGES.items() for persona in expected]


def url_for(name, patient):
    takes_patient, _ = PAGES[name]
    return reverse(name, args=[patient.external_id] if takes_patient else None)


@pytest.mark.parametrize(("url_name", "persona"), ROLE_CASES)
def test_each_role_gets_the_expected_answer(client, request, patient, url_name, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(url_for(url_name, patient))

    assert response.status_code == PAGES[url_name][1][persona]


@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_anonymous_visitor_is_sent_to_sign_in(client, patient, url_name):
    response = client.get(url_for(url_name, patient))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [
        ("screening:detail", "coordinator"),
        ("screening:detail", "clinician"),
        ("screening:detail", "clinic_admin"),
        ("screening:history", "clinician"),
        ("screening:review", "clinician"),
        ("screening:eligibility", "clinician"),
        ("screening:health_history", "patient_user"),
    ],
)
def test_every_page_showing_a_screening_logs_the_access(
    client, request, patient, completed_screening, url_name, persona
):
    completed_screening(patient)
    user = request.getfixturevalue(persona)
    client.force_login(user)
    before = AccessLogEntry.objects.count()

    client.get(url_for(url_name, patient))

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.patient_id, r.actor_id) for r in rows] == [
        (AccessAction.VIEW, patient.pk, user.pk)
    ]
    assert rows[0].ip_address == "127.0.0.1"


@pytest.mark.parametrize("whose", ["patient", "other_patient"])
def test_patients_use_the_portal_not_the_staff_screening_page(
    client, request, patient_user, submit_history, whose
):
    someone = request.getfixturevalue(whose)
    submit_history(someone)
    client.force_login(patient_user)
    before = set(AccessLogEntry.objects.values_list("pk", flat=True))

    response = client.get(reverse("screening:detail", args=[someone.external_id]))

    assert response.status_code == 403
    added = AccessLogEntry.objects.exclude(pk__in=before)
    assert list(added.values_list("action", "patient_id")) == [(AccessAction.REFUSED, someone.pk)]


# --- The screening page -----------------------------------------------------------------------


def test_coordinator_reads_the_screening_without_the_clinicians_actions(
    client, coordinator, patient, completed_screening
):
    completed_screening(patient, present={"controlled_hypertension"})
    client.force_login(coordinator)

    response = client.get(reverse("screening:detail", args=[patient.external_id]))

    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Hypertension, controlled on treatment" in html
    assert "Signed by Cal Clinician, CRNA" in html
    assert "124/78 mmHg" in html
    assert reverse("screening:review", args=[patient.external_id]) not in html
    assert reverse("screening:eligibility", args=[patient.external_id]) not in html


def test_clinician_gets_the_actions_on_the_screening_page(
    client, clinician, patient, submit_history
):
    submit_history(patient)
    client.force_login(clinician)

    html = client.get(reverse("screening:detail", args=[patient.external_id])).content.decode()

    assert reverse("screening:review", args=[patient.external_id]) in html
    assert reverse("screening:eligibility", args=[patient.external_id]) in html
    assert "Awaiting review" in html


def test_screening_page_lists_every_version(client, clinician, patient, submit_history):
    submit_history(patient)
    submit_history(patient)
    client.force_login(clinician)

    response = client.get(reverse("screening:detail", args=[patient.external_id]))

    assert [v.version for v in response.context["versions"]] == [2, 1]
    assert response.context["screening"].version == 2


def test_screening_page_query_count_does_not_grow(
    client, clinician, patient, completed_screening, django_assert_max_num_queries
):
    completed_screening(
        patient, medications=[(f"Medicine {n}", "1 mg", "daily") for n in range(10)]
    )
    for _ in range(4):
        services.decide_eligibility(
            actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
        )
    client.force_login(clinician)

    with django_assert_max_num_queries(17):
        response = client.get(reverse("screening:detail", args=[patient.external_id]))

    assert response.status_code == 200


# --- The chart --------------------------------------------------------------------------------


def chart_html(client, patient):
    return client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()


def test_chart_says_not_screened_in_words(client, clinician, patient):
    client.force_login(clinician)

    html = chart_html(client, patient)

    assert '<span class="badge badge-new">Not screened</span>' in html
    assert "No health history yet" in html


def test_chart_marks_unreviewed_answers_as_reported(client, clinician, patient, submit_history):
    submit_history(patient, present={"active_psychosis"})
    client.force_login(clinician)

    html = chart_html(client, patient)

    assert "As reported, not yet confirmed:" in html
    assert '<span class="badge badge-danger">Absolute</span> Active psychosis' in html
    assert "awaiting a clinician" in html


def test_chart_shows_the_decision_its_clinician_and_what_was_found(
    client, clinician, patient, completed_screening
):
    completed_screening(
        patient,
        present={"psychotic_disorder_history"},
        medications=[("Lamictal", "200 mg", "daily")],
    )
    services.decide_eligibility(
        actor=actor(clinician),
        patient=patient,
        decision=rules.ELIGIBLE_WITH_CONDITIONS,
        conditions="Psychiatry review before the third dose",
        justification="Remote single episode",
    )
    client.force_login(clinician)

    html = chart_html(client, patient)

    assert '<span class="badge badge-warn">Eligible with conditions until' in html
    assert "by Cal Clinician, CRNA" in html
    assert '<span class="badge badge-warn">Relative</span> History of a psychotic disorder' in html
    assert "Lamictal 200 mg daily — Lamotrigine" in html
    assert "Psychiatry review before the third dose" in html


@pytest.mark.parametrize(
    ("persona", "review_link", "decide_link"),
    [
        ("clinician", True, True),
        ("coordinator", False, False),
        ("clinic_admin", False, False),
    ],
)
def test_chart_links_only_to_the_pages_each_role_may_open(
    client, request, patient, persona, review_link, decide_link
):
    client.force_login(request.getfixturevalue(persona))

    html = chart_html(client, patient)

    assert reverse("screening:detail", args=[patient.external_id]) in html
    assert (reverse("screening:review", args=[patient.external_id]) in html) is review_link
    assert (reverse("screening:eligibility", args=[patient.external_id]) in html) is decide_link


def test_chart_section_uses_a_fixed_number_of_queries(
    rf, clinician, patient, completed_screening, django_assert_max_num_queries
):
    completed_screening(
        patient, medications=[(f"Medicine {n}", "1 mg", "daily") for n in range(10)]
    )
    for _ in range(5):
        services.decide_eligibility(
            actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
        )
    request = rf.get("/")
    request.user = clinician

    with django_assert_max_num_queries(6):
        context = chart.chart_context(request, patient)
        render_to_string("screening/_chart_section.html", {"section": context})


def test_chart_query_count_is_the_same_for_a_small_and_a_large_record(
    client, clinician, patient, other_patient, completed_screening, submit_history
):
    completed_screening(patient)
    services.decide_eligibility(actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE)
    for _ in range(3):
        completed_screening(
            other_patient,
            present={"controlled_hypertension", "psychotic_disorder_history"},
            medications=[(f"Xanax {n}", "1 mg", "daily") for n in range(10)],
        )
        services.decide_eligibility(
            actor=actor(clinician),
            patient=other_patient,
            decision=rules.ELIGIBLE,
            justification="Weighed and accepted",
        )
    client.force_login(clinician)
    chart_html(client, patient)
    chart_html(client, other_patient)

    counts = []
    for someone in (patient, other_patient):
        with CaptureQueriesContext(connection) as queries:
            chart_html(client, someone)
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- The timeline -----------------------------------------------------------------------------


def test_timeline_has_the_screening_and_each_decision(
    client, clinician, patient, completed_screening
):
    completed_screening(patient)
    services.decide_eligibility(actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE)
    client.force_login(clinician)

    html = chart_html(client, patient)

    assert "Medical screening completed" in html
    assert "Eligibility: Eligible" in html


def test_timeline_provider_uses_two_queries_whatever_the_record(
    patient, clinician, completed_screening, django_assert_num_queries
):
    for _ in range(3):
        completed_screening(patient)
        services.decide_eligibility(
            actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
        )

    with django_assert_num_queries(2):
        events = timeline.screening_events(patient)

    titles = sorted(e.title for e in events)
    assert titles == ["Eligibility: Eligible"] * 3 + ["Medical screening completed"] * 3
    assert all("Signed by Cal Clinician, CRNA" in e.detail for e in events)


def test_an_unfinished_screening_is_not_on_the_timeline(patient, submit_history):
    submit_history(patient)

    assert timeline.screening_events(patient) == []


# --- The portal card --------------------------------------------------------------------------


def card(patient):
    return render_to_string(
        "screening/_portal_card.html", {"card": portal.card_context(None, patient)}
    )


def test_portal_card_asks_for_the_history_first(patient, django_assert_num_queries):
    with django_assert_num_queries(1):
        html = card(patient)

    assert '<span class="badge badge-new">To do</span>' in html
    assert reverse("screening:health_history") in html


def test_portal_card_says_when_the_history_was_sent(patient, submit_history):
    submit_history(patient)

    assert '<span class="badge badge-warn">Sent</span>' in card(patient)


def test_portal_card_says_when_the_clinician_reviewed_it(patient, completed_screening):
    completed_screening(patient)

    assert '<span class="badge badge-ok">Reviewed</span>' in card(patient)


def test_patient_can_send_the_history_from_the_card_link(client, patient_user, patient, clinic):
    client.force_login(patient_user)

    response = client.post(reverse("screening:health_history"), history_data(clinic), follow=True)

    assert "your health history was sent to your clinician" in response.content.decode()
