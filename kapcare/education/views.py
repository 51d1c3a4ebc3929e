"""Patient education pages: the clinic's pages and their versions (admin and clinicians),
the patient's guides in the portal with "I have read this", and the after-care sheet
printed at discharge.

The portal pages fetch the patient through `get_own_patient` (policy and access log in one
step); the staff's after-care sheet fetches the session through `get_session`; writes go
through `services`, which log inside their transaction."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction
from kapcare.consents import changes
from kapcare.consents.markdown import render_markdown
from kapcare.decorators import allowed
from kapcare.education import defaults, services
from kapcare.education.forms import VersionForm
from kapcare.education.models import AfterCareHandover, EducationPage
from kapcare.episodes.access import get_session
from kapcare.patients.access import get_own_patient, parse_external_id
from kapcare.policy import Action
from kapcare.refusals import submit

# --- Staff: the clinic's pages ----------------------------------------------------------------


def _clinic_page(request: HttpRequest, page_id) -> EducationPage:
    page = EducationPage.objects.filter(
        clinic_id=request.user.clinic_id, external_id=parse_external_id(page_id)
    ).first()
    if page is None:
        raise Http404("No such page.")
    return page


@allowed(Action.MANAGE_EDUCATION_PAGES)
def page_list(request: HttpRequest) -> HttpResponse:
    pages = services.current_pages(request.user.clinic)
    return render(request, "education/page_list.html", {"pages": pages})


@allowed(Action.MANAGE_EDUCATION_PAGES)
def page_detail(request: HttpRequest, page_id) -> HttpResponse:
    """The page as patients read it, every version ever published, and what the latest
    changed from the one before, in words."""
    page = _clinic_page(request, page_id)
    versions = list(page.versions.select_related("published_by").order_by("-number"))
    current, previous = versions[0], (versions[1] if len(versions) > 1 else None)
    diff = (
        changes.shorten_unchanged(
            changes.word_changes(previous.body_markdown, current.body_markdown)
        )
        if previous
        else []
    )
    return render(
        request,
        "education/page_detail.html",
        {
            "page": page,
            "current": current,
            "previous": previous,
            "versions": versions,
            "html": render_markdown(current.body_markdown, heading_offset=1),
            "changes": diff,
        },
    )


@allowed(Action.MANAGE_EDUCATION_PAGES)
def new_version(request: HttpRequest, page_id) -> HttpResponse:
    """The next version, starting from the current text; publishing keeps every earlier
    version (and every patient's receipt on it)."""
    page = _clinic_page(request, page_id)
    current = page.versions.order_by("-number").first()
    if request.method == "POST":
        form = VersionForm(request.POST)
        version = submit(
            form,
            lambda data: services.publish_version(
                actor=Actor.from_request(request),
                page=page,
                text=services.VersionInput(**data),
            ),
        )
        if version is not None:
            messages.success(request, f"“{version.title}”: version {version.number} is published.")
            return redirect("education:page", page.external_id)
    else:
        form = VersionForm(
            initial={
                "title": current.title,
                "summary": current.summary,
                "body_markdown": current.body_markdown,
            }
        )
    return render(
        request,
        "education/new_version.html",
        {"page": page, "current": current, "form": form},
        status=422 if form.errors else 200,
    )


# --- The patient's portal ---------------------------------------------------------------------


@allowed(Action.READ_OWN_EDUCATION)
def portal_list(request: HttpRequest) -> HttpResponse:
    """The patient's guides: those for their next step first, then every other one."""
    patient = get_own_patient(request, Action.READ_OWN_EDUCATION)
    pages = services.current_pages(patient.clinic)
    first = services.pages_for_phases(pages, services.phases_for_patient(patient))
    rest = [page for page in pages if page not in first]
    return render(
        request,
        "education/portal_list.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "next_readings": services.readings(patient, first),
            "other_readings": services.readings(patient, rest),
        },
    )


def _own_page(request: HttpRequest, topic: str, *, log_as):
    patient = get_own_patient(request, Action.READ_OWN_EDUCATION, log_as=log_as)
    page = services.page_for_topic(patient.clinic, topic)
    if page is None:
        raise Http404("No such page.")
    return patient, page


@allowed(Action.READ_OWN_EDUCATION)
def portal_page(request: HttpRequest, topic: str) -> HttpResponse:
    patient, page = _own_page(request, topic, log_as=AccessAction.VIEW)
    (reading,) = services.readings(patient, [page])
    return render(
        request,
        "education/portal_page.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "page": page,
            "version": page.current,
            "reading": reading,
            "html": render_markdown(page.current.body_markdown, heading_offset=1),
        },
    )


@require_POST
@allowed(Action.READ_OWN_EDUCATION)
def mark_read(request: HttpRequest, topic: str) -> HttpResponse:
    """ "I have read this": a receipt on the version shown (named by the form, so that a
    version published while the patient read is not marked read unseen)."""
    patient, page = _own_page(request, topic, log_as=None)
    shown = str(page.current.external_id)
    if request.POST.get("version", "") != shown:
        messages.error(request, "This page changed while you read it: please read it again.")
        return redirect("education:portal_page", page.topic)
    services.mark_read(actor=Actor.from_request(request), patient=patient, version=page.current)
    messages.success(request, "Thank you: your care team can see that you read this page.")
    return redirect("education:portal_list")


# --- Staff: the after-care sheet at discharge --------------------------------------------------


@allowed(Action.VIEW_EDUCATION_RECEIPTS)
def after_care_sheet(request: HttpRequest, session_id) -> HttpResponse:
    """The after-care page to print and hand over: the version handed over at this
    session's discharge, or the current one before it."""
    session = get_session(request, session_id, Action.VIEW_EDUCATION_RECEIPTS)
    patient = session.patient
    handover = (
        AfterCareHandover.objects.filter(session_id=session.pk)
        .select_related("version", "handed_by")
        .first()
    )
    if handover is not None:
        version = handover.version
    else:
        page = services.page_for_topic(patient.clinic, defaults.AFTER_CARE_TOPIC)
        if page is None:
            raise Http404("The clinic has no after-care page.")
        version = page.current
    return render(
        request,
        "education/after_care_sheet.html",
        {
            "session": session,
            "patient": patient,
            "clinic": patient.clinic,
            "version": version,
            "handover": handover,
            "html": render_markdown(version.body_markdown, heading_offset=1),
        },
    )
