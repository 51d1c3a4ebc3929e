"""The coordinator's queue of referrals that could be about more than one patient, and the
page where they say who each is about.

The queue shows what the referrer sent (a name, a birth date), not the clinic's records;
opening a referral shows the possible patients, and that read is logged for each of them.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kapcare import policy
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.pagination import keyset_page
from kapcare.policy import Action
from kapcare.referrals import services
from kapcare.referrals.bundle import Referral as ReferralContent
from kapcare.referrals.forms import NEW_PATIENT, ResolveForm
from kapcare.referrals.models import Referral, ReferralStatus
from kapcare.refusals import submit

PAGE_SIZE = 25


@allowed(Action.REVIEW_REFERRALS)
def referral_queue(request: HttpRequest) -> HttpResponse:
    waiting = Referral.objects.filter(
        clinic_id=request.user.clinic_id, status=ReferralStatus.NEEDS_REVIEW
    )
    referrals, older = keyset_page(
        waiting, request.GET.get("cursor"), by="received_at", size=PAGE_SIZE
    )
    return render(request, "referrals/queue.html", {"referrals": referrals, "older": older})


def get_referral(request: HttpRequest, referral_id) -> Referral:
    """The referral, when it is one of the user's clinic; 404 otherwise."""
    referral = (
        Referral.objects.select_related("patient", "resolved_by", "received_by")
        .filter(external_id=referral_id)
        .first()
    )
    if referral is None or not policy.can(request.user, Action.REVIEW_REFERRALS, referral):
        raise Http404
    return referral


@allowed(Action.REVIEW_REFERRALS)
def referral_detail(request: HttpRequest, referral_id) -> HttpResponse:
    referral = get_referral(request, referral_id)
    candidates = list(referral.candidates.order_by("id"))
    form = None
    if referral.needs_review:
        posted = request.POST if request.method == "POST" else None
        form = ResolveForm(posted, candidates=candidates, user=request.user)
        if request.method == "POST":
            chosen = {str(p.external_id): p for p in candidates}
            resolved = submit(
                form,
                lambda data: services.resolve_referral(
                    actor=Actor.from_request(request),
                    referral=referral,
                    patient=None if data["patient"] == NEW_PATIENT else chosen[data["patient"]],
                    reauthentication=data["reauthentication"],
                ),
            )
            if resolved is not None:
                messages.success(request, "Decided. The referral is recorded on the patient.")
                return redirect("referrals:detail", referral.external_id)
    actor = Actor.from_request(request)
    record_access(actor, AccessAction.VIEW, patient=referral.patient, obj=referral)
    shown = candidates + [p for p in [referral.patient] if p is not None and p not in candidates]
    record_list_access(actor, shown)
    context = {
        "referral": referral,
        "content": ReferralContent.from_json(referral.content),
        "candidates": candidates,
        "form": form,
    }
    status = 422 if form is not None and form.is_bound else 200
    return render(request, "referrals/detail.html", context, status=status)
