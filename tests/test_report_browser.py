"""The report in a real browser: Debian's chromium driven by Playwright for Python.

Opens the demo report (or, if the demo is unavailable, the tiny test study's report) from
file:// with every non-file request blocked and recorded, and checks: no console errors, every
figure has a non-zero size, no request leaves the file. With PATALLIANCE_UPDATE_SCREENSHOTS=1
it also refreshes docs/screenshot-report.png (first screen) and docs/screenshot-figure.png.

Skips only when /usr/bin/chromium is absent and the CI variable is not set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_support import launch, skip_without_chromium, watched_page
from conftest import run_cli, write_study

DOCS = Path(__file__).resolve().parents[1] / "docs"

skip_without_chromium()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    result = run_cli("demo", "--out", str(root / "demo"))
    if result.returncode == 0 and (root / "demo" / "report.html").is_file():
        return root / "demo" / "report.html"
    study = write_study(root / "study")
    result = run_cli("analyze", str(study), "--out", str(root / "out"))
    assert result.returncode == 0, result.stderr
    return root / "out" / "report.html"


def test_report_in_chromium(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, watch = watched_page(browser, "file://")
            page.goto(report.as_uri(), wait_until="load")
            figures = page.locator("figure svg, figure img")
            count = figures.count()
            assert count >= 5
            for i in range(count):
                box = figures.nth(i).bounding_box()
                assert box is not None and box["width"] > 0 and box["height"] > 0, i
            assert page.locator("table").count() >= 4
            shot = tmp_path / "screenshot-report.png"
            page.screenshot(path=str(shot))
            target = (
                page.locator("#fig-depression")
                if page.locator("#fig-depression").count()
                else page.locator("figure").first
            )
            target.scroll_into_view_if_needed()
            fig_shot = tmp_path / "screenshot-figure.png"
            target.screenshot(path=str(fig_shot))
            assert shot.stat().st_size > 10_000 and fig_shot.stat().st_size > 5_000
        finally:
            browser.close()
    assert watch.errors == []
    assert watch.outside == []
    if os.environ.get("PATALLIANCE_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / "screenshot-report.png")
        shutil.copyfile(fig_shot, DOCS / "screenshot-figure.png")
