"""Absolute links for emails, from the one SITE_URL setting.

An email is read away from the request that caused it, and may be sent by a worker with
no request at all, so its links cannot be built from a request's Host header (which the
client chooses, and which names whatever port one server happened to answer on). Every
link in an email is `absolute_url(reverse(...))`.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def site_url() -> str:
    """SITE_URL without a trailing slash, e.g. "https://kap.example.org"."""
    url = settings.SITE_URL.rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "Set SITE_URL to the address people open kapcare at, e.g. https://kap.example.org: "
            "the links in emails are built from it."
        )
    return url


def absolute_url(path: str) -> str:
    """`path` (from `reverse`, starting with "/") on the site's address."""
    if not path.startswith("/"):
        raise ValueError(f"An email link needs a path from the site's root, not {path!r}.")
    return site_url() + path


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy` refuses a server whose emails would carry no usable link."""
    try:
        site_url()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="kapcare.E002")]
    return []
