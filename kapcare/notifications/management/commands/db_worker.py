"""`manage.py db_worker`: django-tasks-db's worker, which first makes sure the minute job
is scheduled (`tasks.ensure_scheduled`), so that starting a worker is all background work
needs: no cron. Found before the library's own command because kapcare's apps come first
in INSTALLED_APPS."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from kapcare.notifications.tasks import ensure_scheduled


class Command(DatabaseWorker):
    help = (
        "Run a background worker (django-tasks-db) that also keeps kapcare's minute job "
        "(reminders, overdue flags, email retries) scheduled. Run one or more, on one "
        "machine or several."
    )

    def handle(self, *args, **options):
        if ensure_scheduled():
            self.stdout.write("Scheduled the minute job.")
        return super().handle(*args, **options)
