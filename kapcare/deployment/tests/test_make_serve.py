"""`make serve` runs, with DEBUG off, collectstatic, then the migrations, then gunicorn
with kapcare's configuration; `make run` stays the development server."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def dry_run(target: str) -> str:
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_serve_collects_static_files_migrates_then_starts_gunicorn_with_debug_off():
    commands = dry_run("serve")

    collect = commands.index("DEBUG=0 .venv/bin/python manage.py collectstatic --noinput")
    migrate = commands.index("manage.py migrate --noinput")
    grant = commands.index("manage.py grant_app_role")
    serve = commands.index(".venv/bin/gunicorn --config kapcare/gunicorn.conf.py")
    assert collect < migrate < grant < serve
    assert "runserver" not in commands


def test_make_run_still_runs_the_development_server():
    commands = dry_run("run")

    assert "runserver 127.0.0.1:8000" in commands
    assert "gunicorn" not in commands
