import zoneinfo

from django.utils import timezone


class ClinicTimeZoneMiddleware:
    """Times are stored in UTC and shown in the clinic's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone_name = None
        if user is not None and user.is_authenticated:
            zone_name = user.display_time_zone
        if zone_name:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        else:
            timezone.deactivate()
        return self.get_response(request)
