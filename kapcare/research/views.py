"""The clinic admin's download of the clinic's de-identified research dataset."""

import tempfile

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.policy import Action
from kapcare.research.export import write_dataset


@allowed(Action.EXPORT_RESEARCH_DATASET)
def download(request: HttpRequest) -> HttpResponse:
    """GET: what the dataset holds and leaves out; POST: the zip, written to a temporary
    file (rows are streamed into it, not held in memory) and sent."""
    clinic = request.user.clinic
    if request.method != "POST":
        return render(request, "research/download.html", {"clinic": clinic})
    # FileResponse closes (and so removes) the file once it is sent.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    write_dataset(target, actor=Actor.from_request(request), clinic=clinic)
    target.seek(0)
    name = f"{clinic.slug}-research-{timezone.localdate(timezone.now(), clinic.zone)}.zip"
    return FileResponse(target, as_attachment=True, filename=name)
