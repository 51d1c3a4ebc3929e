"""Who may do what: the one place that decides.

Every view and API endpoint asks `can(user, action, obj)` (or uses `visible_patients` to
scope a query) before it touches data. Rules:

- Clinic staff (coordinator, clinician, nurse, admin) act only within their own clinic.
- A nurse is licensed to work at the bedside: like a clinician for the dosing record's
  bedside parts (vital signs, events, the second check of a dose, witnessing a waste,
  the controlled-substance register), but a nurse does not prescribe, decide
  eligibility, waive a gate, start a dose, discharge or sign the record: those are the
  clinician's (prescriber's) decisions.
- A patient sees only their own record.
- An outside therapist sees a patient only under that patient's live sharing
  authorisation (signed, unexpired, not revoked), and within it only the scopes chosen:
  each therapist action names the scope it needs (`THERAPIST_SCOPES`). The authorisation
  is read from the database on every check, so a revocation takes effect on the next
  request.
- Object-level refusals are answered as "not found" by the callers, so a user cannot
  learn that another clinic's record exists.
"""

from enum import StrEnum

from django.apps import apps
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.patients.models import Patient
from kapcare.scopes import SCOPE_FIELDS, Scope


class Action(StrEnum):
    LIST_PATIENTS = "patients.list"
    CREATE_PATIENT = "patients.create"
    VIEW_PATIENT = "patients.view"
    OPEN_CHART = "patients.open_chart"
    EDIT_PATIENT = "patients.edit"
    RECORD_BODY_MEASUREMENT = "patients.record_body_measurement"
    VIEW_CONSULTATION_QUEUE = "intake.view_queue"
    MANAGE_CONSULTATION_REQUEST = "intake.manage_request"
    SEARCH_ACCESS_LOG = "audit.search"
    VIEW_OWN_ACCESS_LOG = "audit.view_own"
    USE_PATIENT_PORTAL = "portal.use"
    MANAGE_CLINIC_SETTINGS = "clinics.manage_settings"
    MANAGE_CLINIC_STAFF = "accounts.manage_staff"
    INVITE_TO_PORTAL = "patients.invite_to_portal"
    # Measures and screening
    VIEW_ASSESSMENTS = "measures.view"
    COMPLETE_OWN_QUESTIONNAIRE = "measures.complete_own"
    ENTER_ASSESSMENT_FOR_PATIENT = "measures.enter_for_patient"
    SEND_QUESTIONNAIRE_LINK = "measures.send_link"
    RECORD_LICENSED_SCALE = "measures.record_licensed_scale"
    VIEW_SAFETY_ALERTS = "measures.view_alerts"
    REVIEW_SAFETY_ALERT = "measures.review_alert"
    VIEW_MEDICAL_SCREENING = "screening.view"
    FILL_OWN_MEDICAL_HISTORY = "screening.fill_own_history"
    COMPLETE_MEDICAL_SCREENING = "screening.complete"
    DECIDE_ELIGIBILITY = "screening.decide_eligibility"
    MANAGE_SCREENING_CATALOGUE = "screening.manage_catalogue"
    # Consent and sharing
    VIEW_CONSENTS = "consents.view"
    SIGN_OWN_CONSENT = "consents.sign_own"
    WITNESS_CONSENT = "consents.witness"
    WITHDRAW_CONSENT = "consents.withdraw"
    MANAGE_CONSENT_TEMPLATES = "consents.manage_templates"
    VIEW_AUTHORIZATIONS = "consents.view_authorizations"
    AUTHORIZE_SHARING = "consents.authorize_sharing"
    REVOKE_AUTHORIZATION = "consents.revoke_authorization"
    # What an outside therapist sees of a patient who authorised sharing.
    VIEW_SHARED_RECORD = "sharing.view_record"
    VIEW_PATIENT_SAFETY_ALERTS = "sharing.view_safety_alerts"
    VIEW_SCHEDULE = "sharing.view_schedule"
    VIEW_SESSION_SUMMARIES = "sharing.view_session_summaries"
    USE_API_TOKENS = "accounts.use_api_tokens"
    # Course of care
    VIEW_EPISODES = "episodes.view"
    MANAGE_EPISODES = "episodes.manage"
    CHANGE_EPISODE_STATE = "episodes.change_state"
    RECORD_CARE_SESSION = "episodes.record_session"
    VIEW_DOSING_GATES = "episodes.view_gates"
    RECORD_DAY_OF_CHECKLIST = "episodes.record_day_of_checklist"
    WAIVE_GATE = "episodes.waive_gate"
    START_DOSING_SESSION = "episodes.start_dosing_session"
    CHECK_IN_SESSION = "episodes.check_in_session"
    VIEW_TODAY_BOARD = "episodes.view_today_board"
    VIEW_COST_ESTIMATE = "episodes.view_cost_estimate"
    MANAGE_PRICE_LIST = "clinics.manage_price_list"
    VIEW_CLINIC_CALENDAR = "scheduling.view_calendar"
    BOOK_APPOINTMENTS = "scheduling.book"
    MANAGE_ROOMS = "scheduling.manage_rooms"
    MANAGE_WORKING_HOURS = "scheduling.manage_working_hours"
    MANAGE_OWN_CALENDAR_FEED = "scheduling.manage_own_feed"
    # Dosing session
    VIEW_DOSING_RECORD = "dosing.view"
    PRESCRIBE_DOSE = "dosing.prescribe"
    CONFIRM_DOSE = "dosing.confirm_dose"
    RECORD_SET_AND_SETTING = "dosing.record_setting"
    RECORD_VITALS = "dosing.record_vitals"
    RECORD_ADVERSE_EVENT = "dosing.record_event"
    RECORD_CONTROLLED_SUBSTANCE = "dosing.record_controlled_substance"
    WITNESS_WASTE = "dosing.witness_waste"
    VIEW_CONTROLLED_SUBSTANCE_REGISTER = "dosing.view_register"
    TAKE_CONTROLLED_SUBSTANCE_INVENTORY = "dosing.take_inventory"
    REPORT_CONTROLLED_SUBSTANCE_LOSS = "dosing.report_loss"
    DISCHARGE_PATIENT = "dosing.discharge"
    SIGN_DOSING_RECORD = "dosing.sign"
    ADD_ADDENDUM = "dosing.add_addendum"
    EDIT_THERAPIST_SUMMARY = "dosing.edit_summary"
    RECORD_OWN_SESSION_EXPERIENCE = "dosing.record_own_experience"
    VIEW_DRUGS = "dosing.view_drugs"
    RECORD_REMS_ENROLMENT = "dosing.record_rems_enrolment"
    PRESCRIBE_ESKETAMINE = "dosing.prescribe_esketamine"
    GIVE_NASAL_DEVICE = "dosing.give_nasal_device"
    RECORD_EFFECTS_RESOLVED = "dosing.record_effects_resolved"
    VIEW_REMS_FORMS = "dosing.view_rems_forms"
    RECORD_REMS_SUBMISSION = "dosing.record_rems_submission"
    # Therapists and portals
    VIEW_THERAPIST_DIRECTORY = "therapists.view_directory"
    MANAGE_THERAPIST_DIRECTORY = "therapists.manage_directory"
    VERIFY_THERAPIST_CREDENTIAL = "therapists.verify_credential"
    INVITE_THERAPIST = "therapists.invite"
    FIND_A_THERAPIST = "therapists.find"
    EDIT_OWN_THERAPIST_PROFILE = "therapists.edit_own_profile"
    RECORD_THERAPY_SESSION = "therapists.record_session"
    SEND_MEASURE_AS_THERAPIST = "therapists.send_measure"
    VIEW_MESSAGES = "messaging.view"
    SEND_MESSAGE = "messaging.send"
    KEEP_OWN_JOURNAL = "journal.keep_own"
    VIEW_SHARED_JOURNAL = "journal.view_shared"
    # Outcomes and evidence
    VIEW_CLINIC_OUTCOMES = "outcomes.view_clinic"
    CHOOSE_OWN_FOLLOW_UP = "follow_up.choose_own"
    RECORD_FOLLOW_UP_CHOICE = "follow_up.record_choice"
    VIEW_CONFORMANCE = "conformance.view"
    EXPORT_RESEARCH_DATASET = "research.export"
    # FHIR bulk export (kapcare.fhir.bulk): starting one; what it holds is each source's
    # own read action, checked row by row as for any read.
    FHIR_SYSTEM_EXPORT = "fhir.system_export"
    FHIR_PATIENT_EXPORT = "fhir.patient_export"
    # Referrals from other systems
    IMPORT_REFERRAL = "referrals.import"
    REVIEW_REFERRALS = "referrals.review"
    # Money (kapcare/billing)
    VIEW_COVERAGE = "billing.view_coverage"
    RECORD_COVERAGE = "billing.record_coverage"
    VIEW_ESTIMATES = "billing.view_estimates"
    ISSUE_ESTIMATE = "billing.issue_estimate"
    MANAGE_CODE_TABLE = "billing.manage_code_table"
    VIEW_MONEY_REPORTS = "billing.view_reports"
    VIEW_LEDGER = "billing.view_ledger"
    HANDLE_PAYMENTS = "billing.handle_payments"
    MANAGE_PACKAGES = "billing.manage_packages"
    # Patient education (kapcare.education)
    MANAGE_EDUCATION_PAGES = "education.manage_pages"
    READ_OWN_EDUCATION = "education.read_own"
    VIEW_EDUCATION_RECEIPTS = "education.view_receipts"


STAFF = frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.NURSE, Role.ADMIN})
# Licensed to handle ketamine at the bedside (21 CFR 1301.76(a): access to controlled
# substances limited to authorised people; docs/clinical-reference.md#controlled-substances).
LICENSED = frozenset({Role.CLINICIAN, Role.NURSE})

# Which roles may attempt each action at all; object checks below narrow it further.
ROLE_ACTIONS: dict[Action, frozenset[str]] = {
    Action.LIST_PATIENTS: STAFF,
    Action.CREATE_PATIENT: STAFF,
    Action.VIEW_PATIENT: STAFF | {Role.PATIENT},
    # The chart is the clinic's working view; patients see their record in the portal.
    Action.OPEN_CHART: STAFF,
    Action.EDIT_PATIENT: STAFF,
    Action.RECORD_BODY_MEASUREMENT: STAFF,
    Action.VIEW_CONSULTATION_QUEUE: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.MANAGE_CONSULTATION_REQUEST: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.SEARCH_ACCESS_LOG: frozenset({Role.ADMIN}),
    Action.VIEW_OWN_ACCESS_LOG: frozenset({Role.PATIENT}),
    Action.USE_PATIENT_PORTAL: frozenset({Role.PATIENT}),
    Action.MANAGE_CLINIC_SETTINGS: frozenset({Role.ADMIN}),
    Action.MANAGE_CLINIC_STAFF: frozenset({Role.ADMIN}),
    Action.INVITE_TO_PORTAL: STAFF,
    Action.VIEW_ASSESSMENTS: STAFF | {Role.PATIENT, Role.THERAPIST},
    Action.COMPLETE_OWN_QUESTIONNAIRE: frozenset({Role.PATIENT}),
    Action.ENTER_ASSESSMENT_FOR_PATIENT: STAFF,
    Action.SEND_QUESTIONNAIRE_LINK: STAFF,
    Action.RECORD_LICENSED_SCALE: frozenset({Role.CLINICIAN}),
    Action.VIEW_SAFETY_ALERTS: STAFF,
    # Only a clinician may close a safety alert, and only by recording what was done.
    Action.REVIEW_SAFETY_ALERT: frozenset({Role.CLINICIAN}),
    Action.VIEW_MEDICAL_SCREENING: STAFF | {Role.PATIENT},
    Action.FILL_OWN_MEDICAL_HISTORY: frozenset({Role.PATIENT}),
    Action.COMPLETE_MEDICAL_SCREENING: frozenset({Role.CLINICIAN}),
    Action.DECIDE_ELIGIBILITY: frozenset({Role.CLINICIAN}),
    Action.MANAGE_SCREENING_CATALOGUE: frozenset({Role.ADMIN}),
    Action.VIEW_CONSENTS: STAFF | {Role.PATIENT},
    Action.SIGN_OWN_CONSENT: frozenset({Role.PATIENT}),
    # On a clinic tablet: the patient signs, a staff member is present and recorded.
    Action.WITNESS_CONSENT: frozenset({Role.COORDINATOR, Role.CLINICIAN}),
    Action.WITHDRAW_CONSENT: STAFF | {Role.PATIENT},
    Action.MANAGE_CONSENT_TEMPLATES: frozenset({Role.ADMIN}),
    Action.VIEW_AUTHORIZATIONS: STAFF | {Role.PATIENT},
    Action.AUTHORIZE_SHARING: frozenset({Role.PATIENT, Role.COORDINATOR, Role.CLINICIAN}),
    Action.REVOKE_AUTHORIZATION: STAFF | {Role.PATIENT},
    Action.VIEW_SHARED_RECORD: frozenset({Role.THERAPIST}),
    Action.VIEW_PATIENT_SAFETY_ALERTS: STAFF | {Role.THERAPIST},
    Action.VIEW_SCHEDULE: STAFF | {Role.PATIENT, Role.THERAPIST},
    Action.VIEW_SESSION_SUMMARIES: STAFF | {Role.THERAPIST},
    Action.USE_API_TOKENS: STAFF | {Role.THERAPIST, Role.PATIENT},
    # The patient sees their own course (timeline, estimate) in the portal.
    Action.VIEW_EPISODES: STAFF | {Role.PATIENT},
    Action.MANAGE_EPISODES: STAFF,
    Action.CHANGE_EPISODE_STATE: STAFF,
    Action.RECORD_CARE_SESSION: STAFF,
    Action.VIEW_DOSING_GATES: STAFF,
    # Blood pressure and the pregnancy result are clinical findings: a clinician records them.
    Action.RECORD_DAY_OF_CHECKLIST: frozenset({Role.CLINICIAN}),
    # Only a clinician may waive a failing gate, with a written reason, and start a dose.
    Action.WAIVE_GATE: frozenset({Role.CLINICIAN}),
    Action.START_DOSING_SESSION: frozenset({Role.CLINICIAN}),
    # The day at the clinic: the front desk checks patients in as they arrive, clinicians
    # and nurses when they meet them; all three follow the day's sessions on the Today board.
    Action.CHECK_IN_SESSION: frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.NURSE}),
    Action.VIEW_TODAY_BOARD: frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.NURSE}),
    Action.VIEW_COST_ESTIMATE: STAFF | {Role.PATIENT},
    Action.MANAGE_PRICE_LIST: frozenset({Role.ADMIN}),
    Action.VIEW_CLINIC_CALENDAR: STAFF,
    Action.BOOK_APPOINTMENTS: STAFF,
    Action.MANAGE_ROOMS: frozenset({Role.ADMIN}),
    Action.MANAGE_WORKING_HOURS: frozenset({Role.ADMIN, Role.COORDINATOR}),
    Action.MANAGE_OWN_CALENDAR_FEED: frozenset({Role.THERAPIST, Role.PATIENT}),
    # The dosing record is the clinic's medical record, kept by its clinicians; nurses
    # record the bedside parts. The second check of a dose and the witness to a waste are
    # a licensed person other than the prescriber or the drawer, who types their own
    # password at the moment (kapcare/accounts/second_person.py); the front desk may not.
    Action.VIEW_DOSING_RECORD: STAFF,
    Action.PRESCRIBE_DOSE: frozenset({Role.CLINICIAN}),
    Action.CONFIRM_DOSE: LICENSED,
    Action.RECORD_SET_AND_SETTING: frozenset({Role.CLINICIAN}),
    Action.RECORD_VITALS: LICENSED,
    Action.RECORD_ADVERSE_EVENT: LICENSED,
    Action.RECORD_CONTROLLED_SUBSTANCE: LICENSED,
    Action.WITNESS_WASTE: LICENSED,
    Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER: LICENSED | {Role.ADMIN},
    # The DEA records (inventories, theft or loss reports, their submission) are kept by
    # the registrant's licensed staff who handle the ketamine (21 CFR 1301.76(a),
    # 1304.11); the clinic admin reads and prints them, the front desk does not see them.
    Action.TAKE_CONTROLLED_SUBSTANCE_INVENTORY: LICENSED,
    Action.REPORT_CONTROLLED_SUBSTANCE_LOSS: LICENSED,
    Action.DISCHARGE_PATIENT: frozenset({Role.CLINICIAN}),
    Action.SIGN_DOSING_RECORD: frozenset({Role.CLINICIAN}),
    Action.ADD_ADDENDUM: frozenset({Role.CLINICIAN}),
    Action.EDIT_THERAPIST_SUMMARY: frozenset({Role.CLINICIAN}),
    Action.RECORD_OWN_SESSION_EXPERIENCE: frozenset({Role.PATIENT}),
    # Esketamine under its REMS: the clinician enrols, prescribes, watches each device
    # taken and judges the effects resolved (the nurse checks the dose and takes the
    # vitals, as for ketamine). Sending the REMS form is paperwork: the front desk may
    # record it and sees what is overdue, without recording clinical data.
    Action.VIEW_DRUGS: STAFF,
    Action.RECORD_REMS_ENROLMENT: frozenset({Role.CLINICIAN}),
    Action.PRESCRIBE_ESKETAMINE: frozenset({Role.CLINICIAN}),
    Action.GIVE_NASAL_DEVICE: frozenset({Role.CLINICIAN}),
    Action.RECORD_EFFECTS_RESOLVED: frozenset({Role.CLINICIAN}),
    Action.VIEW_REMS_FORMS: STAFF,
    Action.RECORD_REMS_SUBMISSION: LICENSED | {Role.COORDINATOR},
    # The directory is professional information; any staff member may keep it and verify
    # a credential (who and when are recorded). Patients find verified therapists only.
    Action.VIEW_THERAPIST_DIRECTORY: STAFF,
    Action.MANAGE_THERAPIST_DIRECTORY: STAFF,
    Action.VERIFY_THERAPIST_CREDENTIAL: STAFF,
    Action.INVITE_THERAPIST: STAFF,
    Action.FIND_A_THERAPIST: frozenset({Role.PATIENT}),
    Action.EDIT_OWN_THERAPIST_PROFILE: frozenset({Role.THERAPIST}),
    # The therapist records the preparation and integration sessions they run; the clinic
    # records them with `RECORD_CARE_SESSION`.
    Action.RECORD_THERAPY_SESSION: frozenset({Role.THERAPIST}),
    # A questionnaire link (the clinic's mechanism, measures.links) sent from the therapist's
    # portal, within the measures scope: the therapist will read the answers.
    Action.SEND_MEASURE_AS_THERAPIST: frozenset({Role.THERAPIST}),
    Action.VIEW_MESSAGES: STAFF | {Role.PATIENT, Role.THERAPIST},
    Action.SEND_MESSAGE: STAFF | {Role.PATIENT, Role.THERAPIST},
    # The journal is the patient's own: not even the clinic reads it.
    Action.KEEP_OWN_JOURNAL: frozenset({Role.PATIENT}),
    Action.VIEW_SHARED_JOURNAL: frozenset({Role.THERAPIST}),
    # The clinic's outcome figures (aggregates of its own patients, none named): read by
    # its clinicians, who judge the treatment, and its admin, who answers for the clinic.
    Action.VIEW_CLINIC_OUTCOMES: frozenset({Role.CLINICIAN, Role.ADMIN}),
    # Whether long-term follow-up questionnaires are sent: the patient's choice, which
    # staff may record for them (asked by phone or in person).
    Action.CHOOSE_OWN_FOLLOW_UP: frozenset({Role.PATIENT}),
    Action.RECORD_FOLLOW_UP_CHOICE: STAFF,
    # The ASKP3 conformance report is the clinic's account of its own practice: its staff
    # read it (the front desk too, to chase the missing records); no outside therapist or
    # patient.
    Action.VIEW_CONFORMANCE: STAFF,
    # The de-identified dataset of the whole clinic: its admin, like the access log.
    Action.EXPORT_RESEARCH_DATASET: frozenset({Role.ADMIN}),
    # A system export is the whole clinic's data: the clinic admin's. A patient-level
    # export is what the caller may already read, patient by patient.
    Action.FHIR_SYSTEM_EXPORT: frozenset({Role.ADMIN}),
    Action.FHIR_PATIENT_EXPORT: STAFF | {Role.PATIENT, Role.THERAPIST},
    # A referring system posts with the token of the staff member who set up the link: the
    # front desk, a clinician or the admin (a nurse does not register patients from
    # outside). Saying whom an ambiguous referral is about is the front desk's work.
    Action.IMPORT_REFERRAL: frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN}),
    Action.REVIEW_REFERRALS: frozenset({Role.COORDINATOR, Role.ADMIN}),
    # Money: the front desk and the admin handle it; clinicians and nurses see it; the
    # patient sees their own documents; an outside therapist sees none of it. Whoever books
    # may ask the coverage question, which the law asks at scheduling (45 CFR
    # 149.610(b)).
    Action.VIEW_COVERAGE: STAFF,
    Action.RECORD_COVERAGE: STAFF,
    Action.VIEW_ESTIMATES: STAFF | {Role.PATIENT},
    Action.ISSUE_ESTIMATE: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.MANAGE_CODE_TABLE: frozenset({Role.ADMIN}),
    # The clinic's money reports (estimates due or late; the ledger's later): the clinic
    # admin and the front desk, who handle money; every patient they list is logged.
    Action.VIEW_MONEY_REPORTS: frozenset({Role.ADMIN, Role.COORDINATOR}),
    # The ledger: clinicians and nurses see the charges, the front desk and the admin
    # record payments, refunds, packages and voids, the patient reads their own.
    Action.VIEW_LEDGER: STAFF | {Role.PATIENT},
    Action.HANDLE_PAYMENTS: frozenset({Role.COORDINATOR, Role.ADMIN}),
    Action.MANAGE_PACKAGES: frozenset({Role.ADMIN}),
    # Patient education: the clinic's pages are written by its admin and clinicians; a
    # patient reads them in the portal; the staff see who read what (the day-of checklist)
    # and print the after-care page at discharge.
    Action.MANAGE_EDUCATION_PAGES: frozenset({Role.ADMIN, Role.CLINICIAN}),
    Action.READ_OWN_EDUCATION: frozenset({Role.PATIENT}),
    Action.VIEW_EDUCATION_RECEIPTS: STAFF,
}

# Clinic pages that do not exist at all for a role outside the clinic's staff: a patient or
# an outside therapist refused them is answered "not found" (404), like a record out of
# reach, so that they do not learn what the clinic keeps about its practice (issue: the
# outcome figures and the ASKP3 conformance report are the clinic's own account).
NOT_FOUND_FOR: dict[Action, frozenset[str]] = {
    Action.VIEW_CLINIC_OUTCOMES: frozenset({Role.THERAPIST, Role.PATIENT}),
    Action.VIEW_CONFORMANCE: frozenset({Role.THERAPIST, Role.PATIENT}),
    Action.VIEW_MONEY_REPORTS: frozenset({Role.THERAPIST, Role.PATIENT}),
}


# The sharing scope a therapist needs for each action on a patient; None: any live
# authorisation (the patient's name and the authorisation itself). A therapist may do no
# action that is not listed here.
THERAPIST_SCOPES: dict[Action, Scope | None] = {
    Action.VIEW_SHARED_RECORD: None,
    Action.VIEW_ASSESSMENTS: Scope.MEASURES,
    Action.VIEW_PATIENT_SAFETY_ALERTS: Scope.SAFETY_ALERTS,
    Action.VIEW_SCHEDULE: Scope.SCHEDULE,
    Action.VIEW_SESSION_SUMMARIES: Scope.SESSION_SUMMARIES,
    Action.SEND_MEASURE_AS_THERAPIST: Scope.MEASURES,
    # Working with the patient at all needs a live authorisation; which scopes it names
    # governs what the therapist reads, not whether they may record their own sessions,
    # write to the clinic about the patient or read what the patient chose to give them.
    Action.RECORD_THERAPY_SESSION: None,
    Action.VIEW_MESSAGES: None,
    Action.SEND_MESSAGE: None,
    Action.VIEW_SHARED_JOURNAL: None,
    # Any live authorisation; each exported row needs its own scope besides.
    Action.FHIR_PATIENT_EXPORT: None,
}

# What a therapist may do about their own account, touching no patient.
THERAPIST_OWN_ACTIONS = frozenset(
    {Action.USE_API_TOKENS, Action.MANAGE_OWN_CALENDAR_FEED, Action.EDIT_OWN_THERAPIST_PROFILE}
)


def can(user, action: Action, obj=None) -> bool:
    """May `user` do `action` (on `obj`, when the action concerns one record)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role not in ROLE_ACTIONS[action]:
        return False
    if user.role == Role.THERAPIST and action not in THERAPIST_SCOPES:
        return action in THERAPIST_OWN_ACTIONS and obj is None
    if obj is None:
        return True
    return _may_touch(user, action, obj)


def refused_as_not_found(user, action: Action) -> bool:
    """Whether refusing `user` the whole of `action` answers 404 rather than 403
    (`NOT_FOUND_FOR`). Only for a refusal: ask `can` first."""
    return getattr(user, "role", None) in NOT_FOUND_FOR.get(action, frozenset())


def _may_touch(user, action: Action, obj) -> bool:
    """Object-level check: the record is in the user's reach."""
    if user.role in STAFF:
        return user.clinic_id is not None and _clinic_id_of(obj) == user.clinic_id
    if user.role == Role.PATIENT:
        if getattr(obj, "hidden_from_patient", False):
            return False
        return _patient_id_of(obj) is not None and _patient_id_of(obj) == _own_patient_id(user)
    if user.role == Role.THERAPIST:
        patient_id = _patient_id_of(obj)
        if patient_id is None:
            return False
        # A record that names a therapist (an episode, a message thread, a shared journal
        # entry) is open only to that therapist, even among those the patient authorised.
        if hasattr(obj, "therapist_id") and obj.therapist_id != user.pk:
            return False
        authorizations = _live_authorizations(user).filter(patient_id=patient_id)
        scope = THERAPIST_SCOPES[action]
        if scope is not None:
            authorizations = authorizations.with_scope(scope)
        return authorizations.exists()
    return False


def _live_authorizations(therapist):
    # By name: the consents app sits above policy in the import graph.
    SharingAuthorization = apps.get_model("consents", "SharingAuthorization")
    return SharingAuthorization.objects.live(timezone.now()).filter(therapist_id=therapist.pk)


def shared_scopes(therapist, patient) -> frozenset[str]:
    """The scopes of every live authorisation `patient` has given `therapist`, in one
    query (empty for anyone else)."""
    if therapist is None or not therapist.is_authenticated or therapist.role != Role.THERAPIST:
        return frozenset()
    rows = (
        _live_authorizations(therapist).filter(patient_id=patient.pk).values(*SCOPE_FIELDS.values())
    )
    return frozenset(scope for row in rows for scope, field in SCOPE_FIELDS.items() if row[field])


def _clinic_id_of(obj) -> int | None:
    if hasattr(obj, "clinic_id"):
        return obj.clinic_id
    patient = getattr(obj, "patient", None)
    return patient.clinic_id if patient is not None else None


def _patient_id_of(obj) -> int | None:
    if isinstance(obj, Patient):
        return obj.pk
    return getattr(obj, "patient_id", None)


def _own_patient_id(user) -> int | None:
    record = getattr(user, "patient_record", None)
    return record.pk if record is not None else None


def visible_patients(user):
    """The patients `user` may see, as a queryset to filter further."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.role in STAFF and user.clinic_id is not None:
        return Patient.objects.filter(clinic_id=user.clinic_id)
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user_id=user.pk)
    if user.role == Role.THERAPIST:
        return Patient.objects.filter(pk__in=_live_authorizations(user).values("patient_id"))
    return Patient.objects.none()


def patients_for(user, action: Action):
    """The patients on whom `user` may do `action`, as a queryset: `can(user, action,
    patient)` in set form, for reads that span many patients at once (a FHIR search, an
    export). A therapist's reach is their live authorisations naming the action's scope,
    read at the moment of the query, so a revocation takes effect on the next request."""
    if not can(user, action):
        return Patient.objects.none()
    if user.role in STAFF:
        return visible_patients(user)
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user_id=user.pk)
    if user.role == Role.THERAPIST:
        authorizations = _live_authorizations(user)
        scope = THERAPIST_SCOPES.get(action)
        if scope is not None:
            authorizations = authorizations.with_scope(scope)
        return Patient.objects.filter(pk__in=authorizations.values("patient_id"))
    return Patient.objects.none()


def can_read_therapist_profile(user, profile) -> bool:
    """A directory entry (and its training certificate) is open to staff of the clinic
    whose directory lists it, and to the therapist it describes."""
    if can(user, Action.VIEW_THERAPIST_DIRECTORY, profile):
        return True
    return can(user, Action.EDIT_OWN_THERAPIST_PROFILE) and profile.user_id == user.pk


def may_use_developer_tools(user) -> bool:
    """Django's admin site and the API's interactive documentation: a signed-in clinic
    admin or superuser. The admin site then applies its own `is_staff` and model
    permissions; this only decides who may learn that these pages exist."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role == Role.ADMIN
