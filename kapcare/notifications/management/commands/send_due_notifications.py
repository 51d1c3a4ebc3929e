from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapcare.notifications.models import Notification
from kapcare.notifications.scheduled import queue_due_notifications
from kapcare.notifications.services import MAX_ATTEMPTS, deliver_due


class Command(BaseCommand):
    help = (
        "Queue the appointment reminders and overdue-integration flags that are due, then "
        "send every queued email that is due (and retry those that failed), here and now. "
        "The task workers (manage.py db_worker) do this every minute by themselves; this "
        "command is for running it by hand or from cron without a worker. Running it "
        "twice, or beside the workers, never sends an email twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            default="",
            help="The address the emails link to, e.g. https://kap.example.org "
            "(default: the SITE_URL setting).",
        )

    def handle(self, *args, site_url: str, **options):
        site_url = (site_url or settings.SITE_URL).rstrip("/")
        if not site_url:
            raise CommandError(
                "Set SITE_URL (e.g. https://kap.example.org): the emails link to kapcare."
            )
        now = timezone.now()
        queued = queue_due_notifications(now, site_url)
        report = deliver_due(now)
        for notification in Notification.objects.filter(pk__in=report.given_up):
            self.stderr.write(
                f"Gave up on email {notification.pk} ({notification.get_kind_display()} to "
                f"{notification.to_email}) after {MAX_ATTEMPTS} attempts: "
                f"{notification.last_error}"
            )
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"queued {queued}, sent {report.sent}, failed {report.failed}"
                + (f", cancelled {report.cancelled}" if report.cancelled else "")
            )
