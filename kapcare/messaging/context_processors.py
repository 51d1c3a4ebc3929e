"""The unread messages of the signed-in user, for the main menu ("Messages, 2 unread").

One query per request at most, and none for a visitor who is not signed in or a page that
does not show the menu: the count is computed when first shown, then kept on the request
(the menu item and `unread_message_count` share it)."""

from functools import partial

from django.utils.functional import lazy

from kapcare import policy
from kapcare.messaging import services
from kapcare.policy import Action

CACHE_ATTRIBUTE = "_kapcare_unread_messages"


def unread_total(request) -> int:
    if not hasattr(request, CACHE_ATTRIBUTE):
        setattr(request, CACHE_ATTRIBUTE, services.menu_unread(request.user))
    return getattr(request, CACHE_ATTRIBUTE)


def menu_label(unread: int) -> str:
    """The menu item says the count in words, so that no badge colour carries it; past
    `services.MENU_COUNT_CAP`, that there are more ("99+")."""
    if unread > services.MENU_COUNT_CAP:
        return f"Messages, {services.MENU_COUNT_CAP}+ unread"
    return f"Messages, {unread} unread" if unread else "Messages"


def nav_label(request):
    """The menu item's label, counted only when the menu is rendered."""
    return lazy(lambda: menu_label(unread_total(request)), str)()


def may_read_messages(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and policy.can(user, Action.VIEW_MESSAGES)


def unread_messages(request) -> dict:
    if not may_read_messages(request):
        return {}
    # A callable: the template calls it where it shows the count, and only then.
    return {"unread_message_count": partial(unread_total, request)}
