from django.contrib import admin

from kapcare.audit.models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, and the admin site must not pretend otherwise."""

    list_display = ["occurred_at", "actor_email", "actor_role", "action", "object_type", "channel"]
    list_filter = ["action", "channel", "actor_role", "clinic"]
    search_fields = ["actor_email", "object_id"]
    readonly_fields = [f.name for f in AccessLogEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
