"""API: patients. The same policy, access helper, form and services as the web pages."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.forms.models import model_to_dict
from django.http import HttpRequest
from ninja import Query, Router

from kapcare import policy
from kapcare.api_pages import page_of
from kapcare.api_schemas import PageQuery
from kapcare.audit.log import Actor, record_list_access
from kapcare.patients import services
from kapcare.patients.access import get_patient
from kapcare.patients.forms import PatientForm
from kapcare.patients.models import Patient
from kapcare.patients.schemas import PatientCreate, PatientOut, PatientPage, PatientPatch
from kapcare.policy import Action

router = Router(tags=["patients"])


def validated(form: PatientForm) -> dict:
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


@router.get("/patients", response=PatientPage, summary="Patients you may see")
def list_patients(request: HttpRequest, query: Query[PageQuery]) -> dict:
    """Staff see their clinic's patients, a patient their own record, in name order, a
    page at a time. Each patient returned is written to the access log."""
    patients = policy.visible_patients(request.user).annotate(
        family_key=Lower("family_name"), given_key=Lower("given_name")
    )
    shown, next_page = page_of(request, patients, ("family_key", "given_key", "id"), query)
    record_list_access(Actor.from_request(request), shown)
    return {"items": shown, "next": next_page}


@router.post("/patients", response={201: PatientOut}, summary="Register a patient")
def create_patient(request: HttpRequest, payload: PatientCreate) -> Patient:
    if not policy.can(request.user, Action.CREATE_PATIENT):
        raise PermissionDenied
    data = validated(PatientForm(data=payload.model_dump(exclude_unset=True)))
    return services.create_patient(
        actor=Actor.from_request(request), clinic=request.user.clinic, data=data
    )


@router.get("/patients/{patient_id}", response=PatientOut, summary="One patient")
def read_patient(request: HttpRequest, patient_id: str) -> Patient:
    return get_patient(request, patient_id, Action.VIEW_PATIENT)


@router.patch("/patients/{patient_id}", response=PatientOut, summary="Change a patient")
def update_patient(request: HttpRequest, patient_id: str, payload: PatientPatch) -> Patient:
    """Changes only the fields sent; the update is logged when something changed."""
    patient = get_patient(request, patient_id, Action.EDIT_PATIENT, log_as=None)
    given = payload.model_dump(exclude_unset=True)
    current = model_to_dict(patient, fields=services.PATIENT_FIELDS)
    data = validated(PatientForm(data={**current, **given}, instance=patient))
    services.update_patient(
        actor=Actor.from_request(request),
        patient=patient,
        data={name: data[name] for name in given},
    )
    return patient
