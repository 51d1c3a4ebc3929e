from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from kapcare.notifications.models import Notification
from kapcare.notifications.services import MAX_ATTEMPTS, given_up


class DeliveryFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("sent", "Sent"),
            ("waiting", "Waiting or retrying"),
            ("sending", "Being sent (held by a worker)"),
            ("cancelled", "Cancelled"),
            ("given_up", f"Given up (after {MAX_ATTEMPTS} attempts)"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_rows = queryset.filter(sent_at__isnull=True, cancelled_at__isnull=True)
        held = Q(claimed_until__gt=now)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "waiting":
            return open_rows.filter(attempts__lt=MAX_ATTEMPTS).exclude(held)
        if self.value() == "sending":
            return open_rows.filter(held)
        if self.value() == "cancelled":
            return queryset.filter(cancelled_at__isnull=False)
        if self.value() == "given_up":
            return given_up(now).filter(pk__in=queryset.values("pk"))
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was sent, what waits, what a worker holds, why a send failed and
    why one was cancelled. The body is left out: a link that is a credential stays in it
    until the email is sent. The tasks themselves are under "Task results"."""

    list_display = [
        "created_at",
        "kind",
        "to_email",
        "due_at",
        "sent_at",
        "attempts",
        "cancelled_at",
    ]
    list_filter = [DeliveryFilter, "kind"]
    search_fields = ["to_email", "key"]
    fields = readonly_fields = [
        "key",
        "kind",
        "to_email",
        "subject",
        "created_at",
        "due_at",
        "sent_at",
        "claimed_until",
        "attempts",
        "last_error",
        "cancelled_at",
        "cancel_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
