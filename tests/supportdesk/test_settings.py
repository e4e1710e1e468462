"""Settings come from the environment; the production profile passes check --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    dropped = {"DEBUG", "SUPPORTDESK_PROFILE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy_with_no_issues():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SUPPORTDESK_PROFILE="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="desk.example.com",
        DEBUG="0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_profile_is_not_deployable():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1")
    assert result.returncode != 0
    assert "security.W" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_real_secret_key():
    result = manage("check", SUPPORTDESK_PROFILE="production", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_selects_the_database():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = manage("shell", "-c", code, DATABASE_URL="postgres://someone@db.example:5432/desk")
    assert result.stdout.strip().splitlines()[-1] == "django.db.backends.postgresql", result.stderr
