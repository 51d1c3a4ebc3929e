"""Who may do what: the one place that decides.

Every view and API endpoint asks `can(user, action, obj)` (or uses `visible_patients` to
scope a query) before it touches data. Rules:

- Clinic staff (coordinator, clinician, admin) act only within their own clinic.
- A patient sees only their own record.
- An outside therapist sees nothing until a patient authorises sharing (issue 4 opens
  that door, scope by scope, here).
- Object-level refusals are answered as "not found" by the callers, so a user cannot
  learn that another clinic's record exists.
"""

from enum import StrEnum

from kapcare.accounts.models import Role
from kapcare.patients.models import Patient


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
    # Measures and screening (issue 3)
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
    USE_API_TOKENS = "accounts.use_api_tokens"


STAFF = frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN})

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
    Action.VIEW_ASSESSMENTS: STAFF | {Role.PATIENT},
    Action.COMPLETE_OWN_QUESTIONNAIRE: frozenset({Role.PATIENT}),
    Action.ENTER_ASSESSMENT_FOR_PATIENT: STAFF,
    Action.SEND_QUESTIONNAIRE_LINK: STAFF,
    Action.RECORD_LICENSED_SCALE: frozenset({Role.CLINICIAN}),
    Action.VIEW_SAFETY_ALERTS: frozenset({Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN}),
    # Only a clinician may close a safety alert, and only by recording what was done.
    Action.REVIEW_SAFETY_ALERT: frozenset({Role.CLINICIAN}),
    Action.VIEW_MEDICAL_SCREENING: STAFF | {Role.PATIENT},
    Action.FILL_OWN_MEDICAL_HISTORY: frozenset({Role.PATIENT}),
    Action.COMPLETE_MEDICAL_SCREENING: frozenset({Role.CLINICIAN}),
    Action.DECIDE_ELIGIBILITY: frozenset({Role.CLINICIAN}),
    Action.MANAGE_SCREENING_CATALOGUE: frozenset({Role.ADMIN}),
    Action.USE_API_TOKENS: STAFF | {Role.THERAPIST, Role.PATIENT},
}


def can(user, action: Action, obj=None) -> bool:
    """May `user` do `action` (on `obj`, when the action concerns one record)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role not in ROLE_ACTIONS[action]:
        return False
    if obj is None:
        return True
    return _may_touch(user, obj)


def _may_touch(user, obj) -> bool:
    """Object-level check: the record is in the user's reach."""
    if user.role in STAFF:
        return user.clinic_id is not None and _clinic_id_of(obj) == user.clinic_id
    if user.role == Role.PATIENT:
        return _patient_id_of(obj) is not None and _patient_id_of(obj) == _own_patient_id(user)
    return False


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
    return Patient.objects.none()
