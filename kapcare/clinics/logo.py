"""The clinic's logo: uploaded by its admin, shown with the clinic's name on patient-facing
pages (the portal's header, the education pages, the after-care sheet).

An upload is checked before it is kept: Django's ImageField has Pillow read it (a file
that is not an image is refused), and only PNG, JPEG and WebP up to `MAX_BYTES` and
`MAX_SIDE` pixels are accepted — no SVG, which can carry scripts. The file goes to the
default storage (disk or the S3 bucket, as `MEDIA_STORAGE_URL` says) under a new name, and
the change is recorded like any other setting (`services.change_settings`). A logo names
no patient, so it is served to anyone who asks (`logo`), for the sign-in page too."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from PIL import Image

from kapcare.clinics import services
from kapcare.clinics.models import Clinic
from kapcare.decorators import allowed
from kapcare.policy import Action

MAX_BYTES = 1_000_000
MAX_SIDE = 2000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class LogoForm(forms.Form):
    logo = forms.ImageField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG or WebP, up to 1 MB and 2000 pixels a side. Shown about 3 lines "
        "high next to the clinic's name.",
    )
    remove = forms.BooleanField(label="Show no logo", required=False)

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return upload
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The image is larger than 1 MB: save it smaller.")
        image = getattr(upload, "image", None)
        if image is None or image.format not in FORMATS:
            raise forms.ValidationError("Upload a PNG, JPEG or WebP image.")
        if max(image.size) > MAX_SIDE:
            raise forms.ValidationError("The image is over 2000 pixels a side: resize it.")
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("logo") and not data.get("remove"):
            self.add_error("logo", "Choose an image to upload, or tick “Show no logo”.")
        return data


@allowed(Action.MANAGE_CLINIC_SETTINGS)
def logo_settings(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    form = LogoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        services.change_settings(
            acting_user=request.user,
            clinic=clinic,
            values={"logo": "" if form.cleaned_data["remove"] else form.cleaned_data["logo"]},
            labels={"logo": "Logo"},
        )
        messages.success(request, "The logo is saved." if clinic.logo else "The logo is removed.")
        return redirect("clinic_logo:settings")
    return render(
        request,
        "clinics/logo.html",
        {"form": form, "clinic": clinic},
        status=422 if form.errors else 200,
    )


@require_GET
@cache_control(public=True, max_age=3600)
def logo(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """The clinic's logo image, to anyone (it names no patient)."""
    clinic = get_object_or_404(Clinic.objects.only("logo"), slug=clinic_slug)
    if not clinic.logo:
        raise Http404("The clinic has no logo.")
    try:
        with Image.open(clinic.logo.open("rb")) as image:
            content_type = FORMATS.get(image.format or "")
    except (OSError, ValueError) as error:
        raise Http404("The clinic's logo cannot be read.") from error
    if content_type is None:
        raise Http404("The clinic's logo is not an image kapcare serves.")
    return FileResponse(clinic.logo.open("rb"), content_type=content_type)
