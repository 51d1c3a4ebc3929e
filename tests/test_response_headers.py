"""Response headers: a strict Content-Security-Policy on every page, with no page that
needs an exception to it; a Permissions-Policy; `Cache-Control: no-store` on everything
the application answers (static files excepted).

Every page of the policy matrix is opened by a role that may see it: its answer must
carry the policy, and its HTML must hold nothing the policy refuses (a style attribute,
a <style> block, an inline script, an event-handler attribute). The browser tests report
what this cannot see: styles set by scripts and what htmx swaps in.
"""

from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from kapcare.accounts.models import ApiToken
from kapcare.response_headers import NoStoreMiddleware
from kapcare.scheduling import feeds
from tests import test_policy_matrix
from tests.test_policy_matrix import MATRIX, OK, ROLES

records = test_policy_matrix.records  # the matrix's records fixture, used here too

STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# Each page of the matrix with the first role that gets it.
PAGES = sorted(
    (url_name, next(role for role in ROLES if expected[role] == OK))
    for url_name, (_, expected) in MATRIX.items()
    if OK in expected.values()
)


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_strict_policy(response) -> None:
    header = response["Content-Security-Policy"]
    assert STRICT_POLICY.items() <= directives(header).items(), header
    assert "unsafe" not in header  # neither 'unsafe-inline' nor 'unsafe-eval'


class InlineCodeFinder(HTMLParser):
    """What a strict policy refuses in a page's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        values = dict(attrs)
        where = f"<{tag}> at line {self.getpos()[0]}"
        if "style" in names:
            self.refused.append(f"style attribute on {where}")
        self.refused += [f"{name} attribute on {where}" for name in names if name.startswith("on")]
        if tag == "style":
            self.refused.append(f"style block {where}")
        if tag == "script" and "src" not in names and values.get("type") != "application/json":
            self.refused.append(f"inline script {where}")
        for name in ("href", "src", "action", "formaction"):
            if (values.get(name) or "").strip().lower().startswith("javascript:"):
                self.refused.append(f"javascript: URL in {name} of {where}")


def refused_inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.refused


def test_the_finder_sees_each_kind_of_inline_code():
    html = (
        '<p style="color:red">a</p><button onclick="go()">b</button><style>p{}</style>'
        '<script>go()</script><a href="javascript:go()">c</a>'
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
    )

    assert len(refused_inline_code(html)) == 5


def test_every_page_with_a_role_that_may_open_it_is_checked():
    assert len(PAGES) > 60
    assert {"patients:chart", "portal:home", "dosing:record"} <= {name for name, _ in PAGES}


@pytest.mark.parametrize(("url_name", "role"), PAGES)
def test_page_carries_the_strict_policy_and_needs_no_exception_to_it(
    client, request, records, url_name, role
):
    kwargs_key, _ = MATRIX[url_name]
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse(url_name, kwargs=records[kwargs_key] if kwargs_key else None))

    assert response.status_code == 200
    assert_strict_policy(response)
    if response["Content-Type"].startswith("text/html"):
        assert not refused_inline_code(response.content.decode()), url_name


@pytest.mark.parametrize(
    "url_name", ["accounts:login", "accounts:password_reset", "intake:request"]
)
def test_public_page_carries_the_strict_policy_and_needs_no_exception_to_it(
    client, clinic, url_name
):
    kwargs = {"clinic_slug": clinic.slug} if url_name == "intake:request" else None

    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 200
    assert_strict_policy(response)
    assert not refused_inline_code(response.content.decode())


def test_not_found_page_carries_the_strict_policy(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert_strict_policy(response)


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/me"])
def test_powerful_browser_features_are_switched_off(client, db, path):
    policy = dict(
        item.strip().split("=", 1) for item in client.get(path)["Permissions-Policy"].split(",")
    )

    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid"):
        assert policy[feature] == "()", feature


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "no-store" in directives, response["Cache-Control"]
    assert not directives & {"public", "max-age=3600"}


def test_staff_page_is_not_stored(client, clinician, patient):
    client.force_login(clinician)

    response = client.get(reverse("patients:chart", args=[patient.external_id]))

    assert response.status_code == 200
    assert_not_stored(response)


def test_patient_portal_page_is_not_stored(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert_not_stored(response)


def test_api_answer_is_not_stored(client, coordinator, patient):
    _, token = ApiToken.issue(coordinator, "tests")

    response = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert_not_stored(response)


def test_api_refusal_is_not_stored(client, db):
    response = client.get("/api/v1/patients")

    assert response.status_code == 401
    assert_not_stored(response)


def test_signed_consent_pdf_is_not_stored(client, patient_user, records):
    client.force_login(patient_user)

    response = client.get(reverse("consents:signature_pdf", kwargs=records["signature"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_not_stored(response)


def test_calendar_feed_is_not_stored(client, patient_user, patient):
    feed = feeds.feed_for_user(patient_user)

    response = client.get(reverse("feeds:ics", args=[feed.token]))

    assert response.status_code == 200
    assert_not_stored(response)


def test_sign_in_page_is_not_stored_either(client, db):
    assert_not_stored(client.get(reverse("accounts:login")))


def test_static_files_keep_their_caching(client, db):
    response = client.get("/static/kapcare/kapcare.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_views_own_caching_is_replaced_by_no_store():
    def cacheable(request):
        response = HttpResponse("a calendar")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    response = NoStoreMiddleware(cacheable)(RequestFactory().get("/"))

    assert_not_stored(response)
    assert "max-age=0" in response["Cache-Control"]


def test_refused_form_page_needs_no_exception_to_the_policy(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"username": "a", "password": "b"})

    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
    assert_strict_policy(response)
    assert not refused_inline_code(response.content.decode())
