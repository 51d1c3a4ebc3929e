"""The check a WSGI server runs before it serves: any serious problem stops the start.

Django runs its system checks for management commands, never when a WSGI server
(gunicorn) imports the application, so a server started by hand would otherwise serve
500s (static files not collected) instead of refusing to start.
"""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections


def refuse_to_serve_unready() -> None:
    """Raise ImproperlyConfigured listing every error of the system and deploy checks."""
    errors = [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.is_serious()
    ]
    # gunicorn runs this in its master before forking: no worker may inherit a connection
    # a check might have opened.
    connections.close_all()
    if errors:
        raise ImproperlyConfigured(
            "kapcare will not serve until these are fixed:\n"
            + "\n".join(
                f"  {error}" + (f" HINT: {error.hint}" if error.hint else "") for error in errors
            )
        )
