"""Deployment checks: problems that would make a production server answer 500 on every
page are reported before it serves one.

Registered as deploy checks, so `manage.py check --deploy` lists them and
`kapcare.wsgi` refuses to load the application while one fails (see `startup`).
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, register


@register(deploy=True)
def static_files_collected(app_configs, **kwargs) -> list[Error]:
    """With the manifest storage (DEBUG off), `{% static %}` looks every file up in the
    manifest `collectstatic` writes; without it every page fails with a 500."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    manifest = Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name
    if manifest.is_file():
        return []
    return [
        Error(
            f"The static files have not been collected: {manifest} is missing.",
            hint="Run `manage.py collectstatic --noinput` (make serve does) before serving.",
            id="kapcare.E001",
        )
    ]
