"""Playwright driving Debian's Chromium against the live test server.

The browser is the system one (`/usr/bin/chromium`, installed by `make test`);
Playwright's own browser download is never used. Without Chromium the browser
tests skip on a developer machine and fail under CI (`CI=true`).
Screenshots of every step land in `test-artifacts/browser/<test name>/`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("SUPPORTDESK_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module. Playwright's sync API keeps an event loop in this thread,
    which Django mistakes for async code; the ORM calls the tests make between browser
    steps are plain synchronous code, so the guard is lifted for the module's duration."""
    executable = chromium_path()
    if executable is None:
        message = "Chromium not found (install Debian's chromium; `make test` does it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Steps:
    """Takes a numbered screenshot per step, kept as a test artifact."""

    def __init__(self, page, folder: Path):
        self.page = page
        self.folder = folder
        self.count = 0

    def shot(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def steps(page, request):
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return Steps(page, folder)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Live-server tests commit for real, so notification hooks fire; their rows stay in the
    outbox (pending) instead of going to whatever broker the machine has."""
    from tickets import tasks

    monkeypatch.setattr(tasks.deliver_notification, "apply_async", lambda *a, **k: None)
