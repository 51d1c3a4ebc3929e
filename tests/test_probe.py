"""The attacker's probe, repeated on every run: the demo data set, and people who must not
reach its patients' records ask for every page and every API operation with real ids of
those records. Nothing may leak, no write may land, and no answer may be a server error;
staff of the clinic then put hostile input into every field of every form they may post,
and no answer may be a server error either.

The figures of each run go to the end of the pytest report (tests/conftest.py).
How answers are classified: tests/probe.py.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import ApiToken, Role, User
from kapcare.audit.log import Actor
from kapcare.billing.models import BillingCode, GoodFaithEstimate
from kapcare.clinics.models import Clinic, PriceListItem
from kapcare.consents import services as consents
from kapcare.consents.models import ConsentDocument, SharingAuthorization, Signature
from kapcare.demo.build import DEMO_CLINIC_SLUG, OTHER_CLINIC_SLUG, load_demo
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.substances.models import Inventory
from kapcare.dosing.tests.test_dea_fixtures import file_loss
from kapcare.education.tests.factories import education_page
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.intake.models import ConsultationRequest
from kapcare.journal.models import JournalEntry
from kapcare.measures.models import Assessment, SafetyAlert
from kapcare.messaging.models import Thread
from kapcare.patients.models import Patient
from kapcare.referrals.tests.factories import referral_for_review
from kapcare.scheduling.models import Room
from kapcare.therapists.models import TherapistProfile
from tests import probe
from tests.conftest import PROBE
from tests.factories import UserFactory, authorize
from tests.test_policy_matrix import built_research_export

# Fields posted one at a time per form (a sample of the long ones, all of the others).
FIELDS_ALONE = 16

# Markers of the shared record's sections a therapist without the scope must not see.
UNSHARED_SECTIONS = {
    'id="shared-measures-heading"',
    'id="shared-alerts-heading"',
    'id="shared-summaries-heading"',
}


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "probe")
    return {"Authorization": f"Bearer {token}"}


def victims_first(records, victim):
    """The victim's own record if there is one, else another patient's of the same clinic."""
    return records.filter(patient=victim).order_by("pk").first() or records.order_by("pk").first()


class Probe:
    """The demo, its victims' ids and the attackers. Clients answer a crash with its 500,
    as a server would, so that the probe counts it and goes on."""

    def __init__(self):
        load_demo()
        self.victim_clinic = Clinic.objects.get(slug=DEMO_CLINIC_SLUG)
        self.other_clinic = Clinic.objects.get(slug=OTHER_CLINIC_SLUG)
        staff = User.objects.filter(clinic=self.victim_clinic)
        self.clinician = staff.get(email="clinician@demo.kapcare.org")
        self.coordinator = staff.get(email="coordinator@demo.kapcare.org")
        self.admin = staff.get(email="admin@demo.kapcare.org")
        self.victim = Patient.objects.get(user__email="patient@demo.kapcare.org")
        self.fillers, self.per_page = self._fillers()
        self.urls = probe.page_urls(self.fillers, self.per_page)
        self.fhir_urls = probe.fhir_urls(self.victim, self.clinician)
        self.tables = probe.clinic_tables()
        self.today = timezone.now().date()
        self.tally = probe.Tally()

    def _fillers(self):
        clinic, victim = self.victim_clinic, self.victim
        sessions = CareSession.objects.filter(patient__clinic=clinic)
        doses = sessions.filter(kind=SessionKind.DOSING)
        # Under way today: its record's forms (vitals, events, discharge) are open.
        dosing = doses.filter(status=SessionStatus.IN_PROGRESS).first() or victims_first(
            doses, victim
        )
        # The same pages of a dose still planned (its gates) and of one given and signed.
        self.other_doses = [
            victims_first(doses.filter(status=status), victim)
            for status in [SessionStatus.PLANNED, SessionStatus.DONE]
        ]
        therapy = victims_first(sessions.exclude(kind=SessionKind.DOSING), victim)
        document = ConsentDocument.objects.filter(clinic=clinic).first()
        token, _ = ApiToken.issue(self.coordinator, "the coordinator's own")
        profile = TherapistProfile.objects.filter(clinic=clinic).first()
        fillers = {
            "patient_id": victim.external_id,
            "episode_id": dosing.episode.external_id,
            "session_id": dosing.external_id,
            "authorization_id": SharingAuthorization.objects.filter(patient=victim)
            .first()
            .external_id,
            "signature_id": Signature.objects.filter(patient=victim).first().external_id,
            "document_id": document.external_id,
            "version_id": document.versions.first().external_id,
            "room_id": Room.objects.filter(clinic=clinic).first().external_id,
            "price_id": PriceListItem.objects.filter(clinic=clinic).first().external_id,
            "request_id": ConsultationRequest.objects.filter(clinic=clinic).first().external_id,
            "alert_id": victims_first(
                SafetyAlert.objects.filter(patient__clinic=clinic), victim
            ).external_id,
            "instrument": "phq9",
            "instrument_id": "phq9",
            "entry_id": JournalEntry.objects.filter(patient=victim).first().external_id,
            "thread_id": Thread.objects.filter(patient=victim).first().external_id,
            "therapist_id": profile.external_id,
            "credential": "licence",
            "user_id": self.clinician.external_id,
            "token_id": token.external_id,
            "uidb64": "MQ",
            "token": "not-a-real-token",
            "clinic_slug": clinic.slug,
            # The DEA records: the demo's biennial inventory, and a loss filed here.
            "inventory_id": Inventory.objects.filter(clinic=clinic).first().external_id,
            "report_id": file_loss(
                User.objects.get(email="nurse@demo.kapcare.org"),
                clinic,
                {inventory_services.lots_on_hand(clinic.pk)[0].lot_number: "1"},
            ).external_id,
            # A lot of the demo's register, with its lines.
            "lot_number": inventory_services.lots_on_hand(clinic.pk)[0].lot_number,
            # The victim's Good Faith Estimate (a self-pay patient of the demo) and a line
            # of the clinic's code table.
            "estimate_id": GoodFaithEstimate.objects.filter(patient=victim).first().external_id,
            "code_id": BillingCode.objects.filter(clinic=clinic).first().external_id,
            # A money report, by its name (its rows are the asker's own clinic's).
            "report_name": "estimates-due",
            # The clinic's patient education: a page of its guides, and a portal topic.
            "page_id": education_page(clinic).external_id,
            "topic": "after-care",
            # The clinic's de-identified research dataset, built by its admin.
            "export_id": built_research_export(clinic, self.admin),
            # A referral held for review, the victim among its candidates.
            "referral_id": referral_for_review(
                clinic, by=self.coordinator, candidates=[victim]
            ).external_id,
        }
        fillers = {key: str(value) for key, value in fillers.items()}
        per_page = {"therapist_portal:record_planned_session": {"session_id": therapy.external_id}}
        self.therapy_session = therapy
        return fillers, per_page

    def forbidden_for(self, visible_patients) -> set[str]:
        """Every identifier of the demo's patients the persona may not see, and the ids of
        the records the probe asks for."""
        seen = set()
        for patient in visible_patients:
            seen |= probe.identifiers(patient)
        foreign = set()
        for patient in Patient.objects.exclude(pk__in=[p.pk for p in visible_patients]):
            foreign |= probe.identifiers(patient)
        record_ids = {
            value
            for key, value in self.fillers.items()
            if key.endswith("_id") and key not in {"instrument_id", "therapist_id", "user_id"}
        }
        return (foreign | record_ids) - seen

    def personas(self, which: str) -> list[probe.Persona]:
        made = []
        if which == "cross-clinic":
            other = self.other_clinic
            own = list(Patient.objects.filter(clinic=other))
            attackers = list(User.objects.filter(clinic=other, role__in=[Role.ADMIN]))
            attackers += list(User.objects.filter(clinic=other, role=Role.COORDINATOR))
            attackers.append(
                UserFactory(role=Role.CLINICIAN, clinic=other, email="nurse@cumberland.example")
            )
            for user in attackers:
                made.append(
                    probe.Persona(
                        f"{user.role} of another clinic",
                        "cross-clinic",
                        user,
                        bearer(user),
                        forbidden=self.forbidden_for(own),
                    )
                )
        elif which == "cross-role":
            # Another patient of the same clinic, with their own portal account.
            neighbour = Patient.objects.filter(clinic=self.victim_clinic, user=None).last()
            neighbour.user = UserFactory(
                role=Role.PATIENT, clinic=self.victim_clinic, email="neighbour@example.org"
            )
            neighbour.save(update_fields=["user"])
            made.append(
                probe.Persona(
                    "a patient asking for another's records",
                    "cross-role",
                    neighbour.user,
                    bearer(neighbour.user),
                    forbidden=self.forbidden_for([neighbour]),
                )
            )
            made.append(
                probe.Persona(
                    "an anonymous visitor",
                    "anonymous",
                    None,
                    {},
                    forbidden=self.forbidden_for([]),
                )
            )
            made.append(
                probe.Persona(
                    "the clinic's coordinator with an expired token",
                    "expired-token",
                    None,
                    {"Authorization": f"Bearer {self._expired_token()}"},
                    pages=False,
                    forbidden=self.forbidden_for([]),
                )
            )
        elif which == "therapists":
            outside = UserFactory(role=Role.THERAPIST, clinic=None, email="outside@example.org")
            made.append(
                probe.Persona(
                    "an outside therapist with no authorisation",
                    "unauthorised-therapist",
                    outside,
                    bearer(outside),
                    forbidden=self.forbidden_for([]),
                )
            )
            revoked = UserFactory(role=Role.THERAPIST, clinic=None, email="revoked@example.org")
            authorization = authorize(
                self.victim,
                revoked,
                scopes=("schedule", "session_summaries", "measures", "safety_alerts"),
                by=self.clinician,
            )
            headers = bearer(revoked)
            consents.revoke_authorization(
                actor=Actor(user=self.clinician, ip_address="127.0.0.1"),
                authorization=authorization,
            )
            made.append(
                probe.Persona(
                    "a therapist whose authorisation was revoked a second ago",
                    "revoked-therapist",
                    revoked,
                    headers,
                    forbidden=self.forbidden_for([]),
                )
            )
            narrow = UserFactory(role=Role.THERAPIST, clinic=None, email="narrow@example.org")
            authorize(self.victim, narrow, scopes=("schedule",), by=self.clinician)
            unshared = {
                str(a.external_id) for a in Assessment.objects.filter(patient=self.victim)
            } | {str(a.external_id) for a in SafetyAlert.objects.filter(patient=self.victim)}
            # The schedule scope shares the sessions: over FHIR, each Encounter and
            # Appointment carries its own id and names its episode.
            sessions = CareSession.objects.filter(patient=self.victim)
            scheduled = {
                str(value)
                for row in sessions.values_list(
                    "external_id", "episode__external_id", "appointment__external_id"
                )
                for value in row
                if value is not None
            }
            made.append(
                probe.Persona(
                    "a therapist whose authorisation lacks the scope",
                    "scope-lacking-therapist",
                    narrow,
                    bearer(narrow),
                    forbidden=self.forbidden_for([self.victim]) | unshared | UNSHARED_SECTIONS,
                    fhir_shared=scheduled,
                )
            )
        return made

    def _expired_token(self) -> str:
        """A token of the clinic's own coordinator, expired a second ago."""
        token, secret = ApiToken.issue(self.coordinator, "expired")
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        return secret

    def attack(self, persona: probe.Persona) -> None:
        client = Client(raise_request_exception=False)
        if persona.user is not None:
            client.force_login(persona.user)
        headers = persona.api_headers
        before = probe.clinic_digest(self.victim_clinic, self.tables)
        if persona.pages:
            for name, url in sorted(self.urls.items()):
                response = client.get(url)
                probe.judge(self.tally, persona.group, f"GET {name}", response, persona.forbidden)
                fields = self.forms.get(url, {})
                response = probe.post_form(client, url, fields)
                probe.judge(self.tally, persona.group, f"POST {name}", response, persona.forbidden)
        if headers is not None:
            api_client = Client(raise_request_exception=False)
            for operation in probe.api_operations(self.fillers, self.per_operation, self.today):
                response = probe.call(api_client, operation, headers)
                probe.judge(
                    self.tally,
                    persona.group,
                    f"{operation.method} {operation.template}",
                    response,
                    persona.forbidden,
                )
            fhir_forbidden = persona.forbidden - persona.fhir_shared
            for name, url in sorted(self.fhir_urls.items()):
                response = api_client.get(url, headers=headers)
                probe.judge(self.tally, persona.group, f"FHIR {name}", response, fhir_forbidden)
        after = probe.clinic_digest(self.victim_clinic, self.tables)
        for table in probe.changed_tables(before, after):
            self.tally.leaks.append(f"{persona.group} ({persona.name}) changed {table}")

    @property
    def per_operation(self):
        return {
            ("post", "/api/v1/sessions/{session_id}/record"): probe.API_BODIES[
                "TherapySessionRecordIn"
            ]
            | {"held_on": str(self.today)},
        }

    def harvest_forms(self) -> None:
        """The POST forms the clinic's own people see on each page, as the attackers will
        send them back (the victim's values included)."""
        self.forms: dict[str, dict[str, str]] = {}
        self.form_owner: dict[str, User] = {}
        urls = set(self.urls.values())
        for session in filter(None, self.other_doses):
            for name in ["gates:session", "dosing:record"]:
                urls.add(reverse(name, args=[session.external_id]))
        opened = set()
        for user in [self.clinician, self.coordinator, self.admin, self.victim.user]:
            client = Client(raise_request_exception=False)
            client.force_login(user)
            for url in sorted(urls - opened):
                response = client.get(url)
                if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                    continue
                opened.add(url)
                for action, fields in probe.post_forms(response.content.decode(), url).items():
                    self.forms.setdefault(action, fields)
                    self.form_owner.setdefault(action, user)


@pytest.fixture
def attack(db, request):
    built = Probe()
    built.harvest_forms()
    yield built
    request.node.user_properties.append((PROBE, built.tally.as_dict()))


def test_nobody_reaches_another_patients_record(attack):
    for which in ["cross-clinic", "cross-role", "therapists"]:
        for persona in attack.personas(which):
            attack.attack(persona)

    assert sum(attack.tally.attempts.values()) > 100
    assert attack.tally.leaks == []
    assert attack.tally.server_errors == []


def test_hostile_input_in_every_field_is_never_a_server_error(attack):
    """Each form the clinic's own people may post: four posts in which every field holds a
    hostile value (each field each value in turn), then fields one at a time with the others
    left valid, so the value reaches past the form to the service and the database (a
    sample of `FIELDS_ALONE` on the long settings forms). Each string of each API body with
    each hostile value."""
    tally = attack.tally
    bad = list(probe.BAD_VALUES.values())
    for action, fields in sorted(attack.forms.items()):
        if attack.form_owner[action] == attack.victim.user:
            continue  # staff forms here; the patient's own are the portal tests'
        client = Client(raise_request_exception=False)
        client.force_login(attack.form_owner[action])
        names = [name for name in fields if name]
        for turn in range(len(bad)):
            hostile = {name: bad[(i + turn) % len(bad)] for i, name in enumerate(names)}
            response = probe.post_form(client, action, hostile)
            probe.judge(tally, "bad-input", f"POST {action} (every field)", response, set())
        stride = max(1, len(names) // FIELDS_ALONE)
        for index, name in enumerate(names[::stride]):
            value = bad[index % len(bad)]
            response = probe.post_form(client, action, fields | {name: value})
            probe.judge(tally, "bad-input", f"POST {action} {name}", response, set())
    headers = bearer(attack.clinician)
    client = Client(raise_request_exception=False)
    for operation in probe.api_operations(attack.fillers, attack.per_operation, attack.today):
        if not operation.body:
            continue
        names = probe.string_fields(operation.body) or list(operation.body)
        for label, value in probe.BAD_VALUES.items():
            for name in names:
                response = probe.call(client, operation, headers, operation.body | {name: value})
                what = f"{operation.method} {operation.template} {name}={label}"
                probe.judge(tally, "bad-input", what, response, set())

    assert tally.attempts["bad-input"] > 100
    assert tally.server_errors == []


# --- the probe's own judgement, on small data: a probe that cannot see a leak proves nothing


def test_a_foreign_name_in_a_page_is_a_leak_even_html_escaped(db, clinic):
    from django.http import HttpResponse

    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=clinic, given_name="Siobhán", family_name="O'Neill")
    forbidden = probe.identifiers(patient)
    tally = probe.Tally()

    probe.judge(
        tally, "cross-clinic", "page", HttpResponse("<td>Siobhán O&#x27;Neill</td>"), forbidden
    )
    probe.judge(
        tally, "cross-clinic", "refused", HttpResponse("Siobhán O'Neill", status=404), forbidden
    )
    probe.judge(tally, "cross-clinic", "broken", HttpResponse("", status=500), forbidden)

    assert tally.attempts["cross-clinic"] == 3
    assert len(tally.leaks) == 1
    assert tally.leaks[0].startswith("cross-clinic: page -> 200")
    assert tally.server_errors == ["cross-clinic: broken -> 500"]


def test_a_write_to_the_victim_clinic_changes_its_digest_and_not_the_other(
    db, clinic, other_clinic, patient, outsider_patient
):
    tables = probe.clinic_tables()
    before = probe.clinic_digest(clinic, tables)
    other_before = probe.clinic_digest(other_clinic, tables)

    Patient.objects.filter(pk=patient.pk).update(given_name="Changed")

    assert probe.changed_tables(before, probe.clinic_digest(clinic, tables)) == ["patients.patient"]
    assert probe.changed_tables(other_before, probe.clinic_digest(other_clinic, tables)) == []


def test_the_probe_reads_a_forms_fields_as_a_browser_sends_them():
    page = """
    <form method="get" action="/search/"><input name="q" value="no"></form>
    <form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t">
      <input name="name" value="Ann"><input type="checkbox" name="a" value="on" checked>
      <input type="checkbox" name="b" value="on"><textarea name="note">hi</textarea>
      <select name="s"><option value="1">one</option><option value="2" selected>two</option>
      </select><input type="file" name="f"><button type="submit" name="go">Go</button>
    </form>"""

    forms = probe.post_forms(page, "/patients/x/edit/")

    assert forms == {
        "/patients/x/edit/": {"name": "Ann", "a": "on", "b": "", "note": "hi", "s": "2"}
    }
