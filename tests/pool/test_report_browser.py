"""The pool report in a real browser: Debian's chromium driven by Playwright for Python.

Opens the report of ``patalliance pool --example psilocybin-depression`` from file:// with
every non-file request blocked and recorded, and checks: no console errors, the forest and
funnel plots have a non-zero size, the tables are there, no request leaves the file.

Skips only when /usr/bin/chromium is absent and the CI variable is not set (as
``tests/test_report_browser.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import launch, skip_without_chromium, watched_page
from conftest import run_cli

skip_without_chromium()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pool-browser") / "out"
    result = run_cli("pool", "--example", "psilocybin-depression", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "report.html"


def test_pool_report_in_chromium(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, "file://")
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
    assert watch.errors == []
    assert watch.outside == []
