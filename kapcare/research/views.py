"""The clinic admin's research dataset: ask for it, see how far its build has got, and
download the zip while it is kept. The build runs in the background
(`services.request_export`); every read of the page and of the zip asks the policy."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.research import services
from kapcare.research.models import ResearchExport

EXPORTS_SHOWN = 10


def _exports(clinic) -> list[ResearchExport]:
    return list(
        ResearchExport.objects.filter(clinic_id=clinic.pk)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")[:EXPORTS_SHOWN]
    )


def _context(request: HttpRequest, problem: str = "") -> dict:
    exports = _exports(request.user.clinic)
    return {
        "clinic": request.user.clinic,
        "exports": exports,
        "under_way": any(export.is_under_way for export in exports),
        "now": timezone.now(),
        "problem": problem,
    }


@allowed(Action.EXPORT_RESEARCH_DATASET)
def download(request: HttpRequest) -> HttpResponse:
    """GET: what the dataset holds and leaves out, and the clinic's latest exports; POST:
    ask for a new one, built in the background."""
    if request.method == "POST":
        try:
            services.request_export(Actor.from_request(request))
        except Refused as refusal:
            context = _context(request, problem=" ".join(refusal.problems.values()))
            return render(request, "research/download.html", context, status=409)
        return redirect("research:download")
    return render(request, "research/download.html", _context(request))


@allowed(Action.EXPORT_RESEARCH_DATASET)
def exports(request: HttpRequest) -> HttpResponse:
    """The list of exports alone, polled by the page (htmx) while one is being built."""
    return render(request, "research/_exports.html", _context(request))


@allowed(Action.EXPORT_RESEARCH_DATASET)
def export_file(request: HttpRequest, export_id) -> HttpResponse:
    """The zip of one of the clinic's exports while it is kept; 404 for another clinic's,
    an unknown one, or one not ready or expired."""
    export = (
        ResearchExport.objects.filter(
            external_id=parse_external_id(export_id), clinic_id=request.user.clinic_id
        )
        .select_related("clinic")
        .first()
    )
    if export is None or not services.readable(export, timezone.now()):
        raise Http404("No such export.")
    # Each download is logged (the build logged one "exported" row per patient included).
    record_access(Actor.from_request(request), AccessAction.EXPORT, obj=export, path=request.path)
    day = timezone.localdate(export.finished_at, export.clinic.zone)
    response = FileResponse(
        export.content.open("rb"),
        as_attachment=True,
        filename=f"{export.clinic.slug}-research-{day}.zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
