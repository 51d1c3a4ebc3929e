from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from kapcare.accounts.models import User

# Patient records are deliberately not in Django's admin site: every read of a record
# must pass the policy module and land in the access log, which the admin site does not do.


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "clinic", "is_active"]
    list_filter = ["role", "clinic", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "credentials", "role", "clinic"]}),
        ("Technical access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "full_name", "role", "clinic", "password1", "password2"]}),
    ]
