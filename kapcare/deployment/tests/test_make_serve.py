"""`make serve` runs, with DEBUG off, collectstatic, then the migrations, then gunicorn
with kapcare's configuration; `make run` stays the development server."""

import os
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


def test_make_serve_stops_before_anything_runs_when_the_secret_key_is_weak(tmp_path):
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env = {
        **clean,
        "SECRET_KEY": "kapcare-kapcare-kapcare-kapcare-kapcare-kapcare-kapcare",
        "ALLOWED_HOSTS": "kap.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kapcare.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PORT": "18799",
    }
    result = subprocess.run(
        ["make", "serve"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY uses only 7 different characters" in result.stderr
    assert not (tmp_path / "static").exists()
    assert not (tmp_path / "kapcare.sqlite3").exists()
