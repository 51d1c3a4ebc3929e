"""Each role's home page, and the site-wide error pages.

This module sits above the apps: it may import any of them to compose a home page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kapcare import policy
from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor, record_list_access
from kapcare.audit.models import AccessLogEntry
from kapcare.consents.sharing_views import therapist_caseload
from kapcare.context_processors import HOME_URL_NAMES
from kapcare.decorators import allowed
from kapcare.dosing.esketamine.services import rems_forms_for_home
from kapcare.dosing.today.views import board_for_home
from kapcare.episodes.queries import OverdueIntegration, overdue_integrations
from kapcare.intake.models import ConsultationRequest, RequestStatus
from kapcare.measures.alert_views import open_alerts_for_home
from kapcare.patients.models import clinic_patient_count
from kapcare.policy import Action
from kapcare.replica import reads_from_replica
from kapcare.therapists.attention import attention_for

RECENT = 8


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    return redirect("accounts:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home page."""
    return redirect(HOME_URL_NAMES[request.user.role])


def _only(request: HttpRequest, *roles: Role) -> None:
    """Home pages belong to one role each (the clinical home to the clinic's licensed
    clinicians and nurses); another role is sent away with a 403."""
    if request.user.role not in roles:
        raise PermissionDenied


def _recent_patients(request: HttpRequest):
    patients = list(policy.visible_patients(request.user).order_by("-updated_at")[:RECENT])
    record_list_access(Actor.from_request(request), patients)
    return patients


def _integration_overdue(request: HttpRequest) -> list[OverdueIntegration]:
    """Doses of the clinic with no integration session done within the window; listing
    them names the patients, so it is logged (one insert)."""
    overdue = overdue_integrations(request.user.clinic_id, timezone.now())
    record_list_access(Actor.from_request(request), [item.patient for item in overdue])
    return overdue


@allowed(Action.LIST_PATIENTS)
def coordinator_home(request: HttpRequest) -> HttpResponse:
    _only(request, Role.COORDINATOR)
    requests = ConsultationRequest.objects.filter(clinic_id=request.user.clinic_id)
    new_requests = list(requests.filter(status=RequestStatus.NEW).order_by("created_at")[:RECENT])
    return render(
        request,
        "home/coordinator.html",
        {
            "new_requests": new_requests,
            "new_request_count": requests.filter(status=RequestStatus.NEW).count(),
            "recent_patients": _recent_patients(request),
            **open_alerts_for_home(request),
            **board_for_home(request),
            "integration_overdue": _integration_overdue(request),
            "rems_forms": rems_forms_for_home(request.user),
            "can_view_outcomes": policy.can(request.user, Action.VIEW_CLINIC_OUTCOMES),
        },
    )


@allowed(Action.LIST_PATIENTS)
def clinician_home(request: HttpRequest) -> HttpResponse:
    _only(request, Role.CLINICIAN, Role.NURSE)
    return render(
        request,
        "home/clinician.html",
        {
            "recent_patients": _recent_patients(request),
            **open_alerts_for_home(request),
            **board_for_home(request),
            "integration_overdue": _integration_overdue(request),
            "rems_forms": rems_forms_for_home(request.user),
        },
    )


@allowed(Action.MANAGE_CLINIC_SETTINGS)
@reads_from_replica
def admin_home(request: HttpRequest) -> HttpResponse:
    """The clinic admin's overview (staff, patient count, recent access): a report that
    only reads, from the read replica when there is one."""
    clinic = request.user.clinic
    staff = (
        User.objects.filter(clinic_id=clinic.pk)
        .exclude(role=Role.PATIENT)
        .order_by("role", "full_name")
    )
    return render(
        request,
        "home/admin.html",
        {
            "clinic": clinic,
            "staff": staff,
            # A clinic admin sees every patient of the clinic: its kept count, one row.
            "patient_count": clinic_patient_count(clinic.pk),
            "recent_access": AccessLogEntry.objects.filter(clinic_id=clinic.pk)[:RECENT],
        },
    )


# The therapist's patients a page of their home shows.
CASELOAD_PAGE = 50


@allowed(Action.VIEW_SHARED_RECORD)
def therapist_home(request: HttpRequest) -> HttpResponse:
    """The therapist's patients: only those whose live authorisation names this therapist,
    each with what they chose to share and until when, and what needs attention within
    those scopes (`therapists.attention`), those needing it first; `CASELOAD_PAGE`
    patients a page, the newest authorisations first (`cursor`: where the page starts).
    Listing them is a disclosure, logged as such (one row per patient, one insert); a
    fixed number of queries, each reading a page's rows, whatever the caseload."""
    _only(request, Role.THERAPIST)
    cursor = request.GET.get("cursor", "")
    before = int(cursor) if cursor.isdigit() else None
    caseload, following = therapist_caseload(request.user, before=before, size=CASELOAD_PAGE)
    rows = attention_for(request.user, caseload, timezone.now())
    record_list_access(Actor.from_request(request), [entry.patient for entry in caseload])
    return render(
        request,
        "home/therapist.html",
        {
            "caseload": caseload,
            "rows": rows,
            "needing_attention": sum(r.needs_attention for r in rows),
            "later": following,
            "is_first_page": before is None,
            "page_size": CASELOAD_PAGE,
        },
    )


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side; it has been logged."}, status=500
        )
    return render(request, "500.html", status=500)
