"""Production serving: `check --deploy` is clean, a server refuses to start before the
static files are collected, and gunicorn serves with the feed tokens out of its logs.

Each case runs in a fresh Python (settings are read once per process) with a production
environment: DEBUG off, a strong key, a throw-away SQLite file and static-files folder.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).with_name("gunicorn")
FEED_TOKEN = "Zt9qfeedTOKENsecretX4"


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    static_root = tmp_path / "static"
    static_root.mkdir()
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DEBUG", "SECRET_", "ALLOWED_", "DATABASE_URL"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "kapcare.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "kap.example.org,127.0.0.1",
        "SITE_URL": "https://kap.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kapcare.sqlite3'}",
        "STATIC_ROOT": str(static_root),
    }


def collected(env: dict[str, str]) -> dict[str, str]:
    """Stand in for `collectstatic` (minutes of compression on a busy machine): the
    manifest the checks and the storage read, naming each of kapcare's own static files as
    itself (unhashed), so pages that link them render."""
    kapcare = REPO / "kapcare"
    paths = {
        str(path.relative_to(static)): str(path.relative_to(static))
        for static in kapcare.glob("**/static")
        for path in static.rglob("*")
        if path.is_file()
    }
    Path(env["STATIC_ROOT"], "staticfiles.json").write_text(
        json.dumps({"paths": paths, "version": "1.1", "hash": ""})
    )
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_with_production_settings_prints_no_warning(production_env):
    result = run(
        collected(production_env), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_before_the_static_files_are_collected(production_env):
    result = run(production_env, "manage.py", "check", "--deploy")

    assert result.returncode != 0
    assert "kapcare.E001" in result.stderr
    assert "collectstatic" in result.stderr


def test_the_wsgi_application_refuses_to_load_before_the_static_files_are_collected(
    production_env,
):
    result = run(production_env, "-c", "import kapcare.wsgi")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "staticfiles.json is missing" in result.stderr


def test_the_wsgi_application_loads_once_they_are(production_env):
    result = run(collected(production_env), "-c", "import kapcare.wsgi")

    assert result.returncode == 0, result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, method: str = "GET", headers=None) -> tuple[int, bytes]:
    try:
        sent = urllib.request.Request(url, method=method, headers=headers or {})
        with urllib.request.urlopen(sent, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def gunicorn(production_env):
    """gunicorn with kapcare/gunicorn.conf.py on a free loopback port; yields (base URL,
    a function that stops it and returns everything it wrote)."""
    port = free_port()
    env = {
        **collected(production_env),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "BEHIND_TLS_PROXY": "1",
    }
    server = subprocess.Popen(
        [str(GUNICORN), "--config", "kapcare/gunicorn.conf.py"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def stop() -> str:
        if server.poll() is None:
            server.terminate()
        output, _ = server.communicate(timeout=30)
        return output

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail(f"gunicorn did not start:\n{stop()}")
    try:
        yield base, stop
    finally:
        stop()


def test_gunicorn_serves_the_health_check_and_keeps_feed_tokens_out_of_its_logs(gunicorn):
    base, stop = gunicorn

    # Asked over plain HTTP on the loopback, as a monitor would: not redirected to HTTPS.
    health = request(f"{base}/healthz")
    # Refused before the view (no Referer over HTTPS), so no database table is needed, yet both
    # gunicorn's access log and Django's `django.request` logger record the path.
    feed = request(f"{base}/calendar/{FEED_TOKEN}.ics", "POST", {"X-Forwarded-Proto": "https"})
    output = stop()

    # The database answers; no worker runs beside this server (and its empty database has
    # no task table), so the queue's check fails, as a monitor should be told.
    assert health == (503, b'{"status": "error", "database": "ok", "queue": "error"}')
    assert feed[0] == 403
    assert '"GET /healthz HTTP/1.1" 503' in output
    assert '"POST /calendar/[redacted].ics HTTP/1.1" 403' in output
    assert "Forbidden (Referer checking failed - no Referer.): /calendar/[redacted].ics" in output
    assert FEED_TOKEN not in output


def test_gunicorn_takes_the_clients_address_from_the_proxys_proxy_protocol_header(gunicorn):
    """Caddy names the client in a PROXY header (docs/deploying.md), so the access log and
    REMOTE_ADDR hold the patient's address, not the proxy's."""
    base, stop = gunicorn
    port = int(base.rsplit(":", 1)[1])

    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(
            b"PROXY TCP4 203.0.113.9 127.0.0.1 51000 443\r\n"
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        answer = raw.recv(4096)
    output = stop()

    assert answer.startswith(b"HTTP/1.1 503")  # no worker beside it: see the test above
    assert "203.0.113.9 [" in output
    assert '"GET /healthz HTTP/1.1" 503' in output


def test_gunicorn_refuses_to_start_with_a_weak_secret_key(production_env):
    env = {**collected(production_env), "SECRET_KEY": "short", "GUNICORN_BIND": "127.0.0.1:0"}
    result = subprocess.run(
        [str(GUNICORN), "--config", "kapcare/gunicorn.conf.py"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY has 5 characters" in result.stderr
