"""A real worker (`manage.py db_worker`, the database task backend) is killed with SIGKILL
in the middle of sending an email; the next worker sends it, and the email goes exactly
once. The workers share an SQLite file, or, when the suite runs on PostgreSQL, a database
of their own beside the test database."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUEUE_ONE_EMAIL = """
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
notify(
    key="worker-test:1",
    kind=NotificationKind.SAFETY_ALERT,
    to="inbox@example.org",
    subject="Something needs review",
    template="measures/email/safety_alert.txt",
    context={"clinic": {"name": "Riverbend"}, "path": "/x/"},
)
"""


@pytest.fixture
def database_url(tmp_path):
    """An empty database for the workers: an SQLite file, or a PostgreSQL database made
    (and dropped) on the server DATABASE_URL names."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'worker.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'kapcare'}_worker_{os.getpid()}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def workplace(tmp_path, database_url):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database_url,
        "KAPCARE_MAIL_DIR": str(mail_dir),
        "KAPCARE_HOLD_SENDING": str(tmp_path / "hold"),
        "PYTHONUNBUFFERED": "1",
    }
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    return tmp_path, env


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=300)


def start_worker(env, tmp_path, name):
    log = (tmp_path / f"{name}.log").open("w")
    options = ["--no-reload", "--no-startup-delay", "--interval", "0.2", "--worker-id", name]
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", *options],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def emails_sent(mail_dir: Path) -> list[str]:
    """The Message-ID of every email the file backend wrote."""
    return [
        line.split(":", 1)[1].strip()
        for path in sorted(mail_dir.iterdir())
        for line in path.read_text().splitlines()
        if line.startswith("Message-ID:")
    ]


def outbox_row(env) -> tuple:
    """(sent?, attempts) of the one outbox row, read straight from the workers' database."""
    query = "SELECT sent_at IS NOT NULL, attempts FROM notifications_notification"
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            sent, attempts = db.execute(query).fetchone()
    else:
        import psycopg

        with psycopg.connect(url) as db:
            sent, attempts = db.execute(query).fetchone()
    return bool(sent), attempts


def test_an_email_whose_worker_is_killed_mid_send_is_sent_once_by_the_next_worker(workplace):
    tmp_path, env = workplace
    mail_dir = tmp_path / "mail"
    hold = tmp_path / "hold"
    hold.touch()
    first = start_worker(env, tmp_path, "first")
    second = None
    try:
        manage(env, "shell", "--verbosity", "0", "-c", QUEUE_ONE_EMAIL)
        wait_for(Path(f"{hold}.sending").exists, 120, "the first worker to start sending")

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert emails_sent(mail_dir) == []
        assert outbox_row(env) == (False, 1)  # claimed once, not sent

        hold.unlink()
        second = start_worker(env, tmp_path, "second")
        wait_for(lambda: outbox_row(env)[0], 120, "the second worker to send it")
        # Give the second worker time to send it again, if it were going to.
        time.sleep(3)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)

    (message_id,) = emails_sent(mail_dir)
    assert message_id.startswith("<kapcare.")
    assert outbox_row(env) == (True, 2)
