from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from kapcare import policy, ratelimits
from kapcare.accounts.forms import (
    ApiTokenForm,
    EmailAuthenticationForm,
    OutboxPasswordResetForm,
)
from kapcare.accounts.models import ApiToken
from kapcare.decorators import allowed
from kapcare.links import site_url
from kapcare.policy import Action

_login = auth_views.LoginView.as_view(
    authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
)


def sign_in(request: HttpRequest) -> HttpResponse:
    """Django's sign-in page, with each network address slowed to
    SIGN_IN_ATTEMPTS_PER_ADDRESS tries: the brake on one address guessing across many
    accounts, which the per-email lockout (kapcare.accounts.lockout) does not see."""
    if request.method == "POST":
        usage = ratelimits.count(
            request, group="sign-in", key="ip", rate=settings.SIGN_IN_ATTEMPTS_PER_ADDRESS
        )
        if usage.is_limited:
            form = EmailAuthenticationForm(
                request, initial={"username": request.POST.get("username", "")}
            )
            context = {"form": form, "next": request.POST.get("next", "")}
            return ratelimits.too_many_requests(request, "registration/login.html", context, usage)
    return _login(request)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per email address (PASSWORD_RESETS_PER_EMAIL: an
    inbox is not flooded) and per network address (PASSWORD_RESETS_PER_ADDRESS: one
    sender cannot spray many inboxes). The limits count the address typed whether or not
    an account has it, so a refusal says nothing about which accounts exist."""

    form_class = OutboxPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        """The link's address from SITE_URL, not from the Host header the request chose."""
        return {"site_url": site_url()}

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        by_address = ratelimits.count(
            request,
            group="password-reset-address",
            key="ip",
            rate=settings.PASSWORD_RESETS_PER_ADDRESS,
        )
        by_email = ratelimits.count(
            request,
            group="password-reset-email",
            key=ratelimits.posted_email,
            rate=settings.PASSWORD_RESETS_PER_EMAIL,
        )
        for usage, reason in ((by_email, "email"), (by_address, "address")):
            if usage.is_limited:
                context = self.get_context_data(form=self.get_form(), limited_by=reason)
                return ratelimits.too_many_requests(request, self.template_name, context, usage)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Django's password change for any signed-in user. It keeps this session signed in
    (update_session_auth_hash) and signs out every other; saving the new password revokes
    the user's API tokens (`User.save`)."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = (
        "Your password is changed. You stay signed in here; other browsers are signed out "
        "and your API tokens are revoked."
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render_profile(request, ApiTokenForm())


def render_profile(
    request: HttpRequest,
    token_form: ApiTokenForm,
    *,
    new_token: str | None = None,
    new_token_record: ApiToken | None = None,
) -> HttpResponse:
    may_use_tokens = policy.can(request.user, Action.USE_API_TOKENS)
    context = {
        "may_use_tokens": may_use_tokens,
        "tokens": ApiToken.objects.filter(user_id=request.user.pk) if may_use_tokens else [],
        "token_form": token_form,
        "new_token": new_token,
        "new_token_record": new_token_record,
        "token_lifetime_days": settings.API_TOKEN_LIFETIME_DAYS,
    }
    response = render(request, "accounts/profile.html", context)
    if new_token is not None:
        # The token is in this page only: keep it out of every cache.
        add_never_cache_headers(response)
    return response


@require_POST
@allowed(Action.USE_API_TOKENS)
def create_token(request: HttpRequest) -> HttpResponse:
    """Make a token and show it in this response only; just its hash is kept."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return render_profile(request, form)
    record, token = ApiToken.issue(request.user, form.cleaned_data["name"])
    return render_profile(request, ApiTokenForm(), new_token=token, new_token_record=record)


@require_POST
@allowed(Action.USE_API_TOKENS)
def revoke_token(request: HttpRequest, token_id) -> HttpResponse:
    """Revoke one of the user's own tokens; anyone else's answers 404."""
    record = get_object_or_404(ApiToken, external_id=token_id, user_id=request.user.pk)
    record.revoke()
    messages.success(request, f"The token “{record.name}” is revoked; it no longer works.")
    return redirect("accounts:profile")
