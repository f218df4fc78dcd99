"""Shared set-up of the browser tests: Debian's chromium driven by Playwright for Python.

Every browser test opens a page with :func:`watched_page`: console errors and page errors are
collected, and every request outside the allowed origin (``file://`` for a report, the app's
``http://127.0.0.1:PORT/``) is recorded and blocked. The tests skip only when
/usr/bin/chromium is absent and the CI variable is not set (:func:`skip_without_chromium`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def skip_without_chromium() -> None:
    """Skip the calling test module when chromium is absent, unless CI is set."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(
            "chromium is not installed at /usr/bin/chromium (apt-get install chromium); "
            "the browser test runs whenever CI is set",
            allow_module_level=True,
        )


@dataclass
class Watch:
    """What a watched page saw: console and page errors, and requests that left the origin."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def watched_page(browser: Any, origin: str) -> tuple[Any, Watch]:
    """A 1280 × 900 page that records errors and blocks every request outside ``origin``."""
    watch = Watch()
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def console(message: Any) -> None:
        if message.type == "error":
            watch.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def route(route: Any) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            watch.outside.append(route.request.url)
            route.abort()

    page.on("console", console)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.on(
        "request",
        lambda r: None if r.url.startswith((origin, "data:")) else watch.outside.append(r.url),
    )
    page.route("**/*", route)
    return page, watch


def launch(pw: Any) -> Any:
    """Chromium from /usr/bin, headless, with no background network traffic."""
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
