"""A production server for the bench to load: gunicorn with its production configuration
(kapcare/gunicorn.conf.py) and DEBUG off, on a free loopback port, against the database the
bench reads, answering the bare view as well (BENCH_BARE_VIEW)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

from kapcare.bench.urls import BARE_VIEW_PATH

GUNICORN_CONFIG = settings.BASE_DIR / "kapcare" / "gunicorn.conf.py"
LOOPBACK = "127.0.0.1"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def production_environment(
    port: int, workers: int, static_root: Path, secret_key: str
) -> dict[str, str]:
    """This process's environment (the same DATABASE_URL, DB_CONN_MAX_AGE, CACHE_URL…) with
    DEBUG off and what production needs set for a server nobody else reaches: the bench's
    one-off secret key (its sessions are signed with it), the loopback as the only host,
    plain http (no TLS proxy in front)."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": LOOPBACK,
        "SITE_URL": f"http://{LOOPBACK}:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(static_root),
        "GUNICORN_BIND": f"{LOOPBACK}:{port}",
        "WEB_CONCURRENCY": str(workers),
        "BENCH_BARE_VIEW": "1",
    }


def answers(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", BARE_VIEW_PATH, headers={"Host": LOOPBACK})
        return connection.getresponse().status in {200, 302}
    except OSError:
        return False
    finally:
        connection.close()


def collect_static_files(static_root: Path) -> None:
    """The static files and their manifest, which a server with DEBUG off refuses to start
    without, but not compressed: the bench asks for pages, never for a static file, and
    compressing every file (WhiteNoise) takes minutes on this machine."""
    with override_settings(
        STATIC_ROOT=static_root,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)


@contextmanager
def gunicorn(*, workers: int, workdir: Path, secret_key: str) -> Iterator[str]:
    """Serve with gunicorn until the block ends; yields the server's address."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # Kept between runs (var/ is not in git), so collectstatic only adds what changed.
    static_root = settings.BASE_DIR / "var" / "bench-static"
    env = production_environment(port, workers, static_root, secret_key)
    collect_static_files(static_root)
    log_path = workdir / "gunicorn.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=settings.BASE_DIR,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            deadline = time.monotonic() + START_SECONDS
            while not answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log_path}")
                time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
