from django.contrib import admin

from kapcare.notifications.models import Notification
from kapcare.notifications.services import MAX_ATTEMPTS


class DeliveryFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("sent", "Sent"),
            ("waiting", "Waiting or retrying"),
            ("given_up", f"Given up (after {MAX_ATTEMPTS} attempts)"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "waiting":
            return queryset.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        if self.value() == "given_up":
            return queryset.filter(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS)
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was sent, what waits and why a send failed. The body is left out: a
    link that is a credential stays in it until the email is sent."""

    list_display = ["created_at", "kind", "to_email", "due_at", "sent_at", "attempts"]
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
        "attempts",
        "last_error",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
