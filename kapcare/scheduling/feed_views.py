"""Calendar feeds: the secret .ics address a calendar application fetches, and the pages
where a therapist or a patient (their own feed) and a clinic admin (a room's) find the
address and make a new one.

The .ics view needs no sign-in: the token in the address is the credential, and
`feeds.read_feed` answers as the feed's owner under the live policy and logs the read.
The token appears in no log line of ours and in no page but its owner's.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_safe

from kapcare import policy
from kapcare.accounts.models import Role
from kapcare.audit.log import Actor, client_ip
from kapcare.decorators import allowed
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.scheduling import feeds
from kapcare.scheduling.models import Room
from kapcare.scopes import Scope

NEW_ADDRESS_MESSAGE = (
    "The calendar has a new address; the old one no longer works. Subscribe again with "
    "the address below."
)


@require_safe
def ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed as iCalendar, or 404 (unknown or replaced token, deactivated owner)."""
    calendar = feeds.read_feed(token, ip_address=client_ip(request))
    if calendar is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    # Health information, behind a secret address: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _address_page(request: HttpRequest, template: str, feed, context: dict) -> HttpResponse:
    https_url = feeds.feed_url(request, feed)
    response = render(
        request,
        template,
        {
            "https_url": https_url,
            "webcal_url": feeds.webcal_url(https_url),
            "regenerate_url": request.path,
            **context,
        },
    )
    add_never_cache_headers(response)  # the page shows the secret address
    return response


@require_http_methods(["GET", "POST"])
@allowed(Action.MANAGE_OWN_CALENDAR_FEED)
def my_feed(request: HttpRequest) -> HttpResponse:
    """The user's own feed address; a POST makes a new one."""
    feed = feeds.feed_for_user(request.user)
    if request.method == "POST":
        feeds.regenerate(actor=Actor.from_request(request), feed=feed)
        messages.success(request, NEW_ADDRESS_MESSAGE)
        return redirect("feeds:my_feed")
    clinic = None
    if request.user.role == Role.PATIENT:
        clinic = request.user.clinic
    return _address_page(
        request,
        "scheduling/feed_own.html",
        feed,
        {
            "is_therapist": request.user.role == Role.THERAPIST,
            "schedule_label": Scope.SCHEDULE.label,
            "clinic": clinic,
        },
    )


def get_room(request: HttpRequest, room_id, action: Action) -> Room:
    """A room of the user's clinic, if the policy allows `action` on it (404 otherwise, so
    another clinic's rooms are not revealed). Rooms hold no patient data: nothing to log."""
    if not policy.can(request.user, action):
        raise PermissionDenied
    room = (
        Room.objects.select_related("clinic")
        .filter(external_id=parse_external_id(room_id), clinic_id=request.user.clinic_id)
        .first()
    )
    if room is None or not policy.can(request.user, action, room):
        raise Http404("No such room.")
    return room


@require_http_methods(["GET", "POST"])
@allowed(Action.MANAGE_ROOMS)
def room_feed(request: HttpRequest, room_id) -> HttpResponse:
    """A room's feed address, for a screen or a shared calendar; a POST makes a new one."""
    room = get_room(request, room_id, Action.MANAGE_ROOMS)
    feed = feeds.feed_for_room(room)
    if request.method == "POST":
        feeds.regenerate(actor=Actor.from_request(request), feed=feed)
        messages.success(request, NEW_ADDRESS_MESSAGE)
        return redirect(reverse("feeds:room_feed", args=[room.external_id]))
    return _address_page(request, "scheduling/feed_room.html", feed, {"room": room})
