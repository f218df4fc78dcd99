"""The pool report in a real browser: Debian's chromium driven by Playwright for Python.

Opens the report of ``patalliance pool --example psilocybin-depression`` from file:// with
every non-file request blocked and recorded, and checks: no console errors, the forest and
funnel plots have a non-zero size, the tables are there, no request leaves the file.

Skips only when /usr/bin/chromium is absent and the CI variable is not set (as
``tests/test_report_browser.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "chromium is not installed at /usr/bin/chromium (apt-get install chromium); "
        "the browser test runs whenever CI is set",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pool-browser") / "out"
    result = run_cli("pool", "--example", "psilocybin-depression", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "report.html"


def test_pool_report_in_chromium(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: None if r.url.startswith(("file://", "data:")) else outside.append(r.url),
            )
            page.route("**/*", route)
            page.goto(report.as_uri(), wait_until="load")
            for anchor in ("#fig-forest svg", "#fig-funnel svg"):
                box = page.locator(anchor).bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 150, anchor
            assert page.locator("table").count() >= 4
            assert "pooled g was" in page.locator("#summary").inner_text()
            page.locator("#fig-forest").scroll_into_view_if_needed()
            shot = tmp_path / "forest.png"
            page.locator("#fig-forest").screenshot(path=str(shot))
            assert shot.stat().st_size > 5_000
        finally:
            browser.close()
    assert errors == []
    assert outside == []
