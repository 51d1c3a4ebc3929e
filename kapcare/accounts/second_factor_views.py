"""Pages of two-factor sign-in: setting up the authenticator app, typing its code after the
password, and the person's own overview with new recovery codes.

Recovery codes appear in one response only (not stored anywhere the person could come back
to), so those responses are never cached.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kapcare.accounts import second_factor
from kapcare.accounts.second_factor import Outcome
from kapcare.accounts.second_factor_forms import CodeForm, SignInCodeForm, StepUpForm


def next_url(request: HttpRequest) -> str:
    """Where to go once verified: the page first asked for, when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url("home")


def with_next(viewname: str, target: str) -> str:
    return f"{resolve_url(viewname)}?{urlencode({'next': target})}"


def render_codes(request: HttpRequest, codes: list[str], *, after_enrolment: bool) -> HttpResponse:
    response = render(
        request,
        "accounts/second_factor_recovery_codes.html",
        {"codes": codes, "after_enrolment": after_enrolment, "next": next_url(request)},
    )
    add_never_cache_headers(response)
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: the QR code and the key to type, then a code from the
    app to confirm it; the recovery codes follow on the same response."""
    user = request.user
    already = second_factor.has_authenticator(user)
    if already and not second_factor.is_verified(request):
        # Replacing the app needs the old one first: sign-in asks for its code.
        return redirect(with_next("second_factor:verify", request.path))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = second_factor.confirm_authenticator(request, form.cleaned_data["code"])
        if enrolment is not None:
            return render_codes(request, enrolment.recovery_codes, after_enrolment=True)
        form.add_error(
            "code",
            "That code does not match. Check that the app shows kapcare and type the newest code.",
        )
    device = second_factor.pending_authenticator(user)
    return render(
        request,
        "accounts/second_factor_enrol.html",
        {
            "form": form,
            "qr_code": second_factor.qr_code_svg(device),
            "manual_key": second_factor.manual_key(device),
            "is_replacing": already,
            "next": next_url(request),
        },
        status=422 if form.is_bound else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the app or a recovery code."""
    if second_factor.is_verified(request):
        return redirect(next_url(request))
    if not second_factor.has_authenticator(request.user):
        return redirect(with_next("second_factor:enrol", next_url(request)))
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor.verify_sign_in(request, form.cleaned_data["code"])
        if check.outcome == Outcome.VERIFIED:
            return redirect(next_url(request))
        if check.outcome == Outcome.SIGNED_OUT:
            messages.error(request, check.message)
            return redirect("accounts:login")
        form.add_error("code", check.message)
    return render(
        request,
        "accounts/second_factor_verify.html",
        {"form": form, "next": next_url(request)},
        status=422 if form.is_bound else 200,
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The person's own second factor: whether it is set up, how many recovery codes are
    left, and the form for new ones."""
    return render_overview(request, StepUpForm(user=request.user))


def render_overview(request: HttpRequest, form: StepUpForm, status: int = 200) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/second_factor_overview.html",
        {
            "has_authenticator": second_factor.has_authenticator(user),
            "is_required": second_factor.is_required(user),
            "codes_left": second_factor.recovery_codes_left(user),
            "form": form,
        },
        status=status,
    )


@require_POST
@login_required
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes, after the current authenticator code; the old ones stop
    working."""
    if not second_factor.has_authenticator(request.user):
        messages.error(request, "Set up an authenticator app first.")
        return redirect("second_factor:overview")
    form = StepUpForm(request.POST, user=request.user)
    if not form.is_valid():
        return render_overview(request, form, status=422)
    codes = second_factor.regenerate_recovery_codes(request.user)
    return render_codes(request, codes, after_enrolment=False)
